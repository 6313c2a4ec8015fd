#include "common/auth.h"

#include <boost/algorithm/string/predicate.hpp>
#include <boost/url/parse.hpp>
#include <cstdlib>
#include <fstream>
#include <sstream>

namespace vx {
namespace {

std::string trimmed(std::string text) {
  const char* blank = " \t\r\n";
  size_t first = text.find_first_not_of(blank);
  if (first == std::string::npos) return "";
  return text.substr(first, text.find_last_not_of(blank) - first + 1);
}

// Takes as long whatever the first differing byte, so timing does not leak the token.
bool same(std::string_view a, std::string_view b) {
  unsigned char differ = a.size() == b.size() ? 0 : 1;
  for (size_t i = 0; i < a.size(); ++i) differ |= a[i] ^ (i < b.size() ? b[i] : 0);
  return differ == 0;
}

bool is_get_of(const HttpRequest& request, std::string_view path) {
  return request.method == "GET" && request.segments.size() == 1 && request.segments[0] == path;
}

bool is_health_check(const HttpRequest& request) {
  return (request.method == "GET" && request.segments.empty()) || is_get_of(request, "health");
}

}  // namespace

Result<std::string> load_token(const std::string& path) {
  if (path.empty()) {
    const char* from_env = std::getenv("VXLAN_TOKEN");
    return trimmed(from_env ? from_env : "");
  }
  std::ifstream in(path);
  if (!in) return bad_input("invalid_token_file", "cannot read the token file " + path);
  std::stringstream text;
  text << in.rdbuf();
  std::string token = trimmed(text.str());
  if (token.empty()) return bad_input("invalid_token_file", "the token file " + path + " is empty");
  return token;
}

Status check_token(const HttpRequest& request, const std::string& token, bool metrics_open) {
  // The dashboard's page holds no data: it asks for the token itself (ipam/ui/dashboard_page.h).
  if (token.empty() || is_health_check(request) || is_get_of(request, "ui")) return Ok{};
  if (metrics_open && is_get_of(request, "metrics")) return Ok{};
  constexpr std::string_view kScheme = "Bearer ";
  std::string_view given = request.authorization;
  if (given.starts_with(kScheme) && same(given.substr(kScheme.size()), token)) return Ok{};
  return Error{ErrorKind::kUnauthorized, "unauthorized",
               given.empty() ? "this cluster requires a token: send Authorization: Bearer TOKEN"
                             : "the token does not match this cluster's"};
}

Status check_source(const HttpRequest& request, const std::vector<Cidr>& overlays) {
  if (!request.peer) return Ok{};
  for (const Cidr& overlay : overlays) {
    if (!overlay.contains(*request.peer)) continue;
    return Error{ErrorKind::kForbidden, "forbidden_source",
                 "requests from the overlay network (" + request.peer->to_string() + " is in " +
                     overlay.to_string() + ") are refused: containers may not drive the cluster's daemons"};
  }
  return Ok{};
}

Status check_browser_site(const HttpRequest& request) {
  auto refused = [&request](const std::string& why) {
    return Error{ErrorKind::kForbidden, "cross_site",
                 "a browser sent this from a page of another site (" + why + "): the daemons answer their own pages only"};
  };
  if (!request.fetch_site.empty()) {
    if (request.fetch_site == "same-origin" || request.fetch_site == "none") return Ok{};
    return refused("Sec-Fetch-Site: " + request.fetch_site);
  }
  if (request.origin.empty()) return Ok{};
  auto origin = boost::urls::parse_uri(request.origin);
  if (origin && origin->has_authority() && boost::iequals(std::string_view(origin->encoded_authority()), request.host)) {
    return Ok{};
  }
  return refused("Origin: " + request.origin + ", Host: " + request.host);
}

std::string open_api_warning(const HostPort& listen, const std::string& token) {
  auto address = Ipv4::parse(listen.host);
  if (!token.empty() || (address && address->is_loopback())) return "";
  return "serving without a token on " + listen.host + ":" + std::to_string(listen.port) +
         ": anyone who reaches it may use the whole API (README, Authentication)";
}

}  // namespace vx
