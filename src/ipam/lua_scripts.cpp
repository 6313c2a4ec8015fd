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
//       ip_containers
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
if redis.call('HGET', KEYS[6], address) == name then redis.call('HDEL', KEYS[6], address) end
redis.call('SREM', KEYS[3], address)
if redis.call('SISMEMBER', KEYS[1], address) == 0 then redis.call('SADD', KEYS[2], address) end
return {'released', address, owner}
)lua";

// KEYS: container_ips, container_hosts   ARGV: name
// -> {address, host} | {}
const char* const kFind = R"lua(
local address = redis.call('HGET', KEYS[1], ARGV[1])
if not address then return {} end
return {address, redis.call('HGET', KEYS[2], ARGV[1]) or ''}
)lua";

// KEYS: container_ips, container_hosts
// -> {name, address, host, name, address, host, ...}
const char* const kList = R"lua(
local out = {}
local hosts = {}
local flat_hosts = redis.call('HGETALL', KEYS[2])
for i = 1, #flat_hosts, 2 do hosts[flat_hosts[i]] = flat_hosts[i + 1] end
local flat = redis.call('HGETALL', KEYS[1])
for i = 1, #flat, 2 do
  out[#out + 1] = flat[i]
  out[#out + 1] = flat[i + 1]
  out[#out + 1] = hosts[flat[i]] or ''
end
return out
)lua";

// KEYS: available_ips, allocated_ips, vxlan:pool
// -> {available, allocated, subnet or "", total or ""}
const char* const kStats = R"lua(
local meta = redis.call('HMGET', KEYS[3], 'subnet', 'total')
return {redis.call('SCARD', KEYS[1]), redis.call('SCARD', KEYS[2]), meta[1] or '', meta[2] or ''}
)lua";

}  // namespace vx::lua
