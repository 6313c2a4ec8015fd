#include "common/metrics.h"

#include <prometheus/text_serializer.h>

#include <sstream>

namespace vx {

const prometheus::Histogram::BucketBoundaries& duration_buckets() {
  static const prometheus::Histogram::BucketBoundaries buckets{0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                                               0.5,   1,      2.5,   5,    10,    30};
  return buckets;
}

void Metrics::time_requests(Router& router, const std::string& name, const std::string& help) {
  auto& family = prometheus::BuildHistogram().Name(name).Help(help).Register(*registry_);
  router.observe([&family](const std::string& route, int status, double seconds) {
    family.Add({{"route", route}, {"code", std::to_string(status)}}, duration_buckets()).Observe(seconds);
  });
}

HttpResponse Metrics::answer() const {
  std::ostringstream text;
  prometheus::TextSerializer().Serialize(text, registry_->Collect());
  HttpResponse response;
  response.body = text.str();
  response.content_type = "text/plain; version=0.0.4; charset=utf-8";
  return response;
}

}  // namespace vx
