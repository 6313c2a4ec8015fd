#!/usr/bin/env bash
# The README's main-job command, as a person runs it: scripts/demo, twice in a row (the second run
# must rebuild the lab over the first), on a lab of its own (prefix "vm"). Checks the report a
# person reads: the hosts, containers and addresses, ping and HTTP across hosts, a VXLAN capture
# line, the troubleshooting commands' output, and that the cluster is left running; then
# `scripts/demo down`. The lab is torn down on every exit path.
#   demo_test.sh [BUILD_DIR]     (default: build)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/tests/e2e/checks.sh"
use_lab "${E2E_PREFIX:-vm}" demo
export VX_BUILD_DIR=${1:-$ROOT/build}

# report FILE: the report's part of the demo's output.
report() { sed -n '/the demo.s report/,/^=====*$/p' "$1"; }
# in_report FILE ERE: the report holds a line matching ERE.
in_report() { report "$1" | grep -Eq -- "$2"; }

for run in 1 2; do
  echo "# scripts/demo, run $run"
  start=$SECONDS
  "$ROOT/scripts/demo" --prefix "$P" >"$OUT/demo$run" 2>&1
  rc=$?
  echo "  took $((SECONDS - start)) s"
  expect_eq "run $run exits 0" "$rc" 0 || tail -n 40 "$OUT/demo$run" | sed 's/^/       | /'
  check "run $run: every check of the report passed" in_report "$OUT/demo$run" '^Result: 8 passed, 0 failed$'
done
demo=$OUT/demo2

echo "# the report of the second run"
for step in "installing what is missing and building" "bringing up a 2-host lab" "Testing & Validation" \
  "across hosts" "on the underlay it is VXLAN" "troubleshooting commands"; do
  check "progress is shown: $step" grep -q "=== \[[1-6]/6\] .*$step" "$demo"
done
check "hosts: both, alive, with their underlay addresses" bash -c \
  "$(declare -f report in_report); in_report '$demo' '^  host1 +10\.99\.0\.11 .* alive +1$' && in_report '$demo' '^  host2 +10\.99\.0\.12 .* alive +1$'"
ip1=$(lab vxctl --json inspect test1 | jq -r .ip_address)
ip2=$(lab vxctl --json inspect test2 | jq -r .ip_address)
check "containers: test1 on host1 and test2 on host2 with their addresses, running" bash -c \
  "$(declare -f report in_report); in_report '$demo' '^  test1 +host1 +$ip1 +running' && in_report '$demo' '^  test2 +host2 +$ip2 +running'"
check "containers: each host's gateway address is listed" bash -c \
  "$(declare -f report in_report); [[ \$(report '$demo' | grep -Ec '^  vxlan-gateway\.host[12] +host[12] +172\.20\.[0-9.]+ +gateway') == 2 ]]"
check "pool: 4 of 65534 addresses used" in_report "$demo" '^  used +4 \(0\.0%\)$'
check "ping test1 -> test2 across hosts" in_report "$demo" "^  ok    ping  test1 \(host1\) -> test2 \(host2\) $ip2: 3 sent, 3 received, avg [0-9.]+ ms$"
check "ping test2 -> test1 across hosts" in_report "$demo" "^  ok    ping  test2 \(host2\) -> test1 \(host1\) $ip1: 3 sent, 3 received, avg [0-9.]+ ms$"
check "HTTP test1 -> test2" in_report "$demo" "^  ok    HTTP  test1 \(host1\) -> http://$ip2/ \(test2 on host2\): \"hello\"$"
check "HTTP test2 -> test1" in_report "$demo" "^  ok    HTTP  test2 \(host2\) -> http://$ip1/ \(test1 on host1\): \"hello\"$"
check "a 1500-byte packet crosses" in_report "$demo" '^  ok    MTU   a 1500-byte ping test1 -> test2 crosses \(containers have MTU 1450\)$'
check "vxctl ping, run by the agent" in_report "$demo" '^  ok    vxctl ping test1 test2: 3 of 3 answered'
check "the cluster runs with a token: a call without it is refused" in_report "$demo" '^  ok    token the IPAM refuses a call without the cluster token: HTTP 401$'
check "a line of the VXLAN capture" in_report "$demo" \
  "^  [0-9:.]+ IP 10\.99\.0\.11\.[0-9]+ > 10\.99\.0\.12\.4789: VXLAN, flags \[I\] \(0x08\), vni 100$"

echo "# the troubleshooting commands ran and printed what they should"
check "ip -d link show vxlan0: VNI 100, port 4789, up" bash -c \
  "sed -n '/link show vxlan0/,/^\\$/p' '$demo' | grep -q 'vxlan id 100 local 10.99.0.11 dev ${P}ul0 srcport 0 0 dstport 4789'"
check "bridge fdb show dev vxlan0: a flood entry to host2" \
  grep -Eq '^    00:00:00:00:00:00 dst 10\.99\.0\.12 self permanent$' "$demo"
check "docker network inspect vxlan-net: the overlay subnet and host1's gateway" bash -c \
  "grep -q '\"Subnet\": \"172.20.0.0/16\"' '$demo' && grep -q '\"com.docker.network.driver.mtu\": \"1450\"' '$demo'"
check "redis-cli SCARD available_ips: 65530" grep -Eq '^    65530$' "$demo"
check "redis-cli HGETALL container_ips lists test1 and its address" bash -c \
  "grep -A1 -x '    test1' '$demo' | grep -qx '    $ip1'"
check "the way to tear it down is printed" grep -q '^  scripts/demo down --prefix vm$' "$demo"

echo "# the cluster is left running"
check "lab status: every daemon up" lab status
check "test1 still reaches test2" lab docker host1 exec test1 ping -c 1 -W 2 "$ip2"
"$ROOT/scripts/demo" down --prefix "$P" >"$OUT/down" 2>&1
lab status >/dev/null 2>&1
expect_eq "scripts/demo down tears it down (lab status: 3)" "$?" 3

finish
