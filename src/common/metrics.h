// A daemon's Prometheus metrics (prometheus-cpp): one registry, its text exposition for
// GET /metrics, and the duration of every HTTP request by route pattern and status code, fed by a
// Router's observer. Names follow Prometheus's conventions: base units, _total counters, labels
// with few values.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <memory>
#include <string>

#include "common/http_router.h"
#include "common/http_types.h"

namespace vx {

class Metrics {
 public:
  Metrics() : registry_(std::make_shared<prometheus::Registry>()) {}

  prometheus::Registry& registry() { return *registry_; }
  // A family registered here: family(prometheus::BuildGauge(), "vxlan_x", "what it counts").
  template <typename Builder>
  auto& family(Builder builder, const std::string& name, const std::string& help) {
    return builder.Name(name).Help(help).Register(*registry_);
  }
  // Has `router` time its requests into the histogram `name`{route, code}.
  void time_requests(Router& router, const std::string& name, const std::string& help);
  // 200 with the registry in Prometheus's text format (version 0.0.4).
  HttpResponse answer() const;

 private:
  std::shared_ptr<prometheus::Registry> registry_;
};

// The buckets of request and operation durations, in seconds: 1 ms to 30 s.
const prometheus::Histogram::BucketBoundaries& duration_buckets();

}  // namespace vx
