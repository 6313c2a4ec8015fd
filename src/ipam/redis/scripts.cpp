#include "ipam/redis/scripts.h"

#include "ipam/redis/keys.h"

namespace vx::ipam::lua {

// KEYS: vxlan:pool, vxlan:pool:reserved, available_ips, allocated_ips
// ARGV: subnet, first, last (addresses as integers), total, reserved addresses...
// -> {"created"} | {"existing"} | {"mismatch", subnet, first, last} | {"reserved_in_use", address}
// Never deletes a registry entry. A pool of the same range is left as it is, with only changes
// of reservation applied; a different range is refused.
const Script kInitPool{R"lua(
local pool, reserved_key, available, allocated = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local subnet, first, last, total = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3]), ARGV[4]
local function dotted(n)
  return string.format('%d.%d.%d.%d', math.floor(n / 16777216) % 256,
                       math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
end
local reserved = {}
for i = 5, #ARGV do
  reserved[ARGV[i]] = true
  if redis.call('SISMEMBER', allocated, ARGV[i]) == 1 then return {'reserved_in_use', ARGV[i]} end
end
local stored = redis.call('HMGET', pool, 'subnet', 'first', 'last')
if stored[1] then
  if stored[1] ~= subnet or tonumber(stored[2]) ~= first or tonumber(stored[3]) ~= last then
    return {'mismatch', stored[1], dotted(tonumber(stored[2])), dotted(tonumber(stored[3]))}
  end
  for _, address in ipairs(redis.call('SMEMBERS', reserved_key)) do
    if not reserved[address] then redis.call('SADD', available, address) end
  end
  redis.call('DEL', reserved_key)
  for address in pairs(reserved) do
    redis.call('SREM', available, address)
    redis.call('SADD', reserved_key, address)
  end
  redis.call('HSET', pool, 'total', total)
  return {'existing'}
end
local check_allocated = redis.call('SCARD', allocated) > 0
redis.call('DEL', available)
local batch = {}
for n = first, last do
  local address = dotted(n)
  if not reserved[address] and
     not (check_allocated and redis.call('SISMEMBER', allocated, address) == 1) then
    batch[#batch + 1] = address
    if #batch == 1000 then
      redis.call('SADD', available, unpack(batch))
      batch = {}
    end
  end
end
if #batch > 0 then redis.call('SADD', available, unpack(batch)) end
for address in pairs(reserved) do redis.call('SADD', reserved_key, address) end
redis.call('HSET', pool, 'subnet', subnet, 'first', first, 'last', last, 'total', total)
return {'created'}
)lua",
                       {keys::kPool, keys::kPoolReserved, keys::kAvailable, keys::kAllocated}};

// Scripts that change hosts or endpoints record each change (log_change): the revision goes up by
// one and the change is appended to the stream vxlan:changes under it, in the same atomic script,
// so the log never misses or invents a change. Their last two KEYS are vxlan:revision and
// vxlan:changes. A Redis without a revision (new, wiped, or an old registry) starts a new lifetime:
// its revisions start at the current time in microseconds, above any handed out before, behind a
// "reset" entry that tells every reader to take a fresh snapshot.
const std::string kChangeLog = R"lua(
local revision_key, changes_key = KEYS[#KEYS - 1], KEYS[#KEYS]
local function append_change(revision, ...)
  redis.call('XADD', changes_key, 'MAXLEN', '~', '100000', '*', 'revision', string.format('%.0f', revision), ...)
end
local function log_change(op, kind, ...)
  local revision = redis.call('INCR', revision_key)
  if revision == 1 then
    local clock = redis.call('TIME')
    local base = tonumber(clock[1]) * 1000000 + tonumber(clock[2])
    append_change(base, 'op', 'reset')
    revision = base + 1
    redis.call('SET', revision_key, string.format('%.0f', revision))
  end
  append_change(revision, 'op', op, 'kind', kind, ...)
end
)lua";

// Every host script reads the clock from Redis, so that IPAM replicas on different machines agree
// on which hosts are alive.
const char* const kNow = "local clock = redis.call('TIME')\nlocal now = clock[1] * 1000 + math.floor(clock[2] / 1000)\n";

// KEYS: vxlan:pool, available_ips, allocated_ips, container_ips, container_hosts, ip_containers,
//       vxlan:revision, vxlan:changes
// ARGV: one triple per request: name, host, wanted address or ""
// -> {"uninitialised"}, or three entries per request, in order:
//    "created"|"existing", address, host | "name_conflict", address, owner
//    | "name_holds_other_ip", address, host | "ip_taken", address, holder
//    | "ip_unavailable", address, "" | "exhausted", "", ""
// Requests in one call apply in order: a name twice is "existing" (or a conflict) the second time.
// Each created name is a change: put endpoint, without a MAC yet.
const Script kAllocate{std::string(kChangeLog) + R"lua(
if redis.call('EXISTS', KEYS[1]) == 0 then return {'uninitialised'} end
local function allocate(name, host, wanted)
  local held = redis.call('HGET', KEYS[4], name)
  if held then
    local owner = redis.call('HGET', KEYS[5], name) or ''
    if owner ~= host then return 'name_conflict', held, owner end
    if wanted ~= '' and wanted ~= held then return 'name_holds_other_ip', held, owner end
    return 'existing', held, owner
  end
  local address = wanted
  if wanted ~= '' then
    if redis.call('SREM', KEYS[2], wanted) == 0 then
      local holder = redis.call('HGET', KEYS[6], wanted)
      if holder then return 'ip_taken', wanted, holder end
      return 'ip_unavailable', wanted, ''
    end
  else
    address = redis.call('SPOP', KEYS[2])
    if not address then return 'exhausted', '', '' end
  end
  redis.call('SADD', KEYS[3], address)
  redis.call('HSET', KEYS[4], name, address)
  redis.call('HSET', KEYS[5], name, host)
  redis.call('HSET', KEYS[6], address, name)
  log_change('put', 'endpoint', 'container_name', name, 'ip_address', address, 'host_id', host)
  return 'created', address, host
end
local out = {}
for i = 1, #ARGV, 3 do
  local outcome, address, other = allocate(ARGV[i], ARGV[i + 1], ARGV[i + 2])
  out[#out + 1] = outcome
  out[#out + 1] = address
  out[#out + 1] = other
end
return out
)lua",
                       {keys::kPool, keys::kAvailable, keys::kAllocated, keys::kContainerIps, keys::kContainerHosts, keys::kIpContainers, keys::kRevision, keys::kChanges}};

// KEYS: vxlan:pool:reserved, available_ips, allocated_ips, container_ips, container_hosts,
//       ip_containers, vxlan:container_macs, vxlan:revision, vxlan:changes
// ARGV: name, host or "" (any host)
// -> {"released", address, host} | {"host_mismatch", address, owner} | {"not_found"}
const Script kRelease{std::string(kChangeLog) + R"lua(
local name, host = ARGV[1], ARGV[2]
local address = redis.call('HGET', KEYS[4], name)
if not address then return {'not_found'} end
local owner = redis.call('HGET', KEYS[5], name) or ''
if host ~= '' and owner ~= host then return {'host_mismatch', address, owner} end
redis.call('HDEL', KEYS[4], name)
redis.call('HDEL', KEYS[5], name)
redis.call('HDEL', KEYS[7], name)
if redis.call('HGET', KEYS[6], address) == name then redis.call('HDEL', KEYS[6], address) end
redis.call('SREM', KEYS[3], address)
if redis.call('SISMEMBER', KEYS[1], address) == 0 then redis.call('SADD', KEYS[2], address) end
log_change('delete', 'endpoint', 'container_name', name, 'ip_address', address, 'host_id', owner)
return {'released', address, owner}
)lua",
                      {keys::kPoolReserved, keys::kAvailable, keys::kAllocated, keys::kContainerIps, keys::kContainerHosts, keys::kIpContainers, keys::kContainerMacs, keys::kRevision, keys::kChanges}};

// KEYS: container_ips, container_hosts, vxlan:container_macs, vxlan:revision, vxlan:changes
// ARGV: name, host, mac
// -> {"recorded", address} | {"host_mismatch", owner} | {"not_found"}
// A MAC that changes is a change: put endpoint; recording the same MAC again is not.
const Script kRecordEndpoint{std::string(kChangeLog) + R"lua(
local address = redis.call('HGET', KEYS[1], ARGV[1])
if not address then return {'not_found'} end
local owner = redis.call('HGET', KEYS[2], ARGV[1]) or ''
if owner ~= ARGV[2] then return {'host_mismatch', owner} end
if redis.call('HGET', KEYS[3], ARGV[1]) ~= ARGV[3] then
  redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
  log_change('put', 'endpoint', 'container_name', ARGV[1], 'ip_address', address, 'host_id', owner,
             'mac_address', ARGV[3])
end
return {'recorded', address}
)lua",
                             {keys::kContainerIps, keys::kContainerHosts, keys::kContainerMacs, keys::kRevision, keys::kChanges}};

// KEYS: container_ips, container_hosts, vxlan:container_macs   ARGV: name
// -> {address, host, mac} | {}
const Script kFind{R"lua(
local address = redis.call('HGET', KEYS[1], ARGV[1])
if not address then return {} end
return {address, redis.call('HGET', KEYS[2], ARGV[1]) or '', redis.call('HGET', KEYS[3], ARGV[1]) or ''}
)lua",
                   {keys::kContainerIps, keys::kContainerHosts, keys::kContainerMacs}};

// KEYS: available_ips, allocated_ips, vxlan:pool
// -> {available, allocated, subnet or "", total or ""}
const Script kStats{R"lua(
local meta = redis.call('HMGET', KEYS[3], 'subnet', 'total')
return {redis.call('SCARD', KEYS[1]), redis.call('SCARD', KEYS[2]), meta[1] or '', meta[2] or ''}
)lua",
                    {keys::kAvailable, keys::kAllocated, keys::kPool}};

// The host records a change carries, as field-value pairs.
const std::string kHostFields = R"lua(
local function host_fields(id, alive)
  return 'host_id', id, 'underlay_ip', redis.call('HGET', KEYS[3], id) or '',
         'agent_url', redis.call('HGET', KEYS[4], id) or '', 'alive', alive
end
)lua";

// A host is alive while its last heartbeat (vxlan:hosts, by time) is younger than the TTL.
// vxlan:hosts_alive holds the hosts last seen alive, with the same scores, so that finding the
// ones that just went quiet costs the number of those, not of all hosts.

// KEYS: vxlan:hosts, vxlan:hosts_alive, vxlan:host_underlay, vxlan:host_agents, vxlan:revision,
//       vxlan:changes
// ARGV: host id, underlay address, agent URL, ttl (ms)
// -> {"registered"} | {"underlay_taken", other host id}
// A live host of another id on the same underlay address is a conflict; a dead one is not.
// Registering again with the same addresses while alive changes nothing a peer sees.
const Script kRegisterHost{std::string(kNow) + kChangeLog + kHostFields + R"lua(
local id, underlay, agent, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local all = redis.call('HGETALL', KEYS[3])
for i = 1, #all, 2 do
  if all[i] ~= id and all[i + 1] == underlay then
    local seen = redis.call('ZSCORE', KEYS[1], all[i])
    if seen and now - tonumber(seen) < ttl then return {'underlay_taken', all[i]} end
  end
end
local same = redis.call('HGET', KEYS[3], id) == underlay and redis.call('HGET', KEYS[4], id) == agent
redis.call('ZADD', KEYS[1], now, id)
local revived = redis.call('ZADD', KEYS[2], now, id) == 1
redis.call('HSET', KEYS[3], id, underlay)
redis.call('HSET', KEYS[4], id, agent)
if revived or not same then log_change('put', 'host', host_fields(id, '1')) end
return {'registered'}
)lua",
                           {keys::kHosts, keys::kHostsAlive, keys::kHostUnderlay, keys::kHostAgents, keys::kRevision, keys::kChanges}};

// KEYS: vxlan:hosts, vxlan:hosts_alive, vxlan:host_underlay, vxlan:host_agents, vxlan:revision,
//       vxlan:changes
// ARGV: host id   -> {"alive"} | {"unknown"}
// Only a host coming back to life is a change.
const Script kHeartbeat{std::string(kNow) + kChangeLog + kHostFields + R"lua(
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {'unknown'} end
redis.call('ZADD', KEYS[1], now, ARGV[1])
if redis.call('ZADD', KEYS[2], now, ARGV[1]) == 1 then log_change('put', 'host', host_fields(ARGV[1], '1')) end
return {'alive'}
)lua",
                        {keys::kHosts, keys::kHostsAlive, keys::kHostUnderlay, keys::kHostAgents, keys::kRevision, keys::kChanges}};

// KEYS: vxlan:hosts, vxlan:hosts_alive, vxlan:host_underlay, vxlan:host_agents, vxlan:revision,
//       vxlan:changes
// ARGV: ttl (ms)   -> number of hosts found quiet
// Each IPAM replica runs this every fraction of the TTL; it is idempotent, so they need no
// coordination. At most 1000 hosts a call, to bound the time Redis spends in it.
const Script kSweepHosts{std::string(kNow) + kChangeLog + kHostFields + R"lua(
local quiet = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - tonumber(ARGV[1]), 'LIMIT', 0, 1000)
for _, id in ipairs(quiet) do
  redis.call('ZREM', KEYS[2], id)
  log_change('put', 'host', host_fields(id, '0'))
end
return #quiet
)lua",
                         {keys::kHosts, keys::kHostsAlive, keys::kHostUnderlay, keys::kHostAgents, keys::kRevision, keys::kChanges}};

// KEYS: vxlan:hosts, vxlan:hosts_alive, vxlan:host_underlay, vxlan:host_agents, vxlan:revision,
//       vxlan:changes
// ARGV: host id   -> {"left"} | {"unknown"}
const Script kLeaveHost{std::string(kChangeLog) + R"lua(
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return {'unknown'} end
redis.call('ZREM', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
redis.call('HDEL', KEYS[4], ARGV[1])
log_change('delete', 'host', 'host_id', ARGV[1])
return {'left'}
)lua",
                        {keys::kHosts, keys::kHostsAlive, keys::kHostUnderlay, keys::kHostAgents, keys::kRevision, keys::kChanges}};

// KEYS: vxlan:hosts   -> {now, id, last heartbeat, id, last heartbeat, ...}   O(hosts)
const Script kHeartbeats{std::string(kNow) + R"lua(
local out = {tostring(now)}
local hosts = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #hosts, 2 do
  out[#out + 1] = hosts[i]
  out[#out + 1] = hosts[i + 1]
end
return out
)lua",
                         {keys::kHosts}};

// KEYS: vxlan:lifetime, vxlan:revision, vxlan:changes
// -> {"same"} | {"new", revision}
// A Redis process not seen before (restarted, failed over) may have come back with fewer writes
// than were read from it: its later revisions could repeat numbers that readers already hold for
// other changes. So its revisions move above every earlier one, behind a reset entry. Every
// connection sends this first, ahead of anything it writes (feed.h).
const Script kMarkLifetime{R"lua(
local run_id = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)') or ''
if redis.call('GET', KEYS[1]) == run_id then return {'same'} end
redis.call('SET', KEYS[1], run_id)
local clock = redis.call('TIME')
local revision = math.max(tonumber(redis.call('GET', KEYS[2]) or '0') + 1,
                          tonumber(clock[1]) * 1000000 + tonumber(clock[2]))
local text = string.format('%.0f', revision)
redis.call('SET', KEYS[2], text)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', '100000', '*', 'revision', text, 'op', 'reset')
return {'new', text}
)lua",
                           {keys::kLifetime, keys::kRevision, keys::kChanges}};

// KEYS: vxlan:revision, vxlan:changes   -> {revision or "0", id of the last change or ""}
// Read together, so that a snapshot taken afterwards continues exactly from that change.
const Script kFeedPosition{R"lua(
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
return {redis.call('GET', KEYS[1]) or '0', last[1] and last[1][1] or ''}
)lua",
                           {keys::kRevision, keys::kChanges}};

}  // namespace vx::ipam::lua
