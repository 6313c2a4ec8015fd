// Maps a method and a path pattern such as "/container/{name}" to a handler. A path that matches
// no pattern answers 404; one that matches with another method answers 405 with an Allow header.
// A path parameter with a check (check_param) reaches no handler unless it passes; a failure is
// answered with its own error.
#pragma once

#include <boost/asio/awaitable.hpp>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "common/http_types.h"

namespace vx {

using PathParams = std::map<std::string, std::string>;
using HttpHandler =
    std::function<boost::asio::awaitable<HttpResponse>(const HttpRequest&, const PathParams&)>;

// What a server calls for every request.
class RequestHandler {
 public:
  virtual ~RequestHandler() = default;
  virtual boost::asio::awaitable<HttpResponse> handle(const HttpRequest& request) = 0;
};

class Router : public RequestHandler {
 public:
  void add(std::string method, std::string_view pattern, HttpHandler handler);

  // A member function of `owner` as the handler; `owner` must outlive the router.
  template <typename Owner>
  void add(std::string method, std::string_view pattern, Owner* owner,
           boost::asio::awaitable<HttpResponse> (Owner::*handler)(const HttpRequest&, const PathParams&)) {
    add(std::move(method), pattern, [owner, handler](const HttpRequest& request, const PathParams& params) {
      return (owner->*handler)(request, params);
    });
  }
  // Every "{param}" of every route is checked by `check` before its handler runs.
  void check_param(std::string param, Status (*check)(std::string_view));

  // Called once per request with the pattern it matched ("/container/{name}", or "unmatched"),
  // its status and how long the router took to answer: what a duration metric needs, with
  // labels that stay few whatever paths clients send.
  using Observer = std::function<void(const std::string& route, int status, double seconds)>;
  void observe(Observer observer) { observer_ = std::move(observer); }

  boost::asio::awaitable<HttpResponse> handle(const HttpRequest& request) override;

 private:
  struct Route {
    std::string method;
    std::vector<std::string> pattern;  // literal segments, or "{param}"
    HttpHandler handler;
    std::string text;  // the pattern as added
  };
  boost::asio::awaitable<HttpResponse> dispatch(const HttpRequest& request, std::string& matched);
  static bool match(const Route& route, const std::vector<std::string>& segments,
                    PathParams& params);

  Status check_params(const PathParams& params) const;

  std::vector<Route> routes_;
  std::map<std::string, Status (*)(std::string_view)> param_checks_;
  Observer observer_;
};

}  // namespace vx
