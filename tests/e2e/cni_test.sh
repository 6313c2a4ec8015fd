#!/usr/bin/env bash
# The CNI plugin on a real 2-host lab (prefix "cn"), run as a runtime runs it: CNI_* variables and
# the network configuration on stdin, in host1's namespace, against bare network namespaces of
# the lab's own (cn-cni1, ...). ADD answers the spec's result, registers the namespace under its
# name and makes it reach a Docker container on host2 by address and by name; CHECK, ADD again,
# STATUS, GC and DEL (idempotent, also for a namespace that is gone) do what the spec says; a bad
# configuration and an agent that is down get the spec's error codes and hold nothing; a namespace
# deleted without a DEL is released by the agent, and an agent restart keeps the live ones. Chained
# after another plugin (its prevResult), ADD adds to that result and keeps its default route.
#   cni_test.sh [BIN_DIR]     (default: build/bin)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/tests/e2e/checks.sh"
use_lab "${E2E_PREFIX:-cn}" cni
export LAB_BIN_DIR=${1:-${LAB_BIN_DIR:-$ROOT/build/bin}}
CNI="$LAB_BIN_DIR/vxlan-cni"
NETNS=("$P-cni1" "$P-cni2" "$P-cni3" "$P-cni4")

remove_netns() {
  local ns
  for ns in "${NETNS[@]}"; do
    ip netns del "$ns" 2>/dev/null
    rm -rf "/etc/netns/$ns"
  done
  return 0
}
remove_netns  # leftovers of a crashed run
before_lab_down() { remove_netns; }

V11='{"cniVersion":"1.1.0","name":"overlay","type":"vxlan-cni"}'
# cni COMMAND CONTAINER_ID NETNS NAME [CONFIG]: the plugin's stdout; its exit status in $OUT/rc.
cni() {
  local netns_path=""
  [[ -n $3 ]] && netns_path=/run/netns/$3
  echo "${5:-$V11}" | lab exec host1 env -i CNI_COMMAND="$1" CNI_CONTAINERID="$2" CNI_NETNS="$netns_path" \
    CNI_IFNAME=eth0 CNI_PATH=/opt/cni/bin CNI_ARGS="IgnoreUnknown=1;VXLAN_NAME=$4" "$CNI"
  echo $? >"$OUT/rc"
}
rc() { cat "$OUT/rc"; }
registered() { lab exec ctl curl -s -m 5 "http://127.0.0.1:8000/container/$1" | jq -r 'select(.ip_address) | "\(.host_id) \(.ip_address) \(.mac_address)"'; }
not_registered() { [[ -z $(registered "$1") ]]; }
in_ns() { local ns=$1; shift; ip netns exec "$ns" "$@"; }

echo "# bringing up a 2-host lab '$P'"
lab up --hosts 2 >"$OUT/up.log" 2>&1 || { cat "$OUT/up.log"; echo "0 passed, 1 failed"; exit 1; }
must "the plugin is built" test -x "$CNI"
healthy() { [[ $(lab exec "host$1" curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:8001/health) == 200 ]]; }
must "the two agents report healthy" eventually 30 bash -c "$(declare -f lab healthy); P=$P ROOT=$ROOT; healthy 1 && healthy 2"
must "a Docker container on host2" lab docker host2 run -d --name target --network vxlan-net nginx:alpine
target_ip=$(lab docker host2 inspect -f '{{(index .NetworkSettings.Networks "vxlan-net").IPAddress}}' target)
for ns in "${NETNS[@]}"; do ip netns add "$ns"; done

echo "# VERSION"
out=$(cni VERSION "" "" "")
expect_eq "VERSION names 1.0.0 and 1.1.0" "$(jq -c .supportedVersions <<<"$out")" '["1.0.0","1.1.0"]'

echo "# ADD"
cni ADD c0ffee01 "${NETNS[0]}" bare1 >"$OUT/add1"
must "ADD of a bare namespace succeeds" test "$(rc)" = 0
if_failed cat "$OUT/add1"
address=$(jq -r '.ips[0].address' "$OUT/add1")
gateway=$(jq -r '.ips[0].gateway' "$OUT/add1")
mac=$(jq -r '.interfaces[1].mac' "$OUT/add1")
check "the result gives an address in the cluster's subnet" bash -c "[[ $address == 172.20.*/16 ]]"
expect_eq "and the interface inside the namespace" "$(jq -r '.interfaces[1] | "\(.name) \(.sandbox)"' "$OUT/add1")" \
  "eth0 /run/netns/${NETNS[0]}"
expect_eq "with the default route through the gateway" "$(jq -r '.routes[0] | "\(.dst) \(.gw)"' "$OUT/add1")" "0.0.0.0/0 $gateway"
expect_eq "and the gateway as its name server" "$(jq -r '.dns.nameservers[0]' "$OUT/add1")" "$gateway"
expect_eq "bare1 is registered on host1 with that address and MAC" "$(registered bare1)" "host1 ${address%/*} $mac"
check "the namespace holds the address" bash -c "ip netns exec ${NETNS[0]} ip -o addr show eth0 | grep -q 'inet $address'"
check "the namespace reaches the Docker container on host2 by address" eventually 10 in_ns "${NETNS[0]}" ping -c 1 -W 1 "$target_ip"
mkdir -p "/etc/netns/${NETNS[0]}" && echo "nameserver $gateway" >"/etc/netns/${NETNS[0]}/resolv.conf"
check "and by name, through the gateway's name server" eventually 10 in_ns "${NETNS[0]}" ping -c 1 -W 1 target
check "the container on host2 reaches the namespace" eventually 10 lab docker host2 exec target ping -c 1 -W 1 "${address%/*}"

echo "# CHECK, ADD again, STATUS"
prev=$(jq -c '{cniVersion: "1.1.0", name: "overlay", type: "vxlan-cni", prevResult: .}' "$OUT/add1")
cni CHECK c0ffee01 "${NETNS[0]}" bare1 "$prev" >"$OUT/check"
expect_eq "CHECK with the ADD's result passes" "$(rc)" 0
if_failed cat "$OUT/check"
other=$(jq -c '.prevResult.ips[0].address = "172.20.9.9/16"' <<<"$prev")
cni CHECK c0ffee01 "${NETNS[0]}" bare1 "$other" >"$OUT/check2"
expect_eq "CHECK with another address fails with code 100" "$(rc) $(jq -r .code "$OUT/check2")" "1 100"
in_ns "${NETNS[0]}" ip addr flush dev eth0
cni CHECK c0ffee01 "${NETNS[0]}" bare1 "$prev" >"$OUT/check3"
check "CHECK sees an address flushed behind its back" bash -c "[[ \$(jq -r .msg $OUT/check3) == *lacks* ]]"
if_failed cat "$OUT/check3"
in_ns "${NETNS[0]}" ip addr add "$address" dev eth0
in_ns "${NETNS[0]}" ip route add default via "$gateway"
cni ADD c0ffee01 "${NETNS[0]}" bare1 >"$OUT/add1again"
expect_eq "ADD again answers the same address" "$(rc) $(jq -r '.ips[0].address' "$OUT/add1again")" "0 $address"
cni STATUS "" "" "" >"$OUT/status"
expect_eq "STATUS says the plugin can attach" "$(rc)" 0

echo "# errors"
cni ADD c0ffee02 "${NETNS[1]}" bare2 '{"cniVersion":"1.1.0","name":"x","type":"vxlan-cni","network":"nope"}' >"$OUT/e1"
expect_eq "ADD to a network the cluster lacks: code 7" "$(rc) $(jq -r .code "$OUT/e1")" "1 7"
cni ADD c0ffee02 "${NETNS[1]}" bare2 'not json' >"$OUT/e2"
expect_eq "a configuration that is not JSON: code 6" "$(jq -r .code "$OUT/e2")" 6
cni ADD c0ffee02 "${NETNS[1]}" bare2 '{"cniVersion":"0.4.0","name":"x","type":"vxlan-cni"}' >"$OUT/e3"
expect_eq "an unsupported cniVersion: code 1" "$(jq -r .code "$OUT/e3")" 1
cni ADD c0ffee02 "$P-no-such-ns" bare2 >"$OUT/e4"
expect_eq "a namespace that does not exist: code 3" "$(jq -r .code "$OUT/e4")" 3
cni ADD c0ffee02 "${NETNS[1]}" target >"$OUT/e5"
expect_eq "a name a container on host2 holds: code 100" "$(jq -r '"\(.code) \(.details)"' "$OUT/e5")" "100 name_conflict"
check "none of them left a registration" bash -c "$(declare -f lab registered not_registered); P=$P ROOT=$ROOT; not_registered bare2"
expect_eq "nor an interface" "$(in_ns "${NETNS[1]}" ip -o link show | grep -c eth0)" 0
expect_eq "and target keeps its own" "$(registered target | cut -d' ' -f1-2)" "host2 $target_ip"

echo "# chained after another plugin"
# A plugin before ours gave the namespace first0 and a default route through it, as a bridge plugin
# would; its result comes to ours as prevResult.
in_ns "${NETNS[1]}" ip link add first0 type veth peer name first1
in_ns "${NETNS[1]}" ip link set first1 up
in_ns "${NETNS[1]}" ip addr add 10.97.0.5/24 dev first0
in_ns "${NETNS[1]}" ip link set first0 up
in_ns "${NETNS[1]}" ip route add default via 10.97.0.1
chained=$(jq -nc --arg ns "/run/netns/${NETNS[1]}" '{cniVersion: "1.1.0", name: "overlay", type: "vxlan-cni",
  prevResult: {cniVersion: "1.1.0", interfaces: [{name: "first0", sandbox: $ns}],
    ips: [{address: "10.97.0.5/24", gateway: "10.97.0.1", interface: 0}],
    routes: [{dst: "0.0.0.0/0", gw: "10.97.0.1"}], dns: {nameservers: ["10.97.0.1"]}}}')
cni ADD c0ffee05 "${NETNS[1]}" chained1 "$chained" >"$OUT/chained"
expect_eq "a chained ADD into a namespace with a default route succeeds" "$(rc)" 0
if_failed cat "$OUT/chained"
expect_eq "its result is the previous one with ours added" \
  "$(jq -c '[[.interfaces[] | .name][0,2], .ips[1].interface, (.routes | length), .dns.nameservers[0]]' "$OUT/chained")" \
  '["first0","eth0",2,1,"10.97.0.1"]'
expect_eq "the namespace keeps its own default route" "$(in_ns "${NETNS[1]}" ip route show default | awk '{print $3, $5}')" \
  "10.97.0.1 first0"
check "and reaches the Docker container on host2 on the overlay's subnet" eventually 10 \
  in_ns "${NETNS[1]}" ping -c 1 -W 1 "$target_ip"
cni DEL c0ffee05 "${NETNS[1]}" chained1 >/dev/null
expect_eq "DEL of the chained attachment succeeds" "$(rc)" 0
check "and releases its name" not_registered chained1
cni ADD c0ffee06 "${NETNS[1]}" unchained1 >"$OUT/unchained"
expect_eq "an unchained ADD into a namespace that routes by default is refused for good, not 'try again'" \
  "$(rc) $(jq -r '"\(.code) \(.details)"' "$OUT/unchained")" "1 100 default_route_exists"
check "and leaves no registration" not_registered unchained1
expect_eq "nor an interface" "$(in_ns "${NETNS[1]}" ip -o link show | grep -c eth0)" 0

echo "# an agent that is down, then restarted"
cni ADD c0ffee03 "${NETNS[2]}" bare3 >"$OUT/add3"
must "ADD bare3 (its namespace is deleted later without a DEL)" test "$(rc)" = 0
must "lab stop agent-host1" lab stop agent-host1
cni ADD c0ffee02 "${NETNS[1]}" bare2 >"$OUT/down"
expect_eq "ADD with the agent down: code 11, try again later" "$(rc) $(jq -r .code "$OUT/down")" "1 11"
cni STATUS "" "" "" >"$OUT/down-status"
expect_eq "STATUS with the agent down: code 50" "$(jq -r .code "$OUT/down-status")" 50
ip netns del "${NETNS[2]}"
must "lab restart agent-host1" lab restart agent-host1
must "host1's agent healthy again" eventually 30 healthy 1
check "the name of the namespace deleted without a DEL is released" eventually 45 not_registered bare3
expect_eq "the live attachment is kept" "$(registered bare1)" "host1 ${address%/*} $mac"
check "and still reaches host2" eventually 10 in_ns "${NETNS[0]}" ping -c 1 -W 1 "$target_ip"

echo "# GC and DEL"
cni ADD c0ffee04 "${NETNS[3]}" bare4 >"$OUT/add4"
must "ADD bare4" test "$(rc)" = 0
cni GC "" "" "" '{"cniVersion":"1.1.0","name":"overlay","type":"vxlan-cni"}' >"$OUT/gc-bare"
expect_eq "GC without the list to keep is refused: code 7" "$(rc) $(jq -r .code "$OUT/gc-bare")" "1 7"
cni GC "" "" "" '{"cniVersion":"1.1.0","name":"other-runtime","type":"vxlan-cni","cni.dev/valid-attachments":[]}' >"$OUT/gc-other"
expect_eq "GC of another configuration, which keeps nothing, succeeds" "$(rc)" 0
expect_eq "and leaves this configuration's attachments alone" "$(registered bare4 | cut -d' ' -f1)" host1
expect_eq "with their interfaces" "$(in_ns "${NETNS[3]}" ip -o link show | grep -c eth0)" 1
gc='{"cniVersion":"1.1.0","name":"overlay","type":"vxlan-cni","cni.dev/valid-attachments":[{"containerID":"c0ffee01","ifname":"eth0"}]}'
cni GC "" "" "" "$gc" >"$OUT/gc"
expect_eq "GC succeeds" "$(rc)" 0
if_failed cat "$OUT/gc"
check "and releases what the runtime no longer lists" not_registered bare4
expect_eq "and its interface" "$(in_ns "${NETNS[3]}" ip -o link show | grep -c eth0)" 0
expect_eq "but keeps what it lists" "$(registered bare1 | cut -d' ' -f1)" host1
cni DEL c0ffee01 "${NETNS[0]}" bare1 >"$OUT/del"
expect_eq "DEL succeeds" "$(rc)" 0
check "and releases the name" not_registered bare1
expect_eq "and takes the interface away" "$(in_ns "${NETNS[0]}" ip -o link show | grep -c eth0)" 0
cni DEL c0ffee01 "${NETNS[0]}" bare1 >/dev/null
expect_eq "DEL again succeeds" "$(rc)" 0
cni DEL c0ffee03 "" bare3 >/dev/null
expect_eq "DEL of a namespace that is gone succeeds" "$(rc)" 0
cni DEL nobody "" nobody >/dev/null
expect_eq "DEL of an unknown container succeeds" "$(rc)" 0
lab vxctl check >"$OUT/vcheck" 2>&1
check "vxctl check: registry, Docker and the kernel agree" grep -q "consistent" "$OUT/vcheck"
if_failed cat "$OUT/vcheck"

finish
