// Answers that quote what a caller sent stay JSON, whatever bytes it sent.
#include <gtest/gtest.h>

#include <boost/json.hpp>

#include "common/http_types.h"
#include "common/utf8.h"

namespace vx {
namespace {

TEST(ValidUtf8, KeepsWellFormedText) {
  for (std::string text : {"", "web-1", "caf\xC3\xA9", "\xE4\xB8\xAD", "\xF0\x9F\x90\xB3", "\xF4\x8F\xBF\xBF"}) {
    EXPECT_EQ(valid_utf8(text), text);
  }
}

TEST(ValidUtf8, ReplacesEveryMalformedByte) {
  const std::string r = "\xEF\xBF\xBD";
  EXPECT_EQ(valid_utf8("a\xFF" "b"), "a" + r + "b");
  EXPECT_EQ(valid_utf8("\xC0\xAF"), r + r);             // an overlong '/'
  EXPECT_EQ(valid_utf8("\xED\xA0\x80"), r + r + r);     // a surrogate
  EXPECT_EQ(valid_utf8("\xF4\x90\x80\x80"), r + r + r + r);  // past U+10FFFF
  EXPECT_EQ(valid_utf8("\xE2\x82"), r + r);             // cut short
  EXPECT_EQ(valid_utf8("\x80x"), r + "x");              // a continuation alone
}

// Found by a hostile probe: error bodies echoed invalid UTF-8 raw, so they were not JSON.
TEST(ErrorResponse, IsJsonWhateverTheDetailQuotes) {
  HttpResponse response = error_response(bad_input("invalid_name", "container name '\xFF\xFE' is invalid"));
  boost::system::error_code ec;
  boost::json::value body = boost::json::parse(response.body, ec);
  ASSERT_FALSE(ec) << response.body;
  EXPECT_EQ(body.at("detail"), "container name '\xEF\xBF\xBD\xEF\xBF\xBD' is invalid");
}

}  // namespace
}  // namespace vx
