#include "proto/fields.h"

#include <boost/json/object.hpp>
#include <boost/json/parse.hpp>
#include <limits>

namespace vx::proto {

namespace json = boost::json;

namespace {

constexpr const char* kPresent = "present";
constexpr const char* kObject = "an object";

}  // namespace

Result<json::value> parse_request_body(std::string_view body) {
  boost::system::error_code ec;
  json::value value = json::parse(body, ec);
  if (ec) return bad_input("invalid_json", "the request body is not valid JSON: " + ec.message());
  if (!value.is_object()) return bad_input("invalid_json", "the request body must be a JSON object");
  return value;
}

Fields::Fields(const json::value& value, std::string answer)
    : object_(value.if_object()), answer_(std::move(answer)) {
  if (object_ == nullptr) should_be_ = kObject;
}

const json::value* Fields::find(std::string_view key) {
  if (object_ == nullptr) return nullptr;
  const json::value* found = object_->if_contains(key);
  if (found == nullptr) fail(key, kPresent);
  return found;
}

void Fields::fail(std::string_view key, const char* should_be) {
  if (should_be_ != nullptr) return;
  failed_key_ = key;
  should_be_ = should_be;
}

std::string Fields::text(std::string_view key) {
  auto value = maybe_text(key);
  if (!value && should_be_ == nullptr) fail(key, kPresent);
  return value.value_or(std::string());
}

std::optional<std::string> Fields::maybe_text(std::string_view key) {
  const json::value* found = object_ ? object_->if_contains(key) : nullptr;
  if (found == nullptr || found->is_null()) return std::nullopt;
  if (!found->is_string()) return fail(key, "a string"), std::nullopt;
  return std::string(found->as_string());
}

bool Fields::flag(std::string_view key) {
  const json::value* found = find(key);
  if (found == nullptr) return false;
  if (!found->is_bool()) return fail(key, "a boolean"), false;
  return found->as_bool();
}

std::optional<bool> Fields::maybe_flag(std::string_view key) {
  const json::value* found = object_ ? object_->if_contains(key) : nullptr;
  if (found == nullptr || found->is_null()) return std::nullopt;
  if (!found->is_bool()) return fail(key, "a boolean"), std::nullopt;
  return found->as_bool();
}

uint64_t Fields::number(std::string_view key) {
  const json::value* found = find(key);
  if (found == nullptr) return 0;
  if (found->is_uint64()) return found->as_uint64();
  if (found->is_int64() && found->as_int64() >= 0) return static_cast<uint64_t>(found->as_int64());
  return fail(key, "a non-negative integer"), 0;
}

std::optional<int64_t> Fields::maybe_integer(std::string_view key) {
  const json::value* found = object_ ? object_->if_contains(key) : nullptr;
  if (found == nullptr || found->is_null()) return std::nullopt;
  if (found->is_int64()) return found->as_int64();
  if (found->is_uint64()) {
    uint64_t number = found->as_uint64();
    return number > static_cast<uint64_t>(std::numeric_limits<int64_t>::max()) ? std::numeric_limits<int64_t>::max()
                                                                              : static_cast<int64_t>(number);
  }
  return fail(key, "an integer"), std::nullopt;
}

std::vector<double> Fields::numbers(std::string_view key) {
  std::vector<double> out;
  const json::array* found = list(key);
  if (found == nullptr) return out;
  for (const auto& entry : *found) {
    if (!entry.is_number()) return fail(key, "a list of numbers"), std::vector<double>();
    out.push_back(entry.to_number<double>());
  }
  return out;
}

const json::array* Fields::list(std::string_view key) {
  const json::value* found = find(key);
  if (found == nullptr) return nullptr;
  if (!found->is_array()) return fail(key, "an array"), nullptr;
  return &found->as_array();
}

bool Fields::has(std::string_view key) const { return object_ != nullptr && object_->contains(key); }

Status Fields::status() const {
  if (should_be_ == nullptr) return Ok{};
  if (answer_.empty()) {
    if (should_be_ == kObject) return bad_input("invalid_json", "the request body must be a JSON object");
    if (should_be_ == kPresent) return bad_input("missing_field", "field '" + failed_key_ + "' is required");
    return bad_input("wrong_type", "field '" + failed_key_ + "' must be " + should_be_);
  }
  if (should_be_ == kObject) return internal("bad_answer", answer_ + " holds a non-object where an object belongs");
  return internal("bad_answer", answer_ + " has a \"" + failed_key_ + "\" that is not " + should_be_);
}

}  // namespace vx::proto
