#!/usr/bin/env bash
# Addresses come back, never from a live container, on a real 2-host lab (prefix "rc"):
#  - a second agent started with a live host's --host-id (the hostile probe's defect 2) is refused,
#    takes nothing over and releases nothing;
#  - `docker rm -f` behind the agent's back releases the address within 2 s (Docker's events);
#  - an address reserved with no container behind it (a create that crashed after reserving) is
#    released within 30 s, while every running container keeps its own;
#  - `vxctl host rm` of a dead host releases its addresses and removes its forwarding entries
#    everywhere, and is refused while the host lives.
# Prints the times measured. The lab and the second agent are stopped on every exit path.
#   reclaim_test.sh [BIN_DIR]     (default: build/bin)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/tests/e2e/checks.sh"
use_lab "${E2E_PREFIX:-rc}" reclaim
export LAB_BIN_DIR=${1:-${LAB_BIN_DIR:-$ROOT/build/bin}}
IMPOSTOR=""
before_lab_down() { [[ -z $IMPOSTOR ]] || kill "$IMPOSTOR" 2>/dev/null; }

healthy() { [[ $(lab exec "host$1" curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:8001/health) == 200 ]]; }
redis() { lab exec ctl redis-cli "$@"; }
held_by() { redis HGET container_ips "$1"; }
gone() { [[ -z $(held_by "$1") ]]; }
ms_since() { echo $(( ($(date +%s%N) - $1) / 1000000 )); }

echo "# bringing up a 2-host lab '$P'"
lab up --hosts 2 >"$OUT/up.log" 2>&1 || { cat "$OUT/up.log"; echo "0 passed, 1 failed"; exit 1; }
source "/run/${P}lab/lab.env"
must "both agents report healthy" eventually 20 bash -c "$(declare -f lab healthy); P=$P ROOT=$ROOT; healthy 1 && healthy 2"
for i in 1 2 3 4; do
  lab vxctl run "c$i" nginx:alpine --host "host$(( (i % 2) + 1 ))" >/dev/null 2>"$OUT/run.err" || cat "$OUT/run.err"
done
redis HGETALL container_ips >"$OUT/before"

echo "# a second agent claims host1's id, from host2's machine with its own state directory"
ip netns exec "$LAB_HOST2_NS" "$LAB_BIN_DIR/vxlan-agent" --listen 127.0.0.1:8011 --host-id host1 \
  --ipam "$LAB_IPAM_URL" --underlay-dev "$LAB_UNDERLAY_DEV" --state-dir "$OUT/impostor" \
  --docker "$LAB_HOST2_DOCKER" --docker-plugin "" --sync-interval-ms 100 >"$OUT/impostor.log" 2>&1 &
IMPOSTOR=$!
refused() { lab exec host2 curl -s -m 5 -w " %{http_code}" http://127.0.0.1:8011/health | grep -q "registered by another agent that is alive.* 503$"; }
check "its health says the host id belongs to a live agent" eventually 15 refused
if_failed cat "$OUT/impostor.log"
sleep 5
check "host1's registration is unchanged" bash -c \
  "[[ \$($(declare -f lab redis); P=$P ROOT=$ROOT; redis HGET vxlan:host_underlay host1) == $LAB_HOST1_IP ]]"
redis HGETALL container_ips >"$OUT/during"
check "no address was released or handed out meanwhile" diff "$OUT/before" "$OUT/during"
check "host1's agent is still healthy" healthy 1
kill "$IMPOSTOR"
wait "$IMPOSTOR" 2>/dev/null
IMPOSTOR=""

echo "# docker rm -f behind the agent's back"
removed=$(date +%s%N)
lab docker host2 rm -f c1 >/dev/null
check "the address is released within 2 s" eventually 2 gone c1
echo "       released $(ms_since "$removed") ms after docker rm -f"

echo "# an address reserved on host1 with no container behind it"
reserved=$(date +%s%N)
lab exec ctl curl -s -m 5 -X POST "http://$LAB_CTL_IP:8000/allocate" \
  -d '{"container_name":"crashed-create","host_id":"host1"}' >"$OUT/ghost"
check "it was reserved" grep -q '"success":true' "$OUT/ghost"
check "it is released within 30 s" eventually 30 gone crashed-create
echo "       released $(ms_since "$reserved") ms after it was reserved"

for name in c2 c3 c4; do
  expect_eq "$name kept its address" "$(held_by "$name")" "$(grep -A1 -x "$name" "$OUT/before" | tail -1)"
done

echo "# host2 gone for good: vxctl host rm"
fdb_towards_host2() { lab exec host1 bridge fdb show dev vxlan0 | grep -c "dst $LAB_HOST2_IP" || true; }
check "host1 forwards towards host2 before" test "$(fdb_towards_host2)" -gt 0
lab vxctl host rm host2 >"$OUT/alive.out" 2>&1
check "refused while host2's agent lives" grep -q "is alive" "$OUT/alive.out"
lab stop agent-host2 >/dev/null
sleep 2
check "vxctl host rm host2 once it is silent" bash -c "$(declare -f lab); P=$P ROOT=$ROOT; lab vxctl host rm host2 >'$OUT/rm.out'"
cat "$OUT/rm.out"
check "its containers' addresses are free (c3)" gone c3
check "host1 has no forwarding entry towards host2 left" eventually 5 bash -c \
  "$(declare -f lab fdb_towards_host2); P=$P ROOT=$ROOT LAB_HOST2_IP=$LAB_HOST2_IP; [[ \$(fdb_towards_host2) == 0 ]]"
check "host1's own containers are untouched (c2)" test -n "$(held_by c2)"
finish
