#!/usr/bin/env bash
# Plain `docker run --network vxlan-net` on a real 2-host lab (prefix "dn"), with the real docker
# CLI and no call to the agent: each agent serves Docker's IPAM plugin, so the container's address
# comes from the cluster IPAM, the registry holds it under its name within a second, and it is
# reached from the other host by address and by name. --ip takes exactly that address, or fails
# when another container holds it; disconnect and rm release; a container Docker restarts keeps
# its address and is reached at its new MAC at once; a name another host holds is refused; compose
# works; an agent restart and a dockerd restart keep it all consistent; 50 runs and removals leak
# no address. The lab is torn down on every exit path.
#   docker_native_test.sh [BIN_DIR]     (default: build/bin)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/tests/e2e/checks.sh"
use_lab "${E2E_PREFIX:-dn}" docker-native
export LAB_BIN_DIR=${1:-${LAB_BIN_DIR:-$ROOT/build/bin}}

healthy() { [[ $(lab exec "host$1" curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:8001/health) == 200 ]]; }
# registered NAME: "HOST ADDRESS" as the registry holds it, or nothing.
registered() { lab exec ctl curl -s -m 5 "http://127.0.0.1:8000/container/$1" | jq -r 'select(.ip_address) | "\(.host_id) \(.ip_address)"'; }
docker_ip() { lab docker "$1" inspect -f '{{(index .NetworkSettings.Networks "vxlan-net").IPAddress}}' "$2" 2>/dev/null; }
is_registered() { [[ $(registered "$1") == "$2" ]]; }
not_registered() { [[ -z $(registered "$1") ]]; }
pings() { lab docker "$1" exec "$2" ping -c 1 -W 1 "$3" >/dev/null 2>&1; }
allocated() { lab exec ctl curl -s -m 5 http://127.0.0.1:8000/stats | jq -r .allocated_ips; }
pending() { lab exec ctl curl -s -m 5 http://127.0.0.1:8000/containers | jq '[.[] | select(.container_name | startswith("vxlan-docker."))] | length'; }

echo "# bringing up a 2-host lab '$P'"
lab up --hosts 2 >"$OUT/up.log" 2>&1 || { cat "$OUT/up.log"; echo "0 passed, 1 failed"; exit 1; }
eval "$(lab env)"
must "the two agents report healthy" eventually 30 bash -c "$(declare -f lab healthy); P=$P ROOT=$ROOT; healthy 1 && healthy 2"
expect_eq "vxlan-net on host1 takes its addresses from the agent's IPAM plugin" \
  "$(lab docker host1 network inspect -f '{{.IPAM.Driver}}' vxlan-net)" "$P-host1"
check "the plugin socket is where Docker looks" test -S "/run/docker/plugins/$P-host1.sock"
lab vxctl run probe nginx:alpine --host host2 >"$OUT/probe" 2>&1
must "vxctl run probe on host2 (resolves names through its gateway)" test $? = 0

echo "# plain docker run"
before=$(allocated)
names() { lab exec ctl curl -s -m 5 http://127.0.0.1:8000/containers | jq -r '.[] | "\(.container_name) \(.host_id) \(.ip_address)"' | sort; }
names >"$OUT/names-before"
must "docker run -d --name web --network vxlan-net on host1" lab docker host1 run -d --name web --network vxlan-net nginx:alpine
web_ip=$(docker_ip host1 web)
check "web is registered under its name on host1 within 1 s" eventually 1 is_registered web "host1 $web_ip"
check "its address is in the cluster's subnet" bash -c "[[ $web_ip == 172.20.* ]]"
check "probe (host2) reaches web by address" eventually 10 pings host2 probe "$web_ip"
check "probe (host2) reaches web by name" eventually 10 pings host2 probe web
check "web (host1) reaches probe (host2)" eventually 10 pings host1 web "$(registered probe | cut -d' ' -f2)"
expect_eq "no address is held under a provisional name" "$(pending)" 0
mac=$(lab exec ctl curl -s http://127.0.0.1:8000/container/web | jq -r .mac_address)
expect_eq "the registry holds web's MAC as Docker set it" "$mac" \
  "$(lab docker host1 inspect -f '{{(index .NetworkSettings.Networks "vxlan-net").MacAddress}}' web)"
check "docker network inspect vxlan-net lists web" bash -c \
  "$(declare -f lab); P=$P ROOT=$ROOT; lab docker host1 network inspect vxlan-net | jq -e '.[0].Containers | to_entries | map(.value.Name) | index(\"web\")'"

echo "# --ip"
must "docker run --ip 172.20.200.7 on host2" lab docker host2 run -d --name fixed --network vxlan-net --ip 172.20.200.7 nginx:alpine
check "fixed is registered at exactly 172.20.200.7" eventually 2 is_registered fixed "host2 172.20.200.7"
lab docker host1 run -d --name clash --network vxlan-net --ip 172.20.200.7 nginx:alpine >"$OUT/clash" 2>&1
expect_eq "docker run --ip with an address held on another host fails" "$?" 125
check "with a message that says who holds it" grep -q "held by container 'fixed'" "$OUT/clash"
check "and leaves no registration behind" not_registered clash
expect_eq "nor a provisional one" "$(pending)" 0
lab docker host1 run -d --name clash2 --network vxlan-net --ip "$web_ip" nginx:alpine >"$OUT/clash2" 2>&1
expect_eq "docker run --ip with the address of a container on the same host fails" "$?" 125
check "saying it is in use" grep -q "in use" "$OUT/clash2"
expect_eq "web keeps its address" "$(registered web)" "host1 $web_ip"
lab docker host1 rm -f clash clash2 >/dev/null 2>&1

echo "# names are cluster-wide"
lab docker host2 run -d --name web --network vxlan-net nginx:alpine >"$OUT/dup" 2>&1
check "a second web, on host2, is taken off the network" eventually 5 bash -c \
  "$(declare -f lab); P=$P ROOT=$ROOT; [[ -z \$(lab docker host2 inspect -f '{{range \$k, \$v := .NetworkSettings.Networks}}{{\$k}}{{end}}' web) ]]"
expect_eq "the registry still holds the first web" "$(registered web)" "host1 $web_ip"
check "and no provisional address is left" eventually 5 bash -c "[[ \$($(declare -f lab pending); P=$P ROOT=$ROOT; pending) == 0 ]]"
lab docker host2 rm -f web >/dev/null 2>&1
expect_eq "removing the refused duplicate leaves the first web registered" "$(sleep 1; registered web)" "host1 $web_ip"

echo "# restarts by Docker"
must "docker run --restart always keeper" lab docker host1 run -d --name keeper --restart always --network vxlan-net nginx:alpine
keeper_ip=$(docker_ip host1 keeper)
check "keeper registered" eventually 2 is_registered keeper "host1 $keeper_ip"
# So that probe's ARP cache holds keeper's MAC, which Docker changes at each restart.
check "probe reaches keeper" eventually 10 pings host2 probe keeper
# And so that host2's own cache (its namespace, from the gateway's address) holds it too: the ARP
# is answered though the echo is not (containers answer their gateway nothing but ping and DNS).
keeper_mac() { lab docker host1 inspect -f '{{(index .NetworkSettings.Networks "vxlan-net").MacAddress}}' keeper; }
cached_mac() { lab exec host2 ip neigh show "$keeper_ip" dev br-vxlan | awk '{print $3}'; }
lab exec host2 ping -c 1 -W 1 "$keeper_ip" >/dev/null 2>&1
old_mac=$(keeper_mac)
expect_eq "host2's own ARP cache holds keeper's MAC" "$(cached_mac)" "$old_mac"
must "docker restart keeper" lab docker host1 restart -t 1 keeper
expect_eq "keeper keeps its address across docker restart" "$(docker_ip host1 keeper)" "$keeper_ip"
check "and its registration" eventually 2 is_registered keeper "host1 $keeper_ip"
keeper_mac=$(keeper_mac)
check "Docker gave keeper a new MAC ($old_mac before, $keeper_mac now)" test "$keeper_mac" != "$old_mac"
check "host2's own ARP cache moved to keeper's new MAC ($keeper_mac), which the host's announcement never reaches" \
  eventually 2 bash -c "$(declare -f lab cached_mac); P=$P ROOT=$ROOT keeper_ip=$keeper_ip; [[ \$(cached_mac) == $keeper_mac ]]"
if_failed lab exec host2 ip neigh show dev br-vxlan
kill -9 "$(lab docker host1 inspect -f '{{.State.Pid}}' keeper)"
check "killed (its process, from the host), keeper is restarted by Docker's policy" eventually 10 bash -c \
  "$(declare -f lab); P=$P ROOT=$ROOT; [[ \$(lab docker host1 inspect -f '{{.RestartCount}} {{.State.Running}}' keeper) == '1 true' ]]"
eventually 5 bash -c "[[ -n \$($(declare -f lab docker_ip); P=$P ROOT=$ROOT; docker_ip host1 keeper) ]]"
expect_eq "with the same address" "$(docker_ip host1 keeper)" "$keeper_ip"
if_failed lab docker host1 inspect -f '{{json .State}} {{json .NetworkSettings.Networks}}' keeper
if_failed grep -h "docker plugin" "/var/lib/${P}lab/logs/agent-host1.log"
check "still registered so" eventually 2 is_registered keeper "host1 $keeper_ip"
check "probe reaches keeper after its restarts, at its new MAC (announced: an ARP cache keeps an old one 15-45 s)" \
  eventually 5 pings host2 probe keeper
if_failed bash -c "$(declare -f lab); P=$P ROOT=$ROOT; lab exec ctl curl -s http://127.0.0.1:8000/container/keeper; echo;
  lab docker host1 inspect -f '{{json .NetworkSettings.Networks}}' keeper; lab exec host2 ip neigh show nud permanent;
  lab exec host2 bridge fdb show dev vxlan0; lab docker host2 exec probe nslookup keeper; lab docker host2 exec probe ip neigh"

echo "# a container named like the host's gateway"
gateway_before=$(registered vxlan-gateway.host1)
must "host1's gateway is registered" test -n "$gateway_before"
must "docker run --name vxlan-gateway.host1" lab docker host1 run -d --name vxlan-gateway.host1 --network vxlan-net nginx:alpine
check "it is taken off the network" eventually 2 bash -c \
  "$(declare -f lab docker_ip); P=$P ROOT=$ROOT; [[ -z \$(docker_ip host1 vxlan-gateway.host1) ]]"
expect_eq "and the gateway keeps its entry" "$(registered vxlan-gateway.host1)" "$gateway_before"
must "docker rm -f vxlan-gateway.host1" lab docker host1 rm -f vxlan-gateway.host1
sleep 1
expect_eq "its removal leaves the gateway's entry" "$(registered vxlan-gateway.host1)" "$gateway_before"

echo "# disconnect, connect, rm"
must "docker network disconnect vxlan-net web" lab docker host1 network disconnect vxlan-net web
check "web is released within 1 s of its disconnect" eventually 1 not_registered web
if_failed grep -h -e " web" -e "web " "/var/lib/${P}lab/logs/agent-host1.log"
must "docker network connect vxlan-net web" lab docker host1 network connect vxlan-net web
web_ip=$(docker_ip host1 web)
check "connected again, web is registered again" eventually 2 is_registered web "host1 $web_ip"
check "and reached by name" eventually 10 pings host2 probe web
must "docker rm -f web" lab docker host1 rm -f web
check "web is released within 1 s of its removal" eventually 1 not_registered web

echo "# an agent restart"
must "lab stop agent-host1" lab stop agent-host1
check "the stopped agent took its plugin socket away (Docker stalls 15 s on a dead one)" \
  test ! -e "/run/docker/plugins/$P-host1.sock"
must "lab restart agent-host1" lab restart agent-host1
check "host1's agent healthy again" eventually 30 healthy 1
expect_eq "keeper is still registered at its address" "$(registered keeper)" "host1 $keeper_ip"
lab vxctl check >"$OUT/check" 2>&1
check "vxctl check: registry, Docker and the kernel agree" grep -q "consistent" "$OUT/check"
if_failed cat "$OUT/check"
must "docker run after the restart" lab docker host1 run -d --name late --network vxlan-net nginx:alpine
check "late is registered" eventually 2 is_registered late "host1 $(docker_ip host1 late)"

echo "# docker-compose"
cat >"$OUT/compose.yaml" <<'YAML'
version: "3"
services:
  app:
    image: nginx:alpine
    networks: [vxlan-net]
networks:
  vxlan-net:
    external: true
YAML
compose() { DOCKER_HOST=unix:///run/${P}lab/host1/docker.sock docker-compose -p "$P" -f "$OUT/compose.yaml" "$@"; }
must "docker-compose up -d, the network external" compose up -d
app="${P}_app_1"
check "compose's container is registered under its name" eventually 2 is_registered "$app" "host1 $(docker_ip host1 "$app")"
check "and reached by name from host2" eventually 10 pings host2 probe "$app"
must "docker-compose down" compose down
check "its address is released within 1 s" eventually 1 not_registered "$app"

echo "# a dockerd restart"
must "lab restart dockerd-host1" lab restart dockerd-host1
check "keeper is restarted by Docker's policy" eventually 30 bash -c \
  "$(declare -f lab); P=$P ROOT=$ROOT; [[ \$(lab docker host1 inspect -f '{{.State.Running}}' keeper) == true ]]"
eventually 5 bash -c "[[ -n \$($(declare -f lab docker_ip); P=$P ROOT=$ROOT; docker_ip host1 keeper) ]]"
keeper_ip=$(docker_ip host1 keeper)
check "and registered at the address Docker gave it" eventually 5 is_registered keeper "host1 $keeper_ip"
check "probe reaches it again" eventually 10 pings host2 probe keeper
check "vxctl check: registry, Docker and the kernel agree" eventually 10 bash -c \
  "$(declare -f lab); P=$P ROOT=$ROOT; lab vxctl check 2>&1 | grep -q consistent"
if_failed lab vxctl check
check "host1's agent is healthy" eventually 10 healthy 1

echo "# no leak after 50 runs and removals"
for i in $(seq 1 50); do
  lab docker host1 run -d --name "loop$i" --network vxlan-net nginx:alpine >/dev/null 2>&1 || echo "run loop$i failed" >>"$OUT/loop"
  lab docker host1 rm -f "loop$i" >/dev/null 2>&1 || echo "rm loop$i failed" >>"$OUT/loop"
done
check "all 50 runs and removals succeeded" test ! -s "$OUT/loop"
if_failed cat "$OUT/loop"
lab docker host1 rm -f keeper late >/dev/null 2>&1
lab docker host2 rm -f fixed >/dev/null 2>&1
check "every address is back: allocated as before the first run" eventually 5 bash -c \
  "[[ \$($(declare -f lab allocated); P=$P ROOT=$ROOT; allocated) == $before ]]"
if_failed bash -c "$(declare -f lab names); P=$P ROOT=$ROOT; names | diff '$OUT/names-before' -"
expect_eq "and nothing provisional is held" "$(pending)" 0

finish
