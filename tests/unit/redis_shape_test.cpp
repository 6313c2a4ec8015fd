#include <gtest/gtest.h>

#include "ipam/redis/scripts.h"

namespace vx::ipam::lua {
namespace {

struct Pair {
  std::string key;
  uint64_t count = 0;
  template <class Self, class F>
  static void fields(Self& self, F&& field) {
    field("key", self.key);
    field("count", self.count);
  }
};

struct Sample {
  std::string name;
  uint64_t ttl = 0;
  std::vector<Pair> entries;
  template <class Self, class F>
  static void fields(Self& self, F&& field) {
    field("name", self.name);
    field("ttl", self.ttl);
    field("entries", self.entries);
  }
};

struct Misshapen {
  std::vector<std::string> list;
  std::string after;
  template <class Self, class F>
  static void fields(Self& self, F&& field) {
    field("list", self.list);
    field("after", self.after);
  }
};

RedisReply text(std::string value) {
  RedisReply reply;
  reply.type = RedisReply::Type::kString;
  reply.str = std::move(value);
  return reply;
}

RedisReply integer(long long value) {
  RedisReply reply;
  reply.type = RedisReply::Type::kInteger;
  reply.integer = value;
  return reply;
}

RedisReply array(std::vector<RedisReply> elements) {
  RedisReply reply;
  reply.type = RedisReply::Type::kArray;
  reply.elements = std::move(elements);
  return reply;
}

TEST(RedisShape, EncodesFieldsInTheirOrderWithListsFlattened) {
  Sample sample{.name = "a", .ttl = 7, .entries = {{"x", 1}, {"y", 2}}};
  EXPECT_EQ(encode(sample), (std::vector<std::string>{"a", "7", "x", "1", "y", "2"}));
  EXPECT_TRUE(encode(NoArgs{}).empty());
}

TEST(RedisShape, LuaLocalsNameEachArgument) {
  EXPECT_EQ(argument_locals<Sample>(),
            "local name = ARGV[1]\n"
            "local ttl = tonumber(ARGV[2])\n"
            "local entries = {}\n"
            "for i = 3, #ARGV, 2 do entries[#entries + 1] = {key = ARGV[i], count = tonumber(ARGV[i + 1])} end\n");
  EXPECT_EQ(argument_locals<NoArgs>(), "");
}

TEST(RedisShape, LuaReplyListsEachFieldInOrder) {
  EXPECT_EQ(reply_function<Sample>(),
            "local function reply(r)\n"
            "  local out = {}\n"
            "  out[#out + 1] = tostring(r.name or '')\n"
            "  out[#out + 1] = r.ttl or 0\n"
            "  for _, e in ipairs(r.entries or {}) do\n"
            "    out[#out + 1] = tostring(e.key or '')\n"
            "    out[#out + 1] = e.count or 0\n"
            "  end\n"
            "  return out\n"
            "end\n");
}

TEST(RedisShape, AListCanOnlyBeLast) {
  EXPECT_THROW(argument_locals<Misshapen>(), std::logic_error);
  EXPECT_THROW(reply_function<Misshapen>(), std::logic_error);
}

TEST(RedisShape, DecodesByName) {
  // Numbers come as integers or as text, as Lua gives them.
  auto sample = decode<Sample>(array({text("a"), text("7"), text("x"), integer(1), text("y"), text("2")}));
  ASSERT_TRUE(sample);
  EXPECT_EQ(sample->name, "a");
  EXPECT_EQ(sample->ttl, 7u);
  ASSERT_EQ(sample->entries.size(), 2u);
  EXPECT_EQ(sample->entries[1].key, "y");
  EXPECT_EQ(sample->entries[1].count, 2u);

  auto empty_list = decode<Sample>(array({text("a"), integer(0)}));
  ASSERT_TRUE(empty_list);
  EXPECT_TRUE(empty_list->entries.empty());
}

TEST(RedisShape, RefusesAReplyOfAnotherShape) {
  EXPECT_FALSE(decode<Sample>(array({text("a")})));                                     // too short
  EXPECT_FALSE(decode<Sample>(array({text("a"), integer(1), text("x")})));              // half a record
  EXPECT_FALSE(decode<Release::Reply>(array({text("released"), text("1"), text("h"), text("n"), text("extra")})));
  EXPECT_FALSE(decode<Release::Reply>(text("released")));                               // not an array
  EXPECT_FALSE(decode<Release::Reply>(RedisReply{}));                                   // nil
}

// Each script's source begins with what its Signature derives, and its body reads no ARGV position
// and builds no reply by position of its own.
template <class Signature>
void expect_named(const Script<Signature>& script) {
  SCOPED_TRACE(script.name);
  const std::string prologue =
      argument_locals<typename Signature::Args>() + reply_function<typename Signature::Reply>();
  ASSERT_EQ(script.source.substr(0, prologue.size()), prologue);
  const std::string body = script.source.substr(prologue.size());
  EXPECT_EQ(body.find("ARGV"), std::string::npos);
  EXPECT_NE(body.find("return reply{"), std::string::npos);
  EXPECT_FALSE(script.keys.empty());
}

TEST(RedisShape, EveryScriptReadsItsArgumentsAndAnswersByName) {
  expect_named(kInitPool);
  expect_named(kAllocate);
  expect_named(kRelease);
  expect_named(kRecordEndpoint);
  expect_named(kFind);
  expect_named(kStats);
  expect_named(kRegisterHost);
  expect_named(kHeartbeat);
  expect_named(kSweepHosts);
  expect_named(kLeaveHost);
  expect_named(kHeartbeats);
  expect_named(kMarkLifetime);
  expect_named(kFeedPosition);
}

}  // namespace
}  // namespace vx::ipam::lua
