#include "ipam/redis/scripts.h"

#include "ipam/redis/keys.h"
#include "proto/ipam.h"

// Each source reads its arguments through the locals argument_locals declares, named as the fields
// of its Args, and answers through reply{...}, with the fields of its Reply (scripts.h, shape.h).

namespace vx::ipam::lua {

// Scripts that read the clock read Redis's (scripts.h), so that IPAM replicas agree.
const char* const kNow = "local clock = redis.call('TIME')\nlocal now = clock[1] * 1000 + math.floor(clock[2] / 1000)\n";

// A new pool's free set: every address of its range but the reserved ones and those the registry
// holds already (a pool written again after Redis lost it under the agents' re-reservations).
const char* const kPoolFill = R"lua(
local function dotted(n)
  return string.format('%d.%d.%d.%d', math.floor(n / 16777216) % 256,
                       math.floor(n / 65536) % 256, math.floor(n / 256) % 256, n % 256)
end
local function fill_pool(k, first, last, is_reserved)
  local check_allocated = redis.call('SCARD', k.allocated) > 0
  redis.call('DEL', k.available)
  local batch = {}
  for n = first, last do
    local address = dotted(n)
    if not is_reserved[address] and
       not (check_allocated and redis.call('SISMEMBER', k.allocated, address) == 1) then
      batch[#batch + 1] = address
      if #batch == 1000 then
        redis.call('SADD', k.available, unpack(batch))
        batch = {}
      end
    end
  end
  if #batch > 0 then redis.call('SADD', k.available, unpack(batch)) end
  for address in pairs(is_reserved) do redis.call('SADD', k.reserved, address) end
end
)lua";

// The network-to-VNI records both ways, written together.
const char* const kNetworkRecord = R"lua(
local function record_network(networks, vnis, name, vni)
  redis.call('HSET', networks, name, vni)
  redis.call('HSET', vnis, vni, name)
end
)lua";

// KEYS: vxlan:pool, vxlan:pool:reserved, available_ips, allocated_ips, vxlan:networks,
//       vxlan:network_vnis
const Script<InitPool> kInitPool{"pool initialisation", std::string(kNow) + kPoolFill + kNetworkRecord + R"lua(
local k = {pool = KEYS[1], reserved = KEYS[2], available = KEYS[3], allocated = KEYS[4]}
local is_reserved = {}
for _, address in ipairs(reserved) do
  is_reserved[address] = true
  if redis.call('SISMEMBER', k.allocated, address) == 1 then
    return reply{outcome = 'reserved_in_use', address = address}
  end
end
local stored = redis.call('HMGET', k.pool, 'subnet', 'first', 'last')
local outcome = 'created'
if stored[1] then
  if stored[1] ~= subnet or tonumber(stored[2]) ~= first or tonumber(stored[3]) ~= last then
    return reply{outcome = 'mismatch', subnet = stored[1], first = dotted(tonumber(stored[2])),
                 last = dotted(tonumber(stored[3]))}
  end
  for _, address in ipairs(redis.call('SMEMBERS', k.reserved)) do
    if not is_reserved[address] then redis.call('SADD', k.available, address) end
  end
  redis.call('DEL', k.reserved)
  for address in pairs(is_reserved) do
    redis.call('SREM', k.available, address)
    redis.call('SADD', k.reserved, address)
  end
  outcome = 'existing'
else
  fill_pool(k, first, last, is_reserved)
  redis.call('HSET', k.pool, 'subnet', subnet, 'first', first, 'last', last)
  if quarantine_ms > 0 then redis.call('HSET', k.pool, 'quarantine_until', now + quarantine_ms) end
end
redis.call('HSET', k.pool, 'total', total, 'vni', vni, 'net_first', net_first, 'net_last', net_last)
record_network(KEYS[5], KEYS[6], )lua" + std::string("'") + std::string(proto::kDefaultNetwork) + R"lua(', vni)
return reply{outcome = outcome}
)lua",
                                 {keys::kPool, keys::kPoolReserved, keys::kAvailable, keys::kAllocated,
                                  keys::kNetworks, keys::kNetworkVnis}};

// KEYS: vxlan:networks, vxlan:network_vnis, vxlan:pool, vxlan:host_underlay
const Script<CreateNetwork> kCreateNetwork{"create network", std::string(kNow) + keys::lua_network_keys() + kPoolFill + kNetworkRecord + R"lua(
local networks, vnis = KEYS[1], KEYS[2]
-- The default network is checked against like any other: a Redis that lost it (wiped) takes it
-- back first (InitPool), or a network could take its subnet or VNI.
if redis.call('EXISTS', KEYS[3]) == 0 or not redis.call('HGET', networks, ')lua" + std::string(proto::kDefaultNetwork) + R"lua(') then
  return reply{outcome = 'uninitialised'}
end
local function dotted_to_number(text)
  local a, b, c, d = string.match(text, '^(%d+)%.(%d+)%.(%d+)%.(%d+)$')
  if not a then return nil end
  return ((tonumber(a) * 256 + tonumber(b)) * 256 + tonumber(c)) * 256 + tonumber(d)
end
-- A subnet that holds a host's underlay address would take the host's own traffic onto a bridge.
local underlays = redis.call('HGETALL', KEYS[4])
for i = 1, #underlays, 2 do
  local address = dotted_to_number(underlays[i + 1])
  if address and net_first <= address and address <= net_last then
    return reply{outcome = 'underlay_overlap', other = underlays[i], subnet = underlays[i + 1]}
  end
end
local held = redis.call('HGET', networks, name)
if held then
  local pool = redis.call('HMGET', network_keys(name).pool, 'subnet', 'first', 'last')
  if pool[1] == subnet and tonumber(pool[2]) == first and tonumber(pool[3]) == last and
     (vni == 0 or vni == tonumber(held)) then
    return reply{outcome = 'existing', vni = held}
  end
  return reply{outcome = 'name_taken', subnet = pool[1] or ''}
end
local all = redis.call('HGETALL', networks)
for i = 1, #all, 2 do
  local span = redis.call('HMGET', network_keys(all[i]).pool, 'net_first', 'net_last', 'subnet')
  if span[1] and tonumber(span[1]) <= net_last and net_first <= tonumber(span[2]) then
    return reply{outcome = 'overlap', other = all[i], subnet = span[3]}
  end
end
if vni ~= 0 then
  local holder = redis.call('HGET', vnis, vni)
  if holder then return reply{outcome = 'vni_taken', other = holder} end
else
  vni = )lua" + std::to_string(proto::kFirstChosenVni) + R"lua(
  while redis.call('HEXISTS', vnis, vni) == 1 do vni = vni + 1 end
  if vni > )lua" + std::to_string(proto::kMaxVni) + R"lua( then return reply{outcome = 'no_vni'} end
end
local k = network_keys(name)
fill_pool(k, first, last, {})
redis.call('HSET', k.pool, 'subnet', subnet, 'first', first, 'last', last, 'total', total, 'vni', vni,
           'net_first', net_first, 'net_last', net_last)
if quarantine_ms > 0 then redis.call('HSET', k.pool, 'quarantine_until', now + quarantine_ms) end
record_network(networks, vnis, name, vni)
return reply{outcome = 'created', vni = vni}
)lua",
                                           {keys::kNetworks, keys::kNetworkVnis, keys::kPool, keys::kHostUnderlay}};

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

// The network a registered name is on: only names off the default network are in
// vxlan:container_networks.
const std::string kNetworkOf = R"lua(
local function network_of(container_networks, name)
  return redis.call('HGET', container_networks, name) or ')lua" + std::string(proto::kDefaultNetwork) + R"lua('
end
local function network_fields(network)
  if network == ')lua" + std::string(proto::kDefaultNetwork) + R"lua(' then return end
  return 'network', network
end
)lua";

// Frees a registered name's address and forgets the name, as a change; `r` holds the registry's
// keys. The address goes back to the free set unless it has since been reserved.
const std::string kForgetName = kChangeLog + kNetworkOf + keys::lua_network_keys() + R"lua(
local function forget_name(r, name)
  local address = redis.call('HGET', r.ips, name)
  local owner = redis.call('HGET', r.hosts, name) or ''
  local network = network_of(r.networks, name)
  local k = network_keys(network)
  for _, key in ipairs({r.ips, r.hosts, r.networks}) do redis.call('HDEL', key, name) end
  local mac = redis.call('HGET', r.macs, name)
  redis.call('HDEL', r.macs, name)
  if mac and redis.call('HGET', r.mac_index, mac) == name then redis.call('HDEL', r.mac_index, mac) end
  if redis.call('HGET', r.ip_index, address) == name then redis.call('HDEL', r.ip_index, address) end
  redis.call('SREM', k.allocated, address)
  if redis.call('SISMEMBER', k.reserved, address) == 0 and redis.call('EXISTS', k.pool) == 1 then
    redis.call('SADD', k.available, address)
  end
  log_change('delete', 'endpoint', 'container_name', name, 'ip_address', address, 'host_id', owner,
             network_fields(network))
  return address, owner
end
)lua";

// The registry's keys in the order the scripts that forget names list them first.
const std::vector<std::string> kRegistryKeys{keys::kContainerIps, keys::kContainerHosts, keys::kContainerNetworks,
                                             keys::kContainerMacs, keys::kMacContainers, keys::kIpContainers};
const char* const kRegistryLocals = R"lua(
local r = {ips = KEYS[1], hosts = KEYS[2], networks = KEYS[3], macs = KEYS[4], mac_index = KEYS[5],
           ip_index = KEYS[6]}
)lua";

std::vector<std::string> registry_keys_and(std::vector<std::string> more) {
  std::vector<std::string> all = kRegistryKeys;
  all.insert(all.end(), more.begin(), more.end());
  return all;
}

// KEYS: the registry's, vxlan:pool, vxlan:host_instances, vxlan:revision, vxlan:changes
const Script<Allocate> kAllocate{"allocate", kChangeLog + kInstanceCheck + kNetworkOf + keys::lua_network_keys() + kRegistryLocals + R"lua(
local pool = redis.call('HMGET', KEYS[7], 'subnet', 'first', 'last')
if not pool[1] then return reply{status = 'uninitialised'} end
if pool[1] ~= subnet or tonumber(pool[2]) ~= first or tonumber(pool[3]) ~= last then
  return reply{status = 'pool_mismatch'}
end
local clock = redis.call('TIME')
local now = clock[1] * 1000 + math.floor(clock[2] / 1000)
-- Per network: its keys, and how long it stays quarantined (InitPool): while the agents reserve
-- their containers' addresses again after a registry loss, an address handed to a new name could
-- be one a running container holds. False for a network Redis does not hold.
local known = {}
local function network_state(network)
  if known[network] == nil then
    local k = network_keys(network)
    local stored = redis.call('HMGET', k.pool, 'subnet', 'quarantine_until')
    known[network] = stored[1] and {keys = k, quarantine_left = tonumber(stored[2] or 0) - now} or false
  end
  return known[network]
end
local function allocate(name, host, wanted, instance, network)
  if wrong_instance(KEYS[8], host, instance) then return {outcome = 'wrong_instance'} end
  local held = redis.call('HGET', r.ips, name)
  if held then
    local owner = redis.call('HGET', r.hosts, name) or ''
    if owner ~= host then return {outcome = 'name_conflict', address = held, owner = owner} end
    local on = network_of(r.networks, name)
    if on ~= network then return {outcome = 'name_on_other_network', address = held, network = on} end
    if wanted ~= '' and wanted ~= held then return {outcome = 'name_holds_other_ip', address = held, owner = owner} end
    return {outcome = 'existing', address = held, owner = owner}
  end
  local state = network_state(network)
  if not state then return {outcome = 'unknown_network'} end
  if wanted == '' and state.quarantine_left > 0 then
    return {outcome = 'quarantined', address = string.format('%d', state.quarantine_left)}
  end
  local address = wanted
  if wanted ~= '' then
    if redis.call('SREM', state.keys.available, wanted) == 0 then
      local holder = redis.call('HGET', r.ip_index, wanted)
      if holder then return {outcome = 'ip_taken', address = wanted, holder = holder} end
      return {outcome = 'ip_unavailable', address = wanted}
    end
  else
    address = redis.call('SPOP', state.keys.available)
    if not address then return {outcome = 'exhausted'} end
  end
  redis.call('SADD', state.keys.allocated, address)
  redis.call('HSET', r.ips, name, address)
  redis.call('HSET', r.hosts, name, host)
  redis.call('HSET', r.ip_index, address, name)
  if network_fields(network) then redis.call('HSET', r.networks, name, network) end
  log_change('put', 'endpoint', 'container_name', name, 'ip_address', address, 'host_id', host,
             network_fields(network))
  return {outcome = 'created', address = address, owner = host}
end
local outcomes = {}
for _, request in ipairs(requests) do
  outcomes[#outcomes + 1] = allocate(request.name, request.host, request.wanted, request.instance, request.network)
end
return reply{status = 'applied', outcomes = outcomes}
)lua",
                                 registry_keys_and({keys::kPool, keys::kHostInstances, keys::kRevision, keys::kChanges})};

// KEYS: the registry's, vxlan:hosts_alive, vxlan:host_instances, vxlan:revision, vxlan:changes
const Script<Release> kRelease{"release", kForgetName + kInstanceCheck + kRegistryLocals + R"lua(
local address = redis.call('HGET', r.ips, name)
if not address then return reply{outcome = 'not_found'} end
local owner = redis.call('HGET', r.hosts, name) or ''
local on = network_of(r.networks, name)
if host ~= '' and owner ~= host then
  return reply{outcome = 'host_mismatch', address = address, owner = owner, network = on}
end
if network ~= '' and on ~= network then
  return reply{outcome = 'network_mismatch', address = address, owner = owner, network = on}
end
if mac ~= '' and (redis.call('HGET', r.macs, name) or '') ~= mac then
  return reply{outcome = 'mac_mismatch', address = address, owner = owner, network = on}
end
if wrong_instance(KEYS[8], host, instance) then return reply{outcome = 'wrong_instance'} end
-- The agent of a live host would reserve the address again for the container still holding it;
-- in between, it could go to another name.
if host == '' and redis.call('ZSCORE', KEYS[7], owner) then
  return reply{outcome = 'owner_alive', address = address, owner = owner, network = on}
end
forget_name(r, name)
return reply{outcome = 'released', address = address, owner = owner, network = on}
)lua",
                               registry_keys_and({keys::kHostsAlive, keys::kHostInstances, keys::kRevision, keys::kChanges})};

// KEYS: the registry's, vxlan:networks, vxlan:network_vnis, vxlan:revision, vxlan:changes
const Script<DeleteNetwork> kDeleteNetwork{"delete network", kForgetName + kRegistryLocals + R"lua(
if name == ')lua" + std::string(proto::kDefaultNetwork) + R"lua(' then return reply{outcome = 'default'} end
local vni = redis.call('HGET', KEYS[7], name)
if not vni then return reply{outcome = 'not_found'} end
local k = network_keys(name)
local gateway_prefix = ')lua" + std::string(proto::kNetworkGatewayPrefix) + R"lua(' .. name .. '.'
local gateways = {}
for _, address in ipairs(redis.call('SMEMBERS', k.allocated)) do
  local holder = redis.call('HGET', r.ip_index, address)
  if holder and string.sub(holder, 1, #gateway_prefix) ~= gateway_prefix then
    return reply{outcome = 'in_use', holder = holder}
  end
  if holder then gateways[#gateways + 1] = holder end
end
for _, gateway in ipairs(gateways) do forget_name(r, gateway) end
redis.call('DEL', k.pool, k.reserved, k.available, k.allocated)
redis.call('HDEL', KEYS[7], name)
if redis.call('HGET', KEYS[8], vni) == name then redis.call('HDEL', KEYS[8], vni) end
return reply{outcome = 'deleted', gateways = #gateways}
)lua",
                                           registry_keys_and({keys::kNetworks, keys::kNetworkVnis, keys::kRevision, keys::kChanges})};

// KEYS: vxlan:networks
const Script<ListNetworks> kListNetworks{"list networks", keys::lua_network_keys() + R"lua(
local names = {}
if name ~= '' then
  if redis.call('HEXISTS', KEYS[1], name) == 1 then names = {name} end
else
  names = redis.call('HKEYS', KEYS[1])
  table.sort(names)
end
local out = {}
for _, network in ipairs(names) do
  local k = network_keys(network)
  local pool = redis.call('HMGET', k.pool, 'subnet', 'vni', 'first', 'last', 'total')
  if pool[1] then
    out[#out + 1] = {name = network, subnet = pool[1], vni = pool[2], first = pool[3], last = pool[4],
                     total = pool[5], allocated = redis.call('SCARD', k.allocated),
                     available = redis.call('SCARD', k.available)}
  end
end
return reply{networks = out}
)lua",
                                         {keys::kNetworks}};

// KEYS: container_ips, container_hosts, vxlan:container_macs, vxlan:mac_containers,
//       vxlan:host_instances, vxlan:container_networks, vxlan:revision, vxlan:changes
const Script<RecordEndpoint> kRecordEndpoint{"record endpoint", kChangeLog + kInstanceCheck + kNetworkOf + R"lua(
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
             'mac_address', mac, network_fields(network_of(KEYS[6], name)))
end
return reply{outcome = 'recorded', address = address}
)lua",
                                             {keys::kContainerIps, keys::kContainerHosts, keys::kContainerMacs, keys::kMacContainers, keys::kHostInstances, keys::kContainerNetworks, keys::kRevision, keys::kChanges}};

// KEYS: the registry's, vxlan:host_instances, vxlan:revision, vxlan:changes
const Script<Rename> kRename{"rename", kChangeLog + kInstanceCheck + kNetworkOf + kRegistryLocals + R"lua(
local address = redis.call('HGET', r.ips, name)
if not address then return reply{outcome = 'not_found'} end
local owner = redis.call('HGET', r.hosts, name) or ''
if owner ~= host then return reply{outcome = 'host_mismatch', owner = owner} end
if wrong_instance(KEYS[7], host, instance) then return reply{outcome = 'wrong_instance'} end
local held = redis.call('HGET', r.ips, to)
if held then
  return reply{outcome = 'name_conflict', address = held, owner = redis.call('HGET', r.hosts, to) or ''}
end
local network = network_of(r.networks, name)
local mac = redis.call('HGET', r.macs, name)
for _, key in ipairs({r.ips, r.hosts, r.networks, r.macs}) do redis.call('HDEL', key, name) end
redis.call('HSET', r.ips, to, address)
redis.call('HSET', r.hosts, to, host)
redis.call('HSET', r.ip_index, address, to)
if network_fields(network) then redis.call('HSET', r.networks, to, network) end
-- Only the last expression of an argument list spreads all its values: the optional fields are
-- gathered in one table.
local put = {'container_name', to, 'ip_address', address, 'host_id', host}
if mac then
  redis.call('HSET', r.macs, to, mac)
  redis.call('HSET', r.mac_index, mac, to)
  put[#put + 1], put[#put + 2] = 'mac_address', mac
end
if network_fields(network) then put[#put + 1], put[#put + 2] = network_fields(network) end
log_change('delete', 'endpoint', 'container_name', name, 'ip_address', address, 'host_id', host,
           network_fields(network))
log_change('put', 'endpoint', unpack(put))
return reply{outcome = 'renamed', address = address, mac = mac or '', network = network}
)lua",
                             registry_keys_and({keys::kHostInstances, keys::kRevision, keys::kChanges})};

// KEYS: container_ips, container_hosts, vxlan:container_macs, vxlan:container_networks
const Script<Find> kFind{"find", kNetworkOf + R"lua(
local address = redis.call('HGET', KEYS[1], name)
if not address then return reply{} end
return reply{address = address, host = redis.call('HGET', KEYS[2], name), mac = redis.call('HGET', KEYS[3], name),
             network = network_of(KEYS[4], name)}
)lua",
                         {keys::kContainerIps, keys::kContainerHosts, keys::kContainerMacs, keys::kContainerNetworks}};

// KEYS: vxlan:networks (the network's own keys follow from its name)
const Script<Stats> kStats{"stats", keys::lua_network_keys() + R"lua(
local k = network_keys(network)
local meta = redis.call('HMGET', k.pool, 'subnet', 'total')
return reply{available = redis.call('SCARD', k.available), allocated = redis.call('SCARD', k.allocated),
             subnet = meta[1], total = meta[2]}
)lua",
                           {keys::kNetworks}};

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
