// The wire types of Docker's remote IPAM driver protocol (libnetwork's ipams/remote/api), as Docker
// 20.10 speaks it to a plugin on its unix socket: POST /Plugin.Activate, then
// /IpamDriver.<Call> with a JSON body. Field names are Docker's. Docker omits empty fields, so
// every field but the pool or address being released is optional. A plugin answers an error with a
// status other than 200 and {"Err": "..."}, which Docker shows its user.
#pragma once

#include <map>
#include <string>
#include <string_view>

#include "common/error.h"

namespace vx::proto::docker {

inline constexpr std::string_view kContentType = "application/vnd.docker.plugins.v1.2+json";
// RequestAddress options: what the address is for, and the MAC Docker chose for the endpoint
// (sent when the plugin's capabilities require it).
inline constexpr std::string_view kRequestAddressType = "RequestAddressType";
inline constexpr std::string_view kGatewayRequest = "com.docker.network.gateway";
inline constexpr std::string_view kMacOption = "com.docker.network.endpoint.macaddress";

struct RequestPool {
  std::string address_space;
  std::string pool;      // the subnet asked for, "" when none was given
  std::string sub_pool;  // the --ip-range, "" when none was given
  std::map<std::string, std::string> options;
  bool v6 = false;
};

struct RequestAddress {
  std::string pool_id;
  std::string address;  // the address asked for (--ip, or the gateway), "" for any
  std::map<std::string, std::string> options;
};

// ReleasePool has a PoolID only; ReleaseAddress a PoolID and an Address.
struct Release {
  std::string pool_id;
  std::string address;
};

Result<RequestPool> parse_request_pool(std::string_view body);
Result<RequestAddress> parse_request_address(std::string_view body);
Result<Release> parse_release(std::string_view body, bool with_address);

}  // namespace vx::proto::docker
