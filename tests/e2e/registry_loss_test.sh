#!/usr/bin/env bash
# A Redis that loses the registry under a running cluster (FLUSHALL), on a real 2-host lab (prefix
# "rl"): the agents reserve their containers' addresses again, the IPAM hands no running
# container's address to a new name meanwhile (its quarantine), and afterwards every address is
# held once. Prints how long the registry took to hold every running container again. The lab is
# torn down on every exit path.
#   registry_loss_test.sh [BIN_DIR]     (default: build/bin)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/tests/e2e/checks.sh"
use_lab "${E2E_PREFIX:-rl}" registry-loss
export LAB_BIN_DIR=${1:-${LAB_BIN_DIR:-$ROOT/build/bin}}

healthy() { [[ $(lab exec "host$1" curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:8001/health) == 200 ]]; }
redis() { lab exec ctl redis-cli "$@"; }
# Each running managed container on both hosts, as "name address", from Docker itself.
running() {
  for host in host1 host2; do
    lab docker "$host" ps -q -f label=vxlan.managed=true |
      xargs -r "$ROOT/lab/lab" --prefix "$P" docker "$host" inspect \
        -f '{{.Name}} {{(index .NetworkSettings.Networks "vxlan-net").IPAddress}}' | sed 's|^/||'
  done | sort
}
# Whether the registry holds every running container at its address.
registered_again() {
  local name ip
  while read -r name ip; do [[ $(redis HGET container_ips "$name") == "$ip" ]] || return 1; done <"$OUT/before"
}

echo "# bringing up a 2-host lab '$P'"
lab up --hosts 2 >"$OUT/up.log" 2>&1 || { cat "$OUT/up.log"; echo "0 passed, 1 failed"; exit 1; }
must "both agents report healthy" eventually 20 bash -c "$(declare -f lab healthy); P=$P ROOT=$ROOT; healthy 1 && healthy 2"
for i in 1 2 3 4 5 6; do
  lab vxctl run "c$i" nginx:alpine --host "host$(( (i % 2) + 1 ))" >/dev/null 2>"$OUT/run.err" || cat "$OUT/run.err"
done
running >"$OUT/before"
expect_eq "six containers run" "$(wc -l <"$OUT/before")" "6"

echo "# FLUSHALL"
wiped=$(date +%s%N)
redis FLUSHALL >/dev/null
refused=$(lab vxctl --json run fresh1 nginx:alpine 2>&1 >/dev/null)
check "a new name during the quarantine is refused, naming it" grep -q "lost the registry" <<<"$refused"
check "every running container is registered again at its own address" eventually 15 registered_again
echo "       the registry held every running container again $(( ($(date +%s%N) - wiped) / 1000000 )) ms after the wipe"

check "after the quarantine a new container starts" eventually 30 \
  bash -c "$(declare -f lab); P=$P ROOT=$ROOT; lab vxctl run fresh2 nginx:alpine"
echo "       a new name got an address again $(( ($(date +%s%N) - wiped) / 1000000 )) ms after the wipe"
running >"$OUT/after"
check "no address is held by two running containers" bash -c "[[ -z \$(awk '{print \$2}' '$OUT/after' | sort | uniq -d) ]]"
check "the containers from before kept their addresses" bash -c "grep -Fxf '$OUT/before' '$OUT/after' | wc -l | grep -qx 6"
check "every running container is in the registry at its address" bash -c \
  "$(declare -f lab redis); P=$P ROOT=$ROOT; while read -r n ip; do [[ \$(redis HGET container_ips \"\$n\") == \"\$ip\" ]] || exit 1; done <'$OUT/after'"

finish
