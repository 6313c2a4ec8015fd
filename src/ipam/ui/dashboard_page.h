// The dashboard, GET /ui: one self-contained page (ui/dashboard.html, built into the daemon) that
// follows the change feed from the browser and reads the rest of the API for what it shows. The
// page holds no data, so it is served without the token; it asks for the token itself and sends
// it in a header, never in a URL.
#pragma once

#include "common/http_types.h"

namespace vx::ipam::ui {

// The page with a fresh nonce in its Content-Security-Policy and in its script and style tags:
// nothing but its own script and style run in it, and it may talk to its own origin only, so that
// markup smuggled into a name in the registry stays text. It may not be framed either.
HttpResponse dashboard_page();

}  // namespace vx::ipam::ui
