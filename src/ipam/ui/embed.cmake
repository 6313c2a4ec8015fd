# cmake -DINPUT=page.html -DOUTPUT=page.cpp -P embed.cmake: writes a C++ source defining
# vx::ipam::ui::kDashboardHtml as the page's text, so that the daemon carries its page and finds
# nothing on disk.
file(READ "${INPUT}" page)
string(FIND "${page}" ")page\"" clash)
if(NOT clash EQUAL -1)
  message(FATAL_ERROR "${INPUT} holds the raw string's delimiter )page\"")
endif()
file(WRITE "${OUTPUT}"
  "// Generated from ${INPUT} by embed.cmake: edit that file instead.\n"
  "#include <string_view>\n"
  "namespace vx::ipam::ui {\n"
  "extern const std::string_view kDashboardHtml;\n"
  "const std::string_view kDashboardHtml = R\"page(${page})page\";\n"
  "}  // namespace vx::ipam::ui\n")
