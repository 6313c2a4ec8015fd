#include "ipam/ui/dashboard_page.h"

#include <cstdio>
#include <random>
#include <string>
#include <string_view>

namespace vx::ipam::ui {

extern const std::string_view kDashboardHtml;

namespace {

constexpr std::string_view kNoncePlaceholder = "@NONCE@";

// 128 random bits in hex: hex digits are base64 characters, as CSP wants of a nonce.
std::string fresh_nonce() {
  std::random_device random;
  std::string nonce;
  for (int i = 0; i < 4; ++i) {
    char word[9];
    std::snprintf(word, sizeof word, "%08x", static_cast<unsigned>(random()));
    nonce += word;
  }
  return nonce;
}

std::string with_nonce(std::string_view page, const std::string& nonce) {
  std::string out;
  out.reserve(page.size() + 64);
  size_t from = 0;
  for (size_t at; (at = page.find(kNoncePlaceholder, from)) != std::string_view::npos; from = at + kNoncePlaceholder.size()) {
    out.append(page.substr(from, at - from)).append(nonce);
  }
  return out.append(page.substr(from));
}

}  // namespace

HttpResponse dashboard_page() {
  std::string nonce = fresh_nonce();
  HttpResponse response;
  response.body = with_nonce(kDashboardHtml, nonce);
  response.content_type = "text/html; charset=utf-8";
  response.headers = {
      {"Content-Security-Policy", "default-src 'none'; script-src 'nonce-" + nonce + "'; style-src 'nonce-" + nonce +
                                      "'; connect-src 'self'; img-src data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"},
      {"X-Frame-Options", "DENY"},
      {"Referrer-Policy", "no-referrer"},
  };
  return response;
}

}  // namespace vx::ipam::ui
