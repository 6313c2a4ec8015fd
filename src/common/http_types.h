// The HTTP request and response as handlers see them: plain values, decoded by the server, so
// that handlers and their tests never touch Beast.
#pragma once

#include <boost/json/object.hpp>
#include <boost/json/value.hpp>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "common/error.h"
#include "common/ipv4.h"

namespace vx {

// The header an agent names its own process instance in on every call (agent/instance.h), so that
// the IPAM can tell a host's own agent from another claiming the same host id.
inline constexpr const char* kInstanceHeader = "Vxlan-Instance";

struct HttpRequest {
  std::string method;                         // "GET", "POST", ...
  std::string target;                         // as received, for logs
  std::vector<std::string> segments;          // the path split on '/', each percent-decoded
  std::map<std::string, std::string> query;   // decoded query parameters
  std::string body;
  std::string authorization;                  // the Authorization header, if any
  std::optional<Ipv4> peer;                   // the TCP peer's IPv4 address; none over a unix socket
  std::string instance;                       // the kInstanceHeader header, if any
  // What a browser says of where the request comes from (Sec-Fetch-Site, Origin) and the Host it
  // was sent to; the daemons' own clients send none of the first two.
  std::string fetch_site = {};
  std::string origin = {};
  std::string host = {};
};

struct HttpResponse {
  int status = 200;
  std::string body;
  std::string content_type = "application/json";
  std::map<std::string, std::string> headers;  // more headers: a 405's Allow, a page's policies
};

HttpResponse json_response(int status, const boost::json::value& body);

// 200 with `body` and "success": true: the seed's answer to a change that was made.
HttpResponse success_response(boost::json::object body);

// {"error": code, "detail": sentence} with the status the error's kind maps to.
HttpResponse error_response(const Error& error);

}  // namespace vx
