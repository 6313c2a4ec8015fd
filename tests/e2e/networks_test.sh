#!/usr/bin/env bash
# Several overlay networks on a real 3-host lab (prefix "nw"): two networks made with vxctl, each
# with containers on host1 and host2 and none on host3. Within a network containers reach each
# other across hosts; between networks nothing passes, across hosts or on one host through its
# routing; each network's packets carry its own VNI on the wire; a network's floods go only to the
# hosts with its containers; a network in use cannot be removed; an agent restart keeps it all.
# The lab is torn down on every exit path.
#   networks_test.sh [BIN_DIR]     (default: build/bin)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/tests/e2e/checks.sh"
use_lab "${E2E_PREFIX:-nw}" networks
export LAB_BIN_DIR=${1:-${LAB_BIN_DIR:-$ROOT/build/bin}}

vx() {
  lab vxctl "$@" >"$OUT/out" 2>"$OUT/err"
  rc=$?
}
js() { jq -r "$1" "$OUT/out"; }
# pings HOST FROM ADDRESS: one echo from container FROM (on HOST) to ADDRESS answered within 1 s.
pings() { lab docker "$1" exec "$2" ping -c 1 -W 1 "$3" >/dev/null 2>&1; }
healthy() { [[ $(lab exec "host$1" curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:8001/health) == 200 ]]; }
address_of() { lab vxctl --json inspect "$1" | jq -r .ip_address; }
# fdb_dsts HOST DEVICE: the underlay addresses of the device's flood entries.
flood_dsts() {
  lab exec "$1" bridge fdb show dev "$2" | awk '$1 == "00:00:00:00:00:00" { for (i = 1; i <= NF; i++) if ($i == "dst") print $(i + 1) }' | sort | tr '\n' ' '
}

echo "# bringing up a 3-host lab '$P'"
lab up --hosts 3 >"$OUT/up.log" 2>&1 || { cat "$OUT/up.log"; echo "0 passed, 1 failed"; exit 1; }
eval "$(lab env)"
must "the three agents report healthy" eventually 30 bash -c \
  "$(declare -f lab healthy); P=$P ROOT=$ROOT; healthy 1 && healthy 2 && healthy 3"

echo "# two networks"
vx network create blue --subnet 10.30.0.0/24
must "vxctl network create blue" test "$rc" = 0
vx --json network inspect blue
expect_eq "blue got the first free VNI from 4097" "$(js '"\(.subnet) \(.vni)"')" "10.30.0.0/24 4097"
vx network create red --subnet 10.31.0.0/24 --vni 5000
must "vxctl network create red --vni 5000" test "$rc" = 0
vx network create pink --subnet 10.31.0.128/25
expect_eq "an overlapping subnet is refused (exit 4)" "$rc" 4
check "with a clear message" grep -q "overlaps 10.31.0.0/24 of network 'red'" "$OUT/err"
vx network ls
check "network ls lists the three networks" bash -c \
  "grep -Eq '^blue +10\.30\.0\.0/24 +4097 ' '$OUT/out' && grep -Eq '^red +10\.31\.0\.0/24 +5000 ' '$OUT/out' &&
   grep -Eq '^vxlan-net +172\.20\.0\.0/16 +100 ' '$OUT/out'"

for spec in "b1 blue host1" "b2 blue host2" "r1 red host1" "r2 red host2" "d1 vxlan-net host1" "d2 vxlan-net host2" \
  "d3 vxlan-net host3"; do
  read -r name network host <<<"$spec"
  vx run "$name" nginx:alpine --host "$host" --network "$network"
  must "vxctl run $name on $host, network $network" test "$rc" = 0
done
b1=$(address_of b1) b2=$(address_of b2) r1=$(address_of r1) r2=$(address_of r2) d1=$(address_of d1) d2=$(address_of d2)
d3=$(address_of d3)
check "each container has an address of its own network's subnet" bash -c \
  "[[ $b1 == 10.30.0.* && $b2 == 10.30.0.* && $r1 == 10.31.0.* && $r2 == 10.31.0.* && $d1 == 172.20.* ]]"
vx ps
check "ps shows each container's network" bash -c "grep -Eq '^b2 +host2 .* blue$' '$OUT/out' && grep -Eq '^r1 +host1 .* red$' '$OUT/out'"
check "host1 carries blue on br-vx4097 and vxlan4097 with VNI 4097" bash -c \
  "$(declare -f lab); P=$P ROOT=$ROOT; lab exec host1 ip -d link show vxlan4097 | grep -q 'vxlan id 4097' &&
   lab exec host1 ip link show vxlan4097 | grep -q 'master br-vx4097'"
check "host3, with no container on blue, does not carry it" bash -c \
  "$(declare -f lab); P=$P ROOT=$ROOT; ! lab exec host3 ip link show vxlan4097"

echo "# reach within a network, across hosts"
check "b1 (host1) reaches b2 (host2)" eventually 10 pings host1 b1 "$b2"
check "r2 (host2) reaches r1 (host1)" eventually 10 pings host2 r2 "$r1"
check "d3 (host3) reaches d1 (host1) on the default network" eventually 10 pings host3 d3 "$d1"

echo "# isolation both ways, across hosts and on one host"
for probe in "host1 b1 $r2 blue-to-red-across" "host2 r2 $b1 red-to-blue-across" "host1 b1 $r1 blue-to-red-on-host1" \
  "host1 r1 $b1 red-to-blue-on-host1" "host1 d1 $b1 default-to-blue-on-host1" "host2 b2 $d1 blue-to-default-across" \
  "host1 b1 $d1 blue-to-default-on-host1"; do
  read -r host from to what <<<"$probe"
  check "$what: $from cannot reach $to" bash -c "$(declare -f lab pings); P=$P ROOT=$ROOT; ! pings $host $from $to && ! pings $host $from $to"
done
check "host1 keeps each bridge from the other networks' subnets" bash -c \
  "$(declare -f lab); P=$P ROOT=$ROOT; lab exec host1 ip rule show | tee /dev/stderr | grep -q 'to 10.31.0.0/24 iif br-vx4097 prohibit'"
# Those rules are what stops it: without them the host routes between its bridges.
lab stop agent-host1 >/dev/null 2>&1
while lab exec host1 ip rule del pref 100 2>/dev/null; do :; done
check "with host1's agent stopped and its rules flushed, b1 reaches r1 through host1" eventually 5 pings host1 b1 "$r1"
lab restart agent-host1 >/dev/null 2>&1
check "the agent started again keeps them apart again" eventually 30 bash -c \
  "$(declare -f lab pings); P=$P ROOT=$ROOT; ! pings host1 b1 $r1"
lab exec host1 ip rule del pref 100 2>/dev/null
check "a rule deleted by hand comes back within seconds" eventually 10 bash -c \
  "$(declare -f lab); P=$P ROOT=$ROOT; [[ \$(lab exec host1 ip rule show pref 100 | wc -l) == 6 ]]"

echo "# names across hosts, within a network only"
# resolves HOST FROM NAME: the address NAME resolves to in container FROM, or nothing.
resolves() { lab docker "$1" exec "$2" nslookup "$3" 2>/dev/null | awk '/^Name:/ { named = 1 } named && /^Address/ { print $NF; exit }'; }
expect_eq "b1 (host1) resolves b2 (host2) to its overlay address" "$(resolves host1 b1 b2)" "$b2"
expect_eq "r2 (host2) resolves r1 (host1)" "$(resolves host2 r2 r1)" "$r1"
expect_eq "b1 does not resolve r2, of another network" "$(resolves host1 b1 r2)" ""
expect_eq "nor r1 on its own host" "$(resolves host1 b1 r1)" ""
expect_eq "d3 (host3) resolves d1 on the default network" "$(resolves host3 d3 d1)" "$d1"
check "b1 reaches b2 by name" pings host1 b1 b2
vx run b3 nginx:alpine --host host2 --network blue
b3=$(address_of b3)
check "a new container's name resolves on another host within 1 s of its create" eventually 1 bash -c \
  "$(declare -f lab resolves); P=$P ROOT=$ROOT; [[ \$(resolves host1 b1 b3) == '$b3' ]]"
vx rm b3
check "and stops resolving within 1 s of its removal" eventually 1 bash -c \
  "$(declare -f lab resolves); P=$P ROOT=$ROOT; [[ -z \$(resolves host1 b1 b3) ]]"
check "host1's agent serves blue's names on blue's gateway only" bash -c \
  "$(declare -f lab); P=$P ROOT=$ROOT; lab exec host1 ss -ulpn | grep -q '10.30.0.[0-9]*%br-vx4097:53'"

echo "# each network's VNI on the wire"
lab exec host2 timeout 8 tcpdump -l -n -v -i "$LAB_UNDERLAY_DEV" -c 40 udp port 4789 >"$OUT/wire" 2>/dev/null &
dump=$!
sleep 1.5
lab docker host1 exec b1 ping -c 3 -W 1 "$b2" >/dev/null 2>&1
lab docker host1 exec r1 ping -c 3 -W 1 "$r2" >/dev/null 2>&1
wait "$dump"
check "blue's packets carry VNI 4097" grep -q "vni 4097" "$OUT/wire"
check "red's packets carry VNI 5000" grep -q "vni 5000" "$OUT/wire"
check "nothing of blue's goes with red's VNI or the default's" bash -c \
  "! grep -A1 'vni 5000' '$OUT/wire' | grep -q '$b1 >' && ! grep -A1 'vni 100\b' '$OUT/wire' | grep -q '$b1 >'"

echo "# no ARP across the overlay for a known container, and no IPv6 noise"
# flush_neighbours HOST CONTAINER: empties the container's ARP cache, from its host (the container
# itself may not).
flush_neighbours() {
  lab exec "$1" nsenter --net="/proc/$(lab docker "$1" inspect -f '{{.State.Pid}}' "$2")/ns/net" ip neigh flush all
}
check "host1's vxlan0 answers for d2 itself (proxy, and a neighbour entry for d2)" bash -c \
  "$(declare -f lab); P=$P ROOT=$ROOT; lab exec host1 ip -d link show vxlan0 | grep -q ' proxy ' &&
   lab exec host1 ip neigh show dev vxlan0 | grep -q '^$d2 lladdr .* PERMANENT'"
lab exec host3 timeout 8 tcpdump -l -n -i "$LAB_UNDERLAY_DEV" udp port 4789 >"$OUT/arp" 2>/dev/null &
dump=$!
sleep 1.5
flush_neighbours host1 d1
check "d1 (host1) reaches d2 (host2) with an empty ARP cache" pings host1 d1 "$d2"
flush_neighbours host1 d1
pings host1 d1 "$d3"  # to host3 itself: the capture sees the overlay
vx run d4 nginx:alpine --host host1  # a new container's interface coming up
wait "$dump"
check "the capture on host3 sees the overlay: d1's echo request to d3" grep -q "$d1 > $d3: ICMP echo request" "$OUT/arp"
check "host3's underlay carries no ARP at all" bash -c "cat '$OUT/arp' | head -n 20; ! grep -q 'ARP' '$OUT/arp'"
check "and no IPv6 (router solicitations, neighbour discovery) crosses the overlay" bash -c "! grep -q 'IP6' '$OUT/arp'"

echo "# floods only towards the hosts with containers on the network"
expect_eq "host1's blue device floods to host2 alone" "$(flood_dsts host1 vxlan4097)" "$LAB_HOST2_IP "
expect_eq "host1's default device floods to host2 and host3" "$(flood_dsts host1 vxlan0)" "$LAB_HOST2_IP $LAB_HOST3_IP "

echo "# a network in use is not removed"
vx network rm blue
expect_eq "vxctl network rm blue while b1 and b2 run (exit 4)" "$rc" 4
check "it names a container on it" grep -Eq "container 'b[12]' holds an address on it" "$OUT/err"
vx network rm vxlan-net
expect_eq "the default network is never removed (exit 2)" "$rc" 2

echo "# an agent restart keeps it all"
lab restart agent-host1 >/dev/null 2>&1
must "host1's agent is healthy again" eventually 30 bash -c "$(declare -f lab healthy); P=$P ROOT=$ROOT; healthy 1"
check "b1 still reaches b2" eventually 10 pings host1 b1 "$b2"
check "and still not r2" bash -c "$(declare -f lab pings); P=$P ROOT=$ROOT; ! pings host1 b1 $r2"
check "nor r1 on its own host" bash -c "$(declare -f lab pings); P=$P ROOT=$ROOT; ! pings host1 b1 $r1"
expect_eq "host1's blue floods are as before" "$(flood_dsts host1 vxlan4097)" "$LAB_HOST2_IP "
vx --json check
expect_eq "vxctl check finds the cluster consistent" "$rc" "0"

echo "# Redis loses everything: the networks come back with their VNIs, the containers with their addresses"
lab exec ctl redis-cli FLUSHALL >/dev/null
check "blue is written back by its hosts, with VNI 4097" eventually 20 bash -c \
  "$(declare -f lab); P=$P ROOT=$ROOT; [[ \$(lab vxctl --json network inspect blue | jq -r .vni) == 4097 ]]"
check "red too, with VNI 5000" eventually 20 bash -c \
  "$(declare -f lab); P=$P ROOT=$ROOT; [[ \$(lab vxctl --json network inspect red | jq -r .vni) == 5000 ]]"
check "b1 and r2 are registered again at their addresses, on their networks" eventually 20 bash -c \
  "$(declare -f lab); P=$P ROOT=$ROOT; [[ \$(lab vxctl --json inspect b1 | jq -r '.ip_address + \" \" + .network') == '$b1 blue' &&
     \$(lab vxctl --json inspect r2 | jq -r '.ip_address + \" \" + .network') == '$r2 red' ]]"
check "b1 still reaches b2 by name" eventually 10 pings host1 b1 b2

echo "# removing the containers frees the network"
for name in b1 b2; do
  vx rm "$name"
  check "vxctl rm $name" test "$rc" = 0
done
vx network rm blue
expect_eq "vxctl network rm blue once nothing is on it" "$rc" 0
vx --json network ls
expect_eq "blue is gone, red and the default stay" "$(js '[.[].name] | join(",")')" "red,vxlan-net"

finish
