#include "common/http_types.h"

#include <boost/json/serialize.hpp>

namespace vx {

HttpResponse json_response(int status, const boost::json::value& body) {
  return HttpResponse{status, boost::json::serialize(body), "application/json", {}};
}

HttpResponse success_response(boost::json::object body) {
  body["success"] = true;
  return json_response(200, body);
}

HttpResponse error_response(const Error& error) {
  return json_response(http_status(error.kind), {{"error", error.code}, {"detail", error.detail}});
}

}  // namespace vx
