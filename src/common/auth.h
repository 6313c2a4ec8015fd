// The cluster's shared secret. Daemons started with a token answer every request except the
// health checks (GET / and GET /health, for load balancers and monitors) and the dashboard's page,
// which holds no data (GET /ui), with 401 unless it carries "Authorization: Bearer TOKEN"; clients
// send it. The token comes from the environment variable VXLAN_TOKEN or from a file
// (--token-file), never from the command line, where every user of the machine could read it.
#pragma once

#include <optional>
#include <string>
#include <vector>
#include <string_view>

#include "common/error.h"
#include "common/host_port.h"
#include "common/http_types.h"
#include "common/ipv4.h"

namespace vx {

// The token from `path` (surrounding white space dropped) if given, else from VXLAN_TOKEN, else
// "" (no authentication). A file that cannot be read or holds nothing is an error.
Result<std::string> load_token(const std::string& path);

// Ok when `token` is empty or the request carries it; compares in constant time. The health checks
// need no token, nor the dashboard's page (GET /ui), nor GET /metrics when `metrics_open`
// (--metrics-open).
Status check_token(const HttpRequest& request, const std::string& token, bool metrics_open = false);

// kForbidden "cross_site" for a request a browser sent from a page of another site (another
// origin: another host, or another port of the same one). A "simple" POST needs no CORS preflight,
// so without this any web page an operator opened could drive a daemon that has no token, through
// the operator's browser. Sec-Fetch-Site is trusted when the browser sends it (a reverse proxy
// that rewrites Host does not confuse it); else the Origin must name the Host the request went
// to. The daemons' own clients (vxctl, the agents, dockerd) send neither, and pass.
Status check_browser_site(const HttpRequest& request);

// What a daemon serving without a token on an address other hosts can reach must say, at start and
// in its health answer; "" when it has a token or listens on loopback only.
std::string open_api_warning(const HostPort& listen, const std::string& token);

// kForbidden "forbidden_source" when the request comes from an address of one of the `overlays`:
// the containers of the cluster may not drive its daemons, whatever token they found. A daemon
// checks this itself, so that it holds where no firewall is installed.
Status check_source(const HttpRequest& request, const std::vector<Cidr>& overlays);

}  // namespace vx
