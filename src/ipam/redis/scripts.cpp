#include "ipam/redis/scripts.h"

#include "ipam/redis/keys.h"

// Each source reads its arguments through the locals argument_locals declares, named as the fields
// of its Args, and answers through reply{...}, with the fields of its Reply (scripts.h, shape.h).

namespace vx::ipam::lua {

// Scripts that read the clock read Redis's (scripts.h), so that IPAM replicas agree.
const char* const kNow = "local clock = redis.call('TIME')\nlocal now = clock[1] * 1000 + math.floor(clock[2] / 1000)\n";

// KEYS: vxlan:pool, vxlan:pool:reserved, available_ips, allocated_ips
const Script<InitPool> kInitPool{"pool initialisation", std::string(kNow) + R"lua(
local pool, reserved_key, available, allocated = KEYS[1], KEYS[2], KEYS[3], KEYS[4]
local function dotted(n)
  return string.format('%d.%d.%d.%d', math.floor(n / 16777216) % 256,
                       math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
end
local is_reserved = {}
for _, address in ipairs(reserved) do
  is_reserved[address] = true
  if redis.call('SISMEMBER', allocated, address) == 1 then
    return reply{outcome = 'reserved_in_use', address = address}
  end
end
local stored = redis.call('HMGET', pool, 'subnet', 'first', 'last')
if stored[1] then
  if stored[1] ~= subnet or tonumber(stored[2]) ~= first or tonumber(stored[3]) ~= last then
    return reply{outcome = 'mismatch', subnet = stored[1], first = dotted(tonumber(stored[2])),
                 last = dotted(tonumber(stored[3]))}
  end
  for _, address in ipairs(redis.call('SMEMBERS', reserved_key)) do
    if not is_reserved[address] then redis.call('SADD', available, address) end
  end
  redis.call('DEL', reserved_key)
  for address in pairs(is_reserved) do
    redis.call('SREM', available, address)
    redis.call('SADD', reserved_key, address)
  end
  redis.call('HSET', pool, 'total', total)
  return reply{outcome = 'existing'}
end
local check_allocated = redis.call('SCARD', allocated) > 0
redis.call('DEL', available)
local batch = {}
for n = first, last do
  local address = dotted(n)
  if not is_reserved[address] and
     not (check_allocated and redis.call('SISMEMBER', allocated, address) == 1) then
    batch[#batch + 1] = address
    if #batch == 1000 then
      redis.call('SADD', available, unpack(batch))
      batch = {}
    end
  end
end
if #batch > 0 then redis.call('SADD', available, unpack(batch)) end
for address in pairs(is_reserved) do redis.call('SADD', reserved_key, address) end
redis.call('HSET', pool, 'subnet', subnet, 'first', first, 'last', last, 'total', total)
if quarantine_ms > 0 then redis.call('HSET', pool, 'quarantine_until', now + quarantine_ms) end
return reply{outcome = 'created'}
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

// Whether a call for `host` presents an instance other than the one the host is bound to
// (scripts.h); `instances` is vxlan:host_instances.
const char* const kInstanceCheck = R"lua(
local function wrong_instance(instances, host, caller)
  if caller == '' or host == '' then return false end
  local bound = redis.call('HGET', instances, host)
  return bound ~= false and bound ~= caller
end
)lua";

// KEYS: vxlan:pool, available_ips, allocated_ips, container_ips, container_hosts, ip_containers,
//       vxlan:host_instances, vxlan:revision, vxlan:changes
const Script<Allocate> kAllocate{"allocate", std::string(kChangeLog) + kInstanceCheck + R"lua(
local pool = redis.call('HMGET', KEYS[1], 'subnet', 'first', 'last', 'quarantine_until')
if not pool[1] then return reply{status = 'uninitialised'} end
if pool[1] ~= subnet or tonumber(pool[2]) ~= first or tonumber(pool[3]) ~= last then
  return reply{status = 'pool_mismatch'}
end
-- While the agents reserve their containers' addresses again after a registry loss, an address
-- handed to a new name could be one a running container holds.
local quarantine_left = 0
if pool[4] then
  local clock = redis.call('TIME')
  quarantine_left = tonumber(pool[4]) - (clock[1] * 1000 + math.floor(clock[2] / 1000))
end
local function allocate(name, host, wanted, instance)
  if wrong_instance(KEYS[7], host, instance) then return {outcome = 'wrong_instance'} end
  local held = redis.call('HGET', KEYS[4], name)
  if held then
    local owner = redis.call('HGET', KEYS[5], name) or ''
    if owner ~= host then return {outcome = 'name_conflict', address = held, owner = owner} end
    if wanted ~= '' and wanted ~= held then return {outcome = 'name_holds_other_ip', address = held, owner = owner} end
    return {outcome = 'existing', address = held, owner = owner}
  end
  if wanted == '' and quarantine_left > 0 then
    return {outcome = 'quarantined', address = string.format('%d', quarantine_left)}
  end
  local address = wanted
  if wanted ~= '' then
    if redis.call('SREM', KEYS[2], wanted) == 0 then
      local holder = redis.call('HGET', KEYS[6], wanted)
      if holder then return {outcome = 'ip_taken', address = wanted, holder = holder} end
      return {outcome = 'ip_unavailable', address = wanted}
    end
  else
    address = redis.call('SPOP', KEYS[2])
    if not address then return {outcome = 'exhausted'} end
  end
  redis.call('SADD', KEYS[3], address)
  redis.call('HSET', KEYS[4], name, address)
  redis.call('HSET', KEYS[5], name, host)
  redis.call('HSET', KEYS[6], address, name)
  log_change('put', 'endpoint', 'container_name', name, 'ip_address', address, 'host_id', host)
  return {outcome = 'created', address = address, owner = host}
end
local outcomes = {}
for _, request in ipairs(requests) do
  outcomes[#outcomes + 1] = allocate(request.name, request.host, request.wanted, request.instance)
end
return reply{status = 'applied', outcomes = outcomes}
)lua",
                                 {keys::kPool, keys::kAvailable, keys::kAllocated, keys::kContainerIps, keys::kContainerHosts, keys::kIpContainers, keys::kHostInstances, keys::kRevision, keys::kChanges}};

// KEYS: vxlan:pool:reserved, available_ips, allocated_ips, container_ips, container_hosts,
//       ip_containers, vxlan:container_macs, vxlan:mac_containers, vxlan:hosts_alive,
//       vxlan:host_instances, vxlan:revision, vxlan:changes
const Script<Release> kRelease{"release", std::string(kChangeLog) + kInstanceCheck + R"lua(
local address = redis.call('HGET', KEYS[4], name)
if not address then return reply{outcome = 'not_found'} end
local owner = redis.call('HGET', KEYS[5], name) or ''
if host ~= '' and owner ~= host then return reply{outcome = 'host_mismatch', address = address, owner = owner} end
if wrong_instance(KEYS[10], host, instance) then return reply{outcome = 'wrong_instance'} end
-- The agent of a live host would reserve the address again for the container still holding it;
-- in between, it could go to another name.
if host == '' and redis.call('ZSCORE', KEYS[9], owner) then
  return reply{outcome = 'owner_alive', address = address, owner = owner}
end
redis.call('HDEL', KEYS[4], name)
redis.call('HDEL', KEYS[5], name)
local mac = redis.call('HGET', KEYS[7], name)
redis.call('HDEL', KEYS[7], name)
if mac and redis.call('HGET', KEYS[8], mac) == name then redis.call('HDEL', KEYS[8], mac) end
if redis.call('HGET', KEYS[6], address) == name then redis.call('HDEL', KEYS[6], address) end
redis.call('SREM', KEYS[3], address)
if redis.call('SISMEMBER', KEYS[1], address) == 0 then redis.call('SADD', KEYS[2], address) end
log_change('delete', 'endpoint', 'container_name', name, 'ip_address', address, 'host_id', owner)
return reply{outcome = 'released', address = address, owner = owner}
)lua",
                               {keys::kPoolReserved, keys::kAvailable, keys::kAllocated, keys::kContainerIps, keys::kContainerHosts, keys::kIpContainers, keys::kContainerMacs, keys::kMacContainers, keys::kHostsAlive, keys::kHostInstances, keys::kRevision, keys::kChanges}};

// KEYS: container_ips, container_hosts, vxlan:container_macs, vxlan:mac_containers,
//       vxlan:host_instances, vxlan:revision, vxlan:changes
const Script<RecordEndpoint> kRecordEndpoint{"record endpoint", std::string(kChangeLog) + kInstanceCheck + R"lua(
local address = redis.call('HGET', KEYS[1], name)
if not address then return reply{outcome = 'not_found'} end
local owner = redis.call('HGET', KEYS[2], name) or ''
if owner ~= host then return reply{outcome = 'host_mismatch', owner = owner} end
if wrong_instance(KEYS[5], host, instance) then return reply{outcome = 'wrong_instance'} end
-- The index may name a holder that has since moved on to another MAC: only a live claim counts.
local holder = redis.call('HGET', KEYS[4], mac)
if holder and holder ~= name and redis.call('HGET', KEYS[3], holder) == mac then
  return reply{outcome = 'mac_taken', holder = holder}
end
local old = redis.call('HGET', KEYS[3], name)
if old ~= mac then
  if old and redis.call('HGET', KEYS[4], old) == name then redis.call('HDEL', KEYS[4], old) end
  redis.call('HSET', KEYS[3], name, mac)
  redis.call('HSET', KEYS[4], mac, name)
  log_change('put', 'endpoint', 'container_name', name, 'ip_address', address, 'host_id', owner,
             'mac_address', mac)
end
return reply{outcome = 'recorded', address = address}
)lua",
                                             {keys::kContainerIps, keys::kContainerHosts, keys::kContainerMacs, keys::kMacContainers, keys::kHostInstances, keys::kRevision, keys::kChanges}};

// KEYS: container_ips, container_hosts, vxlan:container_macs
const Script<Find> kFind{"find", R"lua(
local address = redis.call('HGET', KEYS[1], name)
if not address then return reply{} end
return reply{address = address, host = redis.call('HGET', KEYS[2], name), mac = redis.call('HGET', KEYS[3], name)}
)lua",
                         {keys::kContainerIps, keys::kContainerHosts, keys::kContainerMacs}};

// KEYS: available_ips, allocated_ips, vxlan:pool
const Script<Stats> kStats{"stats", R"lua(
local meta = redis.call('HMGET', KEYS[3], 'subnet', 'total')
return reply{available = redis.call('SCARD', KEYS[1]), allocated = redis.call('SCARD', KEYS[2]),
             subnet = meta[1], total = meta[2]}
)lua",
                           {keys::kAvailable, keys::kAllocated, keys::kPool}};

// The host records a change carries, as field-value pairs.
const std::string kHostFields = R"lua(
local function host_fields(id, alive)
  return 'host_id', id, 'underlay_ip', redis.call('HGET', KEYS[3], id) or '',
         'agent_url', redis.call('HGET', KEYS[4], id) or '', 'alive', alive
end
)lua";

// The KEYS of the scripts that change hosts: vxlan:hosts, vxlan:hosts_alive, vxlan:host_underlay,
// vxlan:host_agents, vxlan:host_instances, vxlan:revision, vxlan:changes.
const std::vector<std::string> kHostKeys{keys::kHosts,         keys::kHostsAlive, keys::kHostUnderlay, keys::kHostAgents,
                                         keys::kHostInstances, keys::kRevision,   keys::kChanges};

const Script<RegisterHost> kRegisterHost{"register host", std::string(kNow) + kChangeLog + kHostFields + kInstanceCheck + R"lua(
-- Another agent started with this host's id, on this machine or another, must not take over the
-- host while its own agent lives: it would build the network with the host's gateway and release
-- the host's containers as ones it does not run.
if wrong_instance(KEYS[5], id, instance) or (instance == '' and redis.call('HEXISTS', KEYS[5], id) == 1) then
  local seen = redis.call('ZSCORE', KEYS[1], id)
  if seen and now - tonumber(seen) < ttl then return reply{outcome = 'instance_taken'} end
end
local all = redis.call('HGETALL', KEYS[3])
for i = 1, #all, 2 do
  if all[i] ~= id and all[i + 1] == underlay then
    local seen = redis.call('ZSCORE', KEYS[1], all[i])
    if seen and now - tonumber(seen) < ttl then return reply{outcome = 'underlay_taken', holder = all[i]} end
  end
end
local same = redis.call('HGET', KEYS[3], id) == underlay and redis.call('HGET', KEYS[4], id) == agent
redis.call('ZADD', KEYS[1], now, id)
local revived = redis.call('ZADD', KEYS[2], now, id) == 1
redis.call('HSET', KEYS[3], id, underlay)
redis.call('HSET', KEYS[4], id, agent)
if instance ~= '' then redis.call('HSET', KEYS[5], id, instance) else redis.call('HDEL', KEYS[5], id) end
if revived or not same then log_change('put', 'host', host_fields(id, '1')) end
return reply{outcome = 'registered'}
)lua",
                                         kHostKeys};

const Script<Heartbeat> kHeartbeat{"heartbeat", std::string(kNow) + kChangeLog + kHostFields + kInstanceCheck + R"lua(
if not redis.call('ZSCORE', KEYS[1], id) then return reply{outcome = 'unknown'} end
if wrong_instance(KEYS[5], id, instance) then return reply{outcome = 'wrong_instance'} end
redis.call('ZADD', KEYS[1], now, id)
if redis.call('ZADD', KEYS[2], now, id) == 1 then log_change('put', 'host', host_fields(id, '1')) end
return reply{outcome = 'alive'}
)lua",
                                   kHostKeys};

const Script<SweepHosts> kSweepHosts{"sweep hosts", std::string(kNow) + kChangeLog + kHostFields + R"lua(
local quiet = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', now - ttl, 'LIMIT', 0, 1000)
for _, id in ipairs(quiet) do
  redis.call('ZREM', KEYS[2], id)
  log_change('put', 'host', host_fields(id, '0'))
end
return reply{quiet = #quiet}
)lua",
                                     kHostKeys};

const Script<LeaveHost> kLeaveHost{"leave", std::string(kChangeLog) + kInstanceCheck + R"lua(
if wrong_instance(KEYS[5], id, instance) then return reply{outcome = 'wrong_instance'} end
if redis.call('ZREM', KEYS[1], id) == 0 then return reply{outcome = 'unknown'} end
redis.call('ZREM', KEYS[2], id)
redis.call('HDEL', KEYS[3], id)
redis.call('HDEL', KEYS[4], id)
redis.call('HDEL', KEYS[5], id)
log_change('delete', 'host', 'host_id', id)
return reply{outcome = 'left'}
)lua",
                                   kHostKeys};

// KEYS: vxlan:hosts
const Script<Heartbeats> kHeartbeats{"heartbeats", std::string(kNow) + R"lua(
local hosts = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local seen = {}
for i = 1, #hosts, 2 do seen[#seen + 1] = {id = hosts[i], last = hosts[i + 1]} end
return reply{now = now, hosts = seen}
)lua",
                                     {keys::kHosts}};

// KEYS: vxlan:lifetime, vxlan:revision, vxlan:changes
const Script<MarkLifetime> kMarkLifetime{"mark lifetime", R"lua(
local run_id = string.match(redis.call('INFO', 'server'), 'run_id:(%x+)') or ''
if redis.call('GET', KEYS[1]) == run_id then return reply{outcome = 'same'} end
redis.call('SET', KEYS[1], run_id)
local clock = redis.call('TIME')
local revision = math.max(tonumber(redis.call('GET', KEYS[2]) or '0') + 1,
                          tonumber(clock[1]) * 1000000 + tonumber(clock[2]))
local text = string.format('%.0f', revision)
redis.call('SET', KEYS[2], text)
redis.call('XADD', KEYS[3], 'MAXLEN', '~', '100000', '*', 'revision', text, 'op', 'reset')
return reply{outcome = 'new', revision = text}
)lua",
                                         {keys::kLifetime, keys::kRevision, keys::kChanges}};

// KEYS: vxlan:revision, vxlan:changes
const Script<FeedPosition> kFeedPosition{"feed position", R"lua(
local last = redis.call('XREVRANGE', KEYS[2], '+', '-', 'COUNT', 1)
return reply{revision = redis.call('GET', KEYS[1]), cursor = last[1] and last[1][1]}
)lua",
                                         {keys::kRevision, keys::kChanges}};

}  // namespace vx::ipam::lua
