#include "proto/docker_plugin.h"

#include <boost/json.hpp>

#include "proto/fields.h"

namespace vx::proto::docker {

namespace json = boost::json;

namespace {

// Docker sends string options only; anything else is a request from something that is not Docker.
Result<std::map<std::string, std::string>> options_of(std::string_view body) {
  auto value = parse_request_body(body);
  if (!value) return value.error();
  std::map<std::string, std::string> options;
  const json::value* found = value->get_object().if_contains("Options");
  if (found == nullptr || found->is_null()) return options;
  if (!found->is_object()) return bad_input("wrong_type", "field 'Options' must be an object of strings");
  for (const auto& [key, option] : found->get_object()) {
    if (!option.is_string()) return bad_input("wrong_type", "option '" + std::string(key) + "' must be a string");
    options[std::string(key)] = std::string(option.get_string());
  }
  return options;
}

std::string text_or_empty(Fields& fields, std::string_view key) { return fields.maybe_text(key).value_or(""); }

}  // namespace

Result<RequestPool> parse_request_pool(std::string_view body) {
  auto request = read_request(body, [](Fields& fields) {
    return RequestPool{text_or_empty(fields, "AddressSpace"), text_or_empty(fields, "Pool"),
                       text_or_empty(fields, "SubPool"), {}, fields.has("V6") && fields.flag("V6")};
  });
  if (!request) return request.error();
  auto options = options_of(body);
  if (!options) return options.error();
  request->options = std::move(*options);
  return request;
}

Result<RequestAddress> parse_request_address(std::string_view body) {
  auto request = read_request(body, [](Fields& fields) {
    return RequestAddress{fields.text("PoolID"), text_or_empty(fields, "Address"), {}};
  });
  if (!request) return request.error();
  auto options = options_of(body);
  if (!options) return options.error();
  request->options = std::move(*options);
  return request;
}

Result<Release> parse_release(std::string_view body, bool with_address) {
  return read_request(body, [with_address](Fields& fields) {
    std::string pool = fields.text("PoolID");
    return Release{std::move(pool), with_address ? fields.text("Address") : std::string()};
  });
}

}  // namespace vx::proto::docker
