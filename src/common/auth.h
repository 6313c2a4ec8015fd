// The cluster's shared secret. Daemons started with a token answer every request except the
// health checks (GET / and GET /health, for load balancers and monitors) with 401 unless it
// carries "Authorization: Bearer TOKEN"; clients send it. The token comes from the environment
// variable VXLAN_TOKEN or from a file (--token-file), never from the command line, where every
// user of the machine could read it.
#pragma once

#include <string>
#include <string_view>

#include "common/error.h"
#include "common/http_types.h"

namespace vx {

// The token from `path` (surrounding white space dropped) if given, else from VXLAN_TOKEN, else
// "" (no authentication). A file that cannot be read or holds nothing is an error.
Result<std::string> load_token(const std::string& path);

// Ok when `token` is empty or the request carries it; compares in constant time.
Status check_token(const HttpRequest& request, const std::string& token);

}  // namespace vx
