#!/usr/bin/env bash
# Chaos on a real 2-host lab (prefix "ch"): for CHAOS_SECONDS (default 90), containers are created
# and removed without pause while, every few seconds, one of host1's agent, host2's agent, the IPAM
# or Redis is killed with SIGKILL and started again. Then, once the cluster has settled (the
# reconcilers' grace periods), the invariants:
#  - no address is held twice;
#  - every running managed container holds its own address in the registry, on its own host;
#  - every address in the registry (gateways aside) has its container;
#  - each host's forwarding entries are exactly what the registry calls for.
# Prints what was done and how long settling took. The lab is torn down on every exit path.
#   chaos_test.sh [BIN_DIR]     (default: build/bin)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/tests/e2e/checks.sh"
use_lab "${E2E_PREFIX:-ch}" chaos
export LAB_BIN_DIR=${1:-${LAB_BIN_DIR:-$ROOT/build/bin}}
SECONDS_OF_CHAOS=${CHAOS_SECONDS:-90}
LOAD=""
before_lab_down() { [[ -z $LOAD ]] || kill "$LOAD" 2>/dev/null; }

healthy() { [[ $(lab exec "host$1" curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:8001/health) == 200 ]]; }
redis() { lab exec ctl redis-cli "$@"; }

echo "# bringing up a 2-host lab '$P'"
lab up --hosts 2 >"$OUT/up.log" 2>&1 || { cat "$OUT/up.log"; echo "0 passed, 1 failed"; exit 1; }
source "/run/${P}lab/lab.env"
must "both agents report healthy" eventually 20 bash -c "$(declare -f lab healthy); P=$P ROOT=$ROOT; healthy 1 && healthy 2"

# Creates and removes: names c0..c11 on either host, so that a name comes back after its removal.
load() {
  local i=0 name
  while :; do
    name="c$((RANDOM % 12))"
    if ((RANDOM % 3)); then
      lab vxctl --timeout-ms 8000 run "$name" nginx:alpine --host "host$((RANDOM % 2 + 1))"
    else
      lab vxctl --timeout-ms 8000 rm "$name"
    fi >/dev/null 2>&1
    i=$((i + 1))
    echo "$i" >"$OUT/operations"
  done
}
load &
LOAD=$!

echo "# ${SECONDS_OF_CHAOS} s of kill -9"
end=$((SECONDS + SECONDS_OF_CHAOS))
victims=(agent-host1 agent-host2 ipam redis)
: >"$OUT/kills"
while ((SECONDS < end)); do
  sleep $((RANDOM % 5 + 3))
  victim=${victims[$(wc -l <"$OUT/kills") % ${#victims[@]}]}   # each in turn, at random moments
  if lab crash "$victim" >>"$OUT/crash.log" 2>&1; then echo "$victim" >>"$OUT/kills"; else echo "FAILED $victim" >>"$OUT/kills"; fi
done
kill "$LOAD" 2>/dev/null
wait "$LOAD" 2>/dev/null
LOAD=""
echo "       $(wc -l <"$OUT/kills") kills ($(sort "$OUT/kills" | uniq -c | tr -s ' ' | tr '\n' ',')), $(cat "$OUT/operations" 2>/dev/null || echo 0) creates and removes"
check "every daemon came back after each kill" bash -c "! grep -q FAILED '$OUT/kills'"
if_failed tail -n 20 "$OUT/crash.log"

# "name address" of every running managed container on HOST, from Docker.
running_on() {
  lab docker "$1" ps -q -f label=vxlan.managed=true |
    xargs -r "$ROOT/lab/lab" --prefix "$P" docker "$1" inspect \
      -f '{{.Name}} {{(index .NetworkSettings.Networks "vxlan-net").IPAddress}} {{(index .NetworkSettings.Networks "vxlan-net").MacAddress}}' |
    sed 's|^/||'
}
# Every invariant, or the first one broken, in words.
invariants() {
  local host name ip mac other
  redis --raw HGETALL container_ips | paste - - | sort >"$OUT/registry"
  [[ -z $(awk '{print $2}' "$OUT/registry" | sort | uniq -d) ]] || { echo "an address is held twice"; return 1; }
  : >"$OUT/running"
  for host in host1 host2; do running_on "$host" | sed "s/\$/ $host/" >>"$OUT/running"; done
  while read -r name ip mac host; do
    [[ $(redis HGET container_ips "$name") == "$ip" ]] || { echo "$name runs with $ip, which the registry does not give it"; return 1; }
    [[ $(redis HGET container_hosts "$name") == "$host" ]] || { echo "$name runs on $host, not the registry's host"; return 1; }
  done <"$OUT/running"
  while read -r name ip; do
    [[ $name == vxlan-gateway.* ]] && continue
    grep -q "^$name $ip " "$OUT/running" || { echo "$name holds $ip with no container"; return 1; }
  done <"$OUT/registry"
  for host in host1 host2; do
    other=$([[ $host == host1 ]] && echo "$LAB_HOST2_IP" || echo "$LAB_HOST1_IP")
    lab exec "$host" bridge fdb show dev vxlan0 | awk '$1 != "00:00:00:00:00:00" && /dst/ {print $1}' | sort >"$OUT/fdb-$host"
    grep -v " $host\$" "$OUT/running" | awk '{print $3}' | sort >"$OUT/want-$host"
    diff -q "$OUT/fdb-$host" "$OUT/want-$host" >/dev/null ||
      { echo "$host forwards $(tr '\n' ' ' <"$OUT/fdb-$host")but should $(tr '\n' ' ' <"$OUT/want-$host")"; return 1; }
    lab exec "$host" bridge fdb show dev vxlan0 | grep -q "^00:00:00:00:00:00 dst $other" ||
      { echo "$host floods nothing towards $other"; return 1; }
  done
}
echo "# settling"
settled=$(date +%s%N)
check "every invariant holds once the cluster has settled (grace periods included)" eventually 90 invariants
echo "       settled $(( ($(date +%s%N) - settled) / 1000000 )) ms after the chaos stopped"
if_failed invariants
echo "       $(wc -l <"$OUT/running") containers running, $(wc -l <"$OUT/registry") names in the registry"
finish
