// The DNS messages the server writes itself, and the checks it makes on upstream replies, as pure
// functions of wire-format bytes (RFC 1035). libldns reads and writes every message; this file
// only decides what goes into one. A function given bytes it cannot read answers an empty vector
// or nothing, never throws and never reads past the span.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "common/ipv4.h"

namespace vx::agent::dns {

// Response codes (RFC 1035 4.1.1), as they go on the wire.
enum class Rcode : uint8_t { kNoError = 0, kFormErr = 1, kServFail = 2, kNxDomain = 3, kNotImp = 4, kRefused = 5 };

// The smallest DNS message: the 12-byte header.
inline constexpr size_t kHeaderSize = 12;

// (message_ldns.h has the first two for a query that ldns has read already.)

// A response to `query` with `rcode`: its id, opcode, RD bit and question, and nothing else. For
// a query ldns cannot read, a bare header with its id (empty when it is shorter than a header).
std::vector<uint8_t> error_reply(std::span<const uint8_t> query, Rcode rcode);

// The authoritative answer to `query`, whose one question asks for a name the cluster knows:
// with `address` as its one A record valid for `ttl_seconds`, or with no record (NODATA) when no
// address is given. Empty when ldns cannot read `query` or it holds no question.
std::vector<uint8_t> address_reply(std::span<const uint8_t> query, std::optional<Ipv4> address,
                                   uint32_t ttl_seconds);

// The response code of `reply` when it is a response to `query`: the same id and the same one
// question (name compared without regard to case). Nothing when it is anything else.
std::optional<Rcode> rcode_of_reply(std::span<const uint8_t> reply, std::span<const uint8_t> query);

// The message's id, and the message with another one; both need at least a header's bytes.
uint16_t message_id(std::span<const uint8_t> message);
void set_message_id(std::span<uint8_t> message, uint16_t id);

}  // namespace vx::agent::dns
