#include "common/auth.h"

#include <gtest/gtest.h>
#include <stdlib.h>

#include <fstream>

namespace vx {
namespace {

HttpRequest request(std::string method, std::vector<std::string> segments, std::string authorization) {
  HttpRequest out;
  out.method = std::move(method);
  out.segments = std::move(segments);
  out.authorization = std::move(authorization);
  return out;
}

TEST(Token, RequiredEverywhereButTheHealthChecks) {
  const std::string token = "s3cret-token";
  EXPECT_TRUE(check_token(request("POST", {"allocate"}, ""), ""));  // no token configured
  EXPECT_TRUE(check_token(request("GET", {"health"}, ""), token));
  EXPECT_TRUE(check_token(request("GET", {}, ""), token));
  EXPECT_TRUE(check_token(request("POST", {"allocate"}, "Bearer s3cret-token"), token));
  for (const char* wrong : {"", "s3cret-token", "Bearer s3cret-toke", "Bearer s3cret-token2", "Basic s3cret-token"}) {
    auto refused = check_token(request("POST", {"allocate"}, wrong), token);
    ASSERT_FALSE(refused) << wrong;
    EXPECT_EQ(refused.error().kind, ErrorKind::kUnauthorized);
    EXPECT_EQ(http_status(refused.error().kind), 401);
  }
  EXPECT_FALSE(check_token(request("POST", {"health"}, ""), token));  // only GET is a health check
  EXPECT_FALSE(check_token(request("GET", {"health", "x"}, ""), token));
}

// The page holds nothing of the cluster's; what it then asks the API for needs the token.
TEST(Token, NotForTheDashboardsPageAlone) {
  const std::string token = "s3cret-token";
  EXPECT_TRUE(check_token(request("GET", {"ui"}, ""), token));
  EXPECT_FALSE(check_token(request("POST", {"ui"}, ""), token));
  EXPECT_FALSE(check_token(request("GET", {"ui", "x"}, ""), token));
  EXPECT_FALSE(check_token(request("GET", {"peers"}, ""), token));
}

// Security by default: a daemon open to other machines without a token says so.
// Found by review: a daemon without a token obeyed any web page an operator opened, through the
// operator's browser: a "simple" cross-site POST (text/plain, no-cors) needs no preflight.
TEST(BrowserSite, APageOfAnotherSiteMayNotDriveADaemon) {
  struct Case {
    std::string fetch_site, origin, host;
    bool allowed;
  };
  for (const Case& c : std::vector<Case>{
           {"", "", "10.0.1.100:8000", true},                                 // vxctl, curl, an agent
           {"same-origin", "http://10.0.1.100:8000", "10.0.1.100:8000", true},  // the dashboard
           {"same-origin", "https://ipam.example", "127.0.0.1:8000", true},     // behind a proxy
           {"none", "", "10.0.1.100:8000", true},                             // typed into the bar
           {"", "http://10.0.1.100:8000", "10.0.1.100:8000", true},           // an older browser
           {"", "HTTP://IPAM:8000", "ipam:8000", true},
           {"cross-site", "http://evil.example", "10.0.1.100:8000", false},
           {"same-site", "http://10.0.1.100:3000", "10.0.1.100:8000", false},  // another port
           {"", "http://evil.example", "10.0.1.100:8000", false},
           {"", "http://10.0.1.100:3000", "10.0.1.100:8000", false},
           {"", "null", "10.0.1.100:8000", false},  // a sandboxed frame, a file: page
       }) {
    HttpRequest sent = request("POST", {"release"}, "");
    sent.fetch_site = c.fetch_site;
    sent.origin = c.origin;
    sent.host = c.host;
    Status checked = check_browser_site(sent);
    EXPECT_EQ(checked.ok(), c.allowed) << c.fetch_site << " " << c.origin << " " << c.host;
    if (!checked) {
      EXPECT_EQ(checked.error().code, "cross_site");
      EXPECT_EQ(http_status(checked.error().kind), 403);
    }
  }
}

TEST(Token, ServingWithoutOneWhereOthersReachItIsAWarning) {
  EXPECT_NE(open_api_warning({"0.0.0.0", 8000}, "").find("serving without a token on 0.0.0.0:8000"), std::string::npos);
  EXPECT_NE(open_api_warning({"10.0.1.100", 8000}, ""), "");
  EXPECT_EQ(open_api_warning({"127.0.0.1", 8000}, ""), "");
  EXPECT_EQ(open_api_warning({"0.0.0.0", 8000}, "secret"), "");
}

TEST(Token, FromAFileOrTheEnvironment) {
  std::string path = ::testing::TempDir() + "/vxlan-token";
  std::ofstream(path) << "  from-file\n";
  EXPECT_EQ(*load_token(path), "from-file");
  std::ofstream(path) << "\n";
  EXPECT_EQ(load_token(path).error().code, "invalid_token_file");
  EXPECT_EQ(load_token(path + ".missing").error().code, "invalid_token_file");
  setenv("VXLAN_TOKEN", "from-env", 1);
  EXPECT_EQ(*load_token(""), "from-env");
  unsetenv("VXLAN_TOKEN");
  EXPECT_EQ(*load_token(""), "");
}

}  // namespace
}  // namespace vx
