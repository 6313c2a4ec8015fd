#include "common/http_types.h"

#include <boost/json/serialize.hpp>

#include "common/utf8.h"

namespace vx {

HttpResponse json_response(int status, const boost::json::value& body) {
  return HttpResponse{status, boost::json::serialize(body), "application/json", {}};
}

HttpResponse success_response(boost::json::object body) {
  body["success"] = true;
  return json_response(200, body);
}

HttpResponse error_response(const Error& error) {
  // Details quote what the caller sent, which may be any bytes.
  return json_response(http_status(error.kind), {{"error", valid_utf8(error.code)}, {"detail", valid_utf8(error.detail)}});
}

}  // namespace vx
