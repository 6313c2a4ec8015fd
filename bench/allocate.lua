-- wrk script: POST /allocate with a name unique across wrk's threads and the whole run.
local thread_count = 0
function setup(thread)
  thread_count = thread_count + 1
  thread:set("tid", thread_count)
end

local counter = 0
function request()
  counter = counter + 1
  local body = string.format('{"container_name":"bench-%d-%d","host_id":"host1"}', tid, counter)
  return wrk.format("POST", "/allocate", {["Content-Type"] = "application/json"}, body)
end

local non_200 = 0
function response(status, headers, body)
  if status ~= 200 then non_200 = non_200 + 1 end
end

function done(summary, latency, requests)
  io.write(string.format("errors: %d\n", summary.errors.status + summary.errors.connect +
                         summary.errors.read + summary.errors.write + summary.errors.timeout))
end
