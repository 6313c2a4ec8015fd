#!/usr/bin/env bash
# The seed's "Testing & Validation", made executable on a real multi-host lab (lab/lab, prefix
# "ve"): real dockerd per host, real vxlan0 devices in real namespaces, Redis and vxlan-ipam in a
# controller namespace, vxlan-agent on every host. Each step of the issue is one section below.
# The lab is torn down on every exit path. The last line is "N passed, M failed".
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/tests/e2e/checks.sh"
use_lab "${E2E_PREFIX:-ve}" e2e

agent() {   # HOST METHOD PATH: the agent's API, from inside that host
  lab exec "host$1" curl -s -m 60 -X "$2" "http://127.0.0.1:8001$3"
}
agent_status() {   # HOST METHOD PATH: the HTTP status only
  lab exec "host$1" curl -s -m 60 -o "$OUT/body" -w '%{http_code}' -X "$2" "http://127.0.0.1:8001$3"
}
ipam() { lab exec host1 curl -s -m 10 "http://10.99.0.2:8000$1"; }
dk() { local h=$1; shift; lab docker "host$h" "$@"; }
healthy() { [[ $(lab exec "host$1" curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:8001/health) == 200 ]]; }
pings() { dk "$1" exec "$2" ping -c 1 -W 1 "$3"; }
fetches() { [[ $(dk "$1" exec "$2" timeout 5 wget -qO- "http://$3/") == hello ]]; }
fdb_has() { lab exec "host$1" bridge fdb show dev vxlan0 | grep -q "$2 dst $3"; }
fdb_lacks() { ! lab exec "host$1" bridge fdb show dev vxlan0 | grep -q "$2"; }
no_duplicate_fdb() { [[ -z $(lab exec "host$1" bridge fdb show dev vxlan0 | grep dst | sort | uniq -d) ]]; }
addr_of() { ipam /containers | jq -r --arg n "$1" '.[] | select(.container_name == $n) | .ip_address'; }
host_of() { ipam /containers | jq -r --arg n "$1" '.[] | select(.container_name == $n) | .host_id'; }

echo "# bringing up a 2-host lab '$P'"
lab up --hosts 2 >"$OUT/up.log" 2>&1 || { cat "$OUT/up.log"; echo "0 passed, 1 failed"; exit 1; }
check "both agents report healthy" eventually 20 bash -c "$(declare -f lab healthy); P=$P ROOT=$ROOT; healthy 1 && healthy 2"

echo "# 1. create test1 on host1 and test2 on host2 through the agents (the seed's query form)"
r1=$(agent 1 POST "/create_container?container_name=test1&image=nginx:alpine")
r2=$(agent 2 POST "/create_container?container_name=test2&image=nginx:alpine")
expect_eq "test1 created" "$(jq -r .success <<<"$r1")/$(jq -r .status <<<"$r1")" "true/running"
expect_eq "test2 created" "$(jq -r .success <<<"$r2")/$(jq -r .status <<<"$r2")" "true/running"
ip1=$(jq -r .ip_address <<<"$r1")
ip2=$(jq -r .ip_address <<<"$r2")

echo "# 2. the IPAM's registry: hosts, unique addresses, a distinct gateway per host"
expect_eq "the IPAM lists test1 on host1" "$(host_of test1)/$(addr_of test1)" "host1/$ip1"
expect_eq "the IPAM lists test2 on host2" "$(host_of test2)/$(addr_of test2)" "host2/$ip2"
check "addresses are in 172.20.0.0/16 and differ" bash -c "[[ $ip1 == 172.20.* && $ip2 == 172.20.* && $ip1 != $ip2 ]]"
gw1=$(addr_of vxlan-gateway.host1)
gw2=$(addr_of vxlan-gateway.host2)
check "each host has its own gateway address from the pool" bash -c "[[ -n '$gw1' && -n '$gw2' && '$gw1' != '$gw2' && '$gw1' != '$ip1' && '$gw2' != '$ip2' ]]"
expect_eq "host1's vxlan-net uses host1's gateway" "$(dk 1 network inspect vxlan-net -f '{{(index .IPAM.Config 0).Gateway}}')" "$gw1"
expect_eq "host2's vxlan-net uses host2's gateway" "$(dk 2 network inspect vxlan-net -f '{{(index .IPAM.Config 0).Gateway}}')" "$gw2"
expect_eq "test1 is on the overlay network only" "$(dk 1 inspect test1 -f '{{range $k, $v := .NetworkSettings.Networks}}{{$k}} {{end}}')" "vxlan-net "
expect_eq "the IPAM's addresses all differ" "$(ipam /containers | jq -r '.[].ip_address' | sort | uniq -d | wc -l)" "0"

echo "# 3. ping both ways and fetch HTTP across hosts, from inside the containers"
check "test1 reaches test2" eventually 5 pings 1 test1 "$ip2"
check "ping test1 -> test2 (3 packets)" dk 1 exec test1 ping -c 3 -W 1 "$ip2"
check "ping test2 -> test1 (3 packets)" dk 2 exec test2 ping -c 3 -W 1 "$ip1"
check "HTTP test1 -> test2" fetches 1 test1 "$ip2"
check "HTTP test2 -> test1" fetches 2 test2 "$ip1"

echo "# 4. the underlay carries it as VXLAN, VNI 100, UDP 4789"
lab exec host2 timeout 10 tcpdump -nli "${P}ul0" -c 4 udp port 4789 >"$OUT/capture" 2>/dev/null &
capture=$!
sleep 1
dk 1 exec test1 ping -c 3 -W 1 "$ip2" >/dev/null
wait "$capture"
echo "  capture: $(grep -m1 VXLAN "$OUT/capture")"
check "the capture shows VXLAN with VNI 100 on port 4789" grep -q "\.4789: VXLAN, flags \[I\] (0x08), vni 100" "$OUT/capture"

echo "# 5. full-size packets cross: the container MTU is the underlay's minus 50"
expect_eq "test1's MTU" "$(dk 1 exec test1 cat /sys/class/net/eth0/mtu)" "1450"
check "ping -s 1472 test1 -> test2 (a 1500-byte packet)" dk 1 exec test1 ping -c 2 -W 2 -s 1472 "$ip2"
check "ping -s 1472 test2 -> test1" dk 2 exec test2 ping -c 2 -W 2 -s 1472 "$ip1"

echo "# 6. restart Redis, the IPAM and every agent: mappings persist, traffic flows"
for daemon in redis ipam agent-host1 agent-host2; do lab restart "$daemon" >>"$OUT/restart.log" 2>&1 || bad "restart $daemon"; done
check "both agents are healthy again" eventually 20 bash -c "$(declare -f lab healthy); P=$P ROOT=$ROOT; healthy 1 && healthy 2"
expect_eq "test1 keeps its address and host" "$(host_of test1)/$(addr_of test1)" "host1/$ip1"
expect_eq "test2 keeps its address and host" "$(host_of test2)/$(addr_of test2)" "host2/$ip2"
expect_eq "gateways are kept" "$(addr_of vxlan-gateway.host1)/$(addr_of vxlan-gateway.host2)" "$gw1/$gw2"
check "test1 reaches test2 after the restarts" eventually 10 pings 1 test1 "$ip2"
check "test2 reaches test1 after the restarts" eventually 10 pings 2 test2 "$ip1"
check "host1's forwarding entries have no duplicates" no_duplicate_fdb 1
check "host2's forwarding entries have no duplicates" no_duplicate_fdb 2

lab exec host1 ip link del vxlan0   # as an operator's mistake would
check "the agent sets host1 up again after vxlan0 was deleted" eventually 10 pings 1 test1 "$ip2"

echo "# 7. a third host joins with no manual step"
lab add-host >"$OUT/add-host.log" 2>&1 || { cat "$OUT/add-host.log"; bad "add host3"; }
joined=$(eventually 10 bash -c "$(declare -f lab fdb_has); P=$P ROOT=$ROOT; fdb_has 1 00:00:00:00:00:00 10.99.0.13 && fdb_has 2 00:00:00:00:00:00 10.99.0.13")
check "host1 and host2 flood to host3 ($joined from host3's agent answering)" test -n "$joined"
check "host3's agent is healthy" eventually 10 healthy 3
r3=$(agent 3 POST "/create_container?container_name=test3&image=nginx:alpine")
ip3=$(jq -r .ip_address <<<"$r3")
expect_eq "test3 created on host3" "$(host_of test3)" "host3"
check "test3 reaches test1" eventually 5 pings 3 test3 "$ip1"
check "test3 reaches test2" eventually 5 pings 3 test3 "$ip2"
check "test1 reaches test3" eventually 5 pings 1 test1 "$ip3"
check "test2 reaches test3" eventually 5 pings 2 test2 "$ip3"
check "HTTP test3 -> test1" fetches 3 test3 "$ip1"
dk 1 exec test1 ping -c 2 -W 1 "$ip2" >/dev/null   # warm ARP, so no broadcast is needed below
# The inner frames between test1 and test2, as tcpdump prints them below each VXLAN packet.
between_1_and_2() { grep -cE "($ip1|$ip2)[^0-9].*($ip1|$ip2)([^0-9]|$)" "$1"; }
lab exec host2 timeout 8 tcpdump -nlei "${P}ul0" udp port 4789 >"$OUT/second" 2>/dev/null &
capture2=$!
lab exec host3 timeout 8 tcpdump -nlei "${P}ul0" udp port 4789 >"$OUT/third" 2>/dev/null &
capture3=$!
sleep 1
dk 1 exec test1 ping -c 5 -W 1 "$ip2" >/dev/null
wait "$capture2" "$capture3"
check "host2's underlay carries test1's pings (the capture works)" test "$(between_1_and_2 "$OUT/second")" -ge 10 ||
  head -n 8 "$OUT/second" | sed 's/^/       | /'
expect_eq "host3's underlay sees none of them" "$(between_1_and_2 "$OUT/third")" "0" ||
  head -n 8 "$OUT/third" | sed 's/^/       | /'
lab stop agent-host3 >/dev/null 2>&1
left=$(eventually 10 bash -c "$(declare -f lab fdb_lacks); P=$P ROOT=$ROOT; fdb_lacks 1 '00:00:00:00:00:00 dst 10.99.0.13'")
check "host3 falls silent: host1 stops flooding to it ($left)" test -n "$left"
check "test1 still reaches test2" pings 1 test1 "$ip2"

echo "# 8. delete test2: its address returns; a bad image fails cleanly"
mac2=$(ipam /container/test2 | jq -r .mac_address)
expect_eq "DELETE /container/test2" "$(agent_status 2 DELETE /container/test2)" "200"
expect_eq "test2 is gone from Docker" "$(dk 2 ps -aq -f name=^test2$ | wc -l)" "0"
expect_eq "the IPAM no longer knows test2" "$(ipam /check/test2 | jq -r .exists)" "false"
expect_eq "test2's address is back in available_ips" "$(lab exec ctl redis-cli SISMEMBER available_ips "$ip2")" "1"
check "host1 drops test2's forwarding entry ($mac2)" eventually 5 fdb_lacks 1 "$mac2 dst"
allocated=$(ipam /stats | jq .allocated_ips)
expect_eq "create with an unknown image answers 400" "$(agent_status 1 POST "/create_container?container_name=bad1&image=no-such-image:1")" "400"
expect_eq "... saying why" "$(jq -r .error "$OUT/body")" "unknown_image"
expect_eq "... and releases the address" "$(ipam /check/bad1 | jq -r .exists)/$(ipam /stats | jq .allocated_ips)" "false/$allocated"
expect_eq "... and leaves no container" "$(dk 1 ps -aq -f name=^bad1$ | wc -l)" "0"
expect_eq "a name held on another host answers 409" "$(agent_status 2 POST "/create_container?container_name=test1&image=nginx:alpine")" "409"
dk 1 rm -f test1 >/dev/null
expect_eq "DELETE of a container already gone still answers 200" "$(agent_status 1 DELETE /container/test1)" "200"
expect_eq "... and releases its address" "$(lab exec ctl redis-cli SISMEMBER available_ips "$ip1")" "1"
expect_eq "DELETE of an unknown name answers 404" "$(agent_status 1 DELETE /container/never-was)" "404"

finish
