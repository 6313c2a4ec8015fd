// A plugin after others in a chain (the CNI spec's "prevResult") answers the result it was given
// with its own part added: its interfaces after theirs, its ips naming its interfaces by their new
// places in the list, its routes after theirs, its name servers and search domains after theirs,
// each once, and their DNS domain and options. A previous result that already routes 0.0.0.0/0 in
// the main table gets no second default route: the kernel would refuse it (EEXIST) and the ADD
// would fail. One in a table of its own (CNI 1.1's "table") is no reason to go without ours.
#pragma once

#include <boost/json/array.hpp>
#include <boost/json/object.hpp>

#include "common/error.h"

namespace vx::cni {

// The spec's parts of a previous result; each absent one is empty.
struct PreviousResult {
  boost::json::array interfaces;
  boost::json::array ips;
  boost::json::array routes;
  boost::json::object dns;
};

// kBadInput "invalid_prev_result", naming the part, for one that is not of the spec's type.
Result<PreviousResult> read_previous(const boost::json::object& prev_result);
bool routes_by_default(const PreviousResult& previous);
// `ours` as result_of (proto/cni.h) makes it.
boost::json::object chained(const PreviousResult& previous, boost::json::object ours);

}  // namespace vx::cni
