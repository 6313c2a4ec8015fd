#include "ipam/lua_scripts.h"

namespace vx::lua {

// KEYS: vxlan:pool, vxlan:pool:reserved, available_ips, allocated_ips
// ARGV: subnet, first, last (addresses as integers), total, reserved addresses...
// -> {"created"} | {"existing"} | {"mismatch", subnet, first, last} | {"reserved_in_use", address}
// Never deletes a registry entry. A pool of the same range is left as it is, with only changes
// of reservation applied; a different range is refused.
const char* const kInitPool = R"lua(
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
)lua";

// KEYS: vxlan:pool, available_ips, allocated_ips, container_ips, container_hosts, ip_containers
// ARGV: one triple per request: name, host, wanted address or ""
// -> {"uninitialised"}, or three entries per request, in order:
//    "created"|"existing", address, host | "name_conflict", address, owner
//    | "name_holds_other_ip", address, host | "ip_taken", address, holder
//    | "ip_unavailable", address, "" | "exhausted", "", ""
// Requests in one call apply in order: a name twice is "existing" (or a conflict) the second time.
const char* const kAllocate = R"lua(
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
)lua";

// KEYS: vxlan:pool:reserved, available_ips, allocated_ips, container_ips, container_hosts,
//       ip_containers, vxlan:container_macs
// ARGV: name, host or "" (any host)
// -> {"released", address, host} | {"host_mismatch", address, owner} | {"not_found"}
const char* const kRelease = R"lua(
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
return {'released', address, owner}
)lua";

// KEYS: container_ips, container_hosts, vxlan:container_macs   ARGV: name, host, mac
// -> {"recorded", address} | {"host_mismatch", owner} | {"not_found"}
const char* const kRecordEndpoint = R"lua(
local address = redis.call('HGET', KEYS[1], ARGV[1])
if not address then return {'not_found'} end
local owner = redis.call('HGET', KEYS[2], ARGV[1]) or ''
if owner ~= ARGV[2] then return {'host_mismatch', owner} end
redis.call('HSET', KEYS[3], ARGV[1], ARGV[3])
return {'recorded', address}
)lua";

// KEYS: container_ips, container_hosts, vxlan:container_macs   ARGV: name
// -> {address, host, mac} | {}
const char* const kFind = R"lua(
local address = redis.call('HGET', KEYS[1], ARGV[1])
if not address then return {} end
return {address, redis.call('HGET', KEYS[2], ARGV[1]) or '', redis.call('HGET', KEYS[3], ARGV[1]) or ''}
)lua";

// KEYS: container_ips, container_hosts, vxlan:container_macs
// -> {name, address, host, mac, name, address, host, mac, ...}
const char* const kList = R"lua(
local function as_table(flat)
  local out = {}
  for i = 1, #flat, 2 do out[flat[i]] = flat[i + 1] end
  return out
end
local hosts = as_table(redis.call('HGETALL', KEYS[2]))
local macs = as_table(redis.call('HGETALL', KEYS[3]))
local out = {}
local flat = redis.call('HGETALL', KEYS[1])
for i = 1, #flat, 2 do
  out[#out + 1] = flat[i]
  out[#out + 1] = flat[i + 1]
  out[#out + 1] = hosts[flat[i]] or ''
  out[#out + 1] = macs[flat[i]] or ''
end
return out
)lua";

// KEYS: available_ips, allocated_ips, vxlan:pool
// -> {available, allocated, subnet or "", total or ""}
const char* const kStats = R"lua(
local meta = redis.call('HMGET', KEYS[3], 'subnet', 'total')
return {redis.call('SCARD', KEYS[1]), redis.call('SCARD', KEYS[2]), meta[1] or '', meta[2] or ''}
)lua";

// Every host script reads the clock from Redis, so that IPAM replicas on different machines agree
// on which hosts are alive.
#define VX_LUA_NOW "local clock = redis.call('TIME')\nlocal now = clock[1] * 1000 + math.floor(clock[2] / 1000)\n"

// KEYS: vxlan:hosts, vxlan:host_underlay, vxlan:host_agents
// ARGV: host id, underlay address, agent URL, ttl (ms)
// -> {"registered"} | {"underlay_taken", other host id}
// A live host of another id on the same underlay address is a conflict; a dead one is not.
const char* const kRegisterHost = VX_LUA_NOW R"lua(
local id, underlay, agent, ttl = ARGV[1], ARGV[2], ARGV[3], tonumber(ARGV[4])
local all = redis.call('HGETALL', KEYS[2])
for i = 1, #all, 2 do
  if all[i] ~= id and all[i + 1] == underlay then
    local seen = redis.call('ZSCORE', KEYS[1], all[i])
    if seen and now - tonumber(seen) < ttl then return {'underlay_taken', all[i]} end
  end
end
redis.call('ZADD', KEYS[1], now, id)
redis.call('HSET', KEYS[2], id, underlay)
redis.call('HSET', KEYS[3], id, agent)
return {'registered'}
)lua";

// KEYS: vxlan:hosts   ARGV: host id   -> {"alive"} | {"unknown"}
const char* const kHeartbeat = VX_LUA_NOW R"lua(
if not redis.call('ZSCORE', KEYS[1], ARGV[1]) then return {'unknown'} end
redis.call('ZADD', KEYS[1], now, ARGV[1])
return {'alive'}
)lua";

// KEYS: vxlan:hosts, vxlan:host_underlay, vxlan:host_agents   ARGV: host id
// -> {"left"} | {"unknown"}
const char* const kLeaveHost = R"lua(
if redis.call('ZREM', KEYS[1], ARGV[1]) == 0 then return {'unknown'} end
redis.call('HDEL', KEYS[2], ARGV[1])
redis.call('HDEL', KEYS[3], ARGV[1])
return {'left'}
)lua";

// KEYS: vxlan:hosts, vxlan:host_underlay, vxlan:host_agents, container_hosts
// ARGV: the gateways' name prefix, so that a host's count is of its containers only
// -> {now, id, underlay, agent, last heartbeat, containers, id, ...}
const char* const kListHosts = VX_LUA_NOW R"lua(
local counts = {}
local names = redis.call('HGETALL', KEYS[4])
for i = 1, #names, 2 do
  if string.sub(names[i], 1, #ARGV[1]) ~= ARGV[1] then
    counts[names[i + 1]] = (counts[names[i + 1]] or 0) + 1
  end
end
local out = {tostring(now)}
local hosts = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
for i = 1, #hosts, 2 do
  local id = hosts[i]
  out[#out + 1] = id
  out[#out + 1] = redis.call('HGET', KEYS[2], id) or ''
  out[#out + 1] = redis.call('HGET', KEYS[3], id) or ''
  out[#out + 1] = hosts[i + 1]
  out[#out + 1] = tostring(counts[id] or 0)
end
return out
)lua";

// KEYS: vxlan:hosts, vxlan:host_underlay, container_ips, container_hosts, vxlan:container_macs
// ARGV: ttl (ms)
// -> {host count, id, underlay, alive (1 or 0), ..., name, address, host, mac, ...}: every
//    registered host, then every endpoint whose MAC is known
const char* const kPeers = VX_LUA_NOW R"lua(
local hosts = redis.call('ZRANGE', KEYS[1], 0, -1, 'WITHSCORES')
local out = {tostring(#hosts / 2)}
for i = 1, #hosts, 2 do
  out[#out + 1] = hosts[i]
  out[#out + 1] = redis.call('HGET', KEYS[2], hosts[i]) or ''
  out[#out + 1] = now - tonumber(hosts[i + 1]) < tonumber(ARGV[1]) and '1' or '0'
end
local macs = redis.call('HGETALL', KEYS[5])
for i = 1, #macs, 2 do
  local address = redis.call('HGET', KEYS[3], macs[i])
  if address then
    out[#out + 1] = macs[i]
    out[#out + 1] = address
    out[#out + 1] = redis.call('HGET', KEYS[4], macs[i]) or ''
    out[#out + 1] = macs[i + 1]
  end
end
return out
)lua";

#undef VX_LUA_NOW

}  // namespace vx::lua
