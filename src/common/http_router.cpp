#include "common/http_router.h"

#include <chrono>

namespace vx {
namespace {

std::vector<std::string> split_pattern(std::string_view pattern) {
  std::vector<std::string> out;
  size_t start = 1;  // patterns start with '/'
  while (start <= pattern.size()) {
    size_t slash = pattern.find('/', start);
    if (slash == std::string_view::npos) slash = pattern.size();
    if (slash > start) out.emplace_back(pattern.substr(start, slash - start));
    start = slash + 1;
  }
  return out;
}

bool is_param(const std::string& segment) {
  return segment.size() > 2 && segment.front() == '{' && segment.back() == '}';
}

}  // namespace

void Router::add(std::string method, std::string_view pattern, HttpHandler handler) {
  routes_.push_back({std::move(method), split_pattern(pattern), std::move(handler), std::string(pattern)});
}

void Router::check_param(std::string param, Status (*check)(std::string_view)) {
  param_checks_[std::move(param)] = check;
}

Status Router::check_params(const PathParams& params) const {
  for (const auto& [param, value] : params) {
    auto check = param_checks_.find(param);
    if (check == param_checks_.end()) continue;
    if (Status valid = check->second(value); !valid) return valid;
  }
  return Ok{};
}

bool Router::match(const Route& route, const std::vector<std::string>& segments,
                   PathParams& params) {
  if (route.pattern.size() != segments.size()) return false;
  for (size_t i = 0; i < segments.size(); ++i) {
    if (is_param(route.pattern[i])) {
      if (segments[i].empty()) return false;
      params[route.pattern[i].substr(1, route.pattern[i].size() - 2)] = segments[i];
    } else if (route.pattern[i] != segments[i]) {
      return false;
    }
  }
  return true;
}

boost::asio::awaitable<HttpResponse> Router::handle(const HttpRequest& request) {
  auto start = std::chrono::steady_clock::now();
  std::string matched = "unmatched";
  HttpResponse response = co_await dispatch(request, matched);
  if (observer_) observer_(matched, response.status, std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  co_return response;
}

boost::asio::awaitable<HttpResponse> Router::dispatch(const HttpRequest& request, std::string& matched) {
  std::string allowed;
  for (const Route& route : routes_) {
    PathParams params;
    if (!match(route, request.segments, params)) continue;
    matched = route.text;
    if (route.method == request.method) {
      if (Status valid = check_params(params); !valid) co_return error_response(valid.error());
      co_return co_await route.handler(request, params);
    }
    allowed += (allowed.empty() ? "" : ", ") + route.method;
  }
  if (allowed.empty()) {
    co_return error_response(not_found("unknown_path", "no endpoint at " + request.target));
  }
  HttpResponse response = error_response(
      {ErrorKind::kMethod, "method_not_allowed",
       request.method + " is not allowed on " + request.target + "; allowed: " + allowed});
  response.headers["Allow"] = allowed;
  co_return response;
}

}  // namespace vx
