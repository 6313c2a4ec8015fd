#!/usr/bin/env bash
# vxctl against a real 2-host lab (prefix "vc"): every command, its table and its --json answer,
# and the error paths a person meets (an unknown name, a duplicate name, a bad name, a host that
# does not exist, the IPAM down, an agent down): each must be one line on stderr, no JSON dump and
# no stack trace, with the exit status of its kind. vxctl runs in the controller's namespace, as
# on an operator's machine. The lab is torn down on every exit path.
#   vxctl_test.sh [BIN_DIR]     (default: build/bin)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
source "$ROOT/tests/e2e/checks.sh"
use_lab "${E2E_PREFIX:-vc}" vxctl
export LAB_BIN_DIR=${1:-${LAB_BIN_DIR:-$ROOT/build/bin}}

# vx ARGS...: runs vxctl; its stdout in $OUT/out, stderr in $OUT/err, exit status in $rc.
vx() {
  lab vxctl "$@" >"$OUT/out" 2>"$OUT/err"
  rc=$?
}
out() { cat "$OUT/out"; }
js() { jq -r "$1" "$OUT/out"; }
# expect_rc DESCRIPTION STATUS: the last vx exited with STATUS.
expect_rc() {
  expect_eq "$1 (exit $2)" "$rc" "$2" || sed 's/^/       | /' "$OUT/out" "$OUT/err" | tail -n 10
}
# expect_one_line_error DESCRIPTION STATUS PATTERN: a clean failure: the status, one line on stderr
# matching PATTERN, nothing on stdout, no JSON and no C++ exception text.
expect_one_line_error() {
  expect_rc "$1" "$2"
  check "$1: one clear line on stderr" one_clean_line "$3"
}
one_clean_line() {
  cat "$OUT/err"
  [[ $(wc -l <"$OUT/err") == 1 && ! -s $OUT/out ]] && grep -q -- "$1" "$OUT/err" &&
    ! grep -q -e '{' -e terminate -e 'what()' "$OUT/err"
}
healthy() { [[ $(lab exec "host$1" curl -s -m 5 -o /dev/null -w '%{http_code}' http://127.0.0.1:8001/health) == 200 ]]; }

echo "# bringing up a 2-host lab '$P'"
lab up --hosts 2 >"$OUT/up.log" 2>&1 || { cat "$OUT/up.log"; echo "0 passed, 1 failed"; exit 1; }
eval "$(lab env)"
check "both agents report healthy" eventually 20 bash -c "$(declare -f lab healthy); P=$P ROOT=$ROOT; healthy 1 && healthy 2"

echo "# hosts"
vx hosts
expect_rc "vxctl hosts" 0
check "the table lists both hosts alive with their underlay addresses" bash -c \
  "grep -Eq '^host1 +10\.99\.0\.11 +http://10\.99\.0\.11:8001 +[0-9.]+s ago +alive +0$' '$OUT/out' &&
   grep -Eq '^host2 +10\.99\.0\.12 +http://10\.99\.0\.12:8001 +[0-9.]+s ago +alive +0$' '$OUT/out'"
vx --json hosts
expect_eq "hosts --json: ids, underlay, alive, no containers yet (gateways are not counted)" \
  "$(js 'sort_by(.host_id) | [.[] | "\(.host_id) \(.underlay_ip) \(.alive) \(.containers)"] | join(",")')" \
  "host1 10.99.0.11 true 0,host2 10.99.0.12 true 0"

echo "# stats"
vx stats
check "the table shows the pool and its use" grep -Eq '^pool +172\.20\.0\.0/16$' "$OUT/out"
check "two addresses in use: the gateways" grep -Eq '^used +2 \(0\.0%\)$' "$OUT/out"
vx --json stats
expect_eq "stats --json" "$(js '"\(.network_subnet) \(.total_ips) \(.allocated_ips) \(.available_ips)"')" \
  "172.20.0.0/16 65534 2 65532"

echo "# run"
vx run web1 nginx:alpine --host host1
expect_rc "vxctl run web1 --host host1" 0
check "it says where web1 runs" grep -Eq '^web1 is running on host1 at 172\.20\.[0-9]+\.[0-9]+ \(container [0-9a-f]{12}\)$' "$OUT/out"
vx --json run web2 nginx:alpine --host host2
expect_eq "run --json: web2 on host2, running" "$(js '"\(.container_name) \(.host_id) \(.status) \(.success)"')" "web2 host2 running true"
ip2=$(js .ip_address)
vx run web3 nginx:alpine
expect_rc "vxctl run with no --host picks a live host" 0
web3_host=$(sed -E 's/.* on (host[0-9]+) .*/\1/' "$OUT/out")
check "web3 landed on a host of the lab" bash -c "[[ '$web3_host' == host1 || '$web3_host' == host2 ]]"

echo "# a container may not drive the agents"
# Found by a hostile probe: from inside a container, POST http://<gateway>:8001/create_container
# created a container. Its host's agent is reached at the gateway and at the underlay address, both
# without NAT, so the agent sees the container's own address, and refuses it.
gateway1=$(lab docker host1 network inspect vxlan-net -f '{{(index .IPAM.Config 0).Gateway}}')
# The image's busybox nc speaks the HTTP by hand (its wget is not dependable in these images).
for target in "$gateway1" 10.99.0.11; do
  lab docker host1 exec web1 busybox sh -c "printf 'POST /create_container?container_name=evil&image=nginx:alpine HTTP/1.0\r\n\r\n' |
    busybox nc -w 5 $target 8001" >"$OUT/evil" 2>&1
  check "web1 asking its agent at $target to create a container is refused (403)" bash -c \
    "cat '$OUT/evil'; grep -q '^HTTP/1.0 403' '$OUT/evil' && grep -q forbidden_source '$OUT/evil'"
done
check "and no container 'evil' exists" bash -c "[[ -z \$(\"$ROOT/lab/lab\" --prefix $P docker host1 ps -aq -f name=^evil\$) ]]"
# Where Docker masquerades (the lab's dockerd does not), a container reaches other hosts under its
# host's own address, which no daemon can tell from an operator's: the shipped firewall
# (deploy/nftables/agent.nft, with the lab's addresses) keeps it away from them, and the overlay
# works as before.
ask_host2() {
  lab docker host1 exec web1 busybox sh -c "printf 'GET /health HTTP/1.0\r\n\r\n' | busybox nc -w 3 10.99.0.12 8001" 2>&1
}
check "without the firewall, web1 reaches host2's agent, which refuses it by its address" bash -c \
  "$(declare -f lab ask_host2); P=$P ROOT=$ROOT; ask_host2 | grep -q '^HTTP/1.0 403'"
sed -e 's|^define hosts = .*|define hosts = 10.99.0.0/24|' -e 's|^define ipam = .*|define ipam = 10.99.0.2|' \
  -e 's|^define operators = .*|define operators = 10.99.0.0/24|' "$ROOT/deploy/nftables/agent.nft" >"$OUT/agent.nft"
must "the shipped firewall loads on host1" lab exec host1 nft -f "$OUT/agent.nft"
check "with it, web1 gets no answer from host2's agent at all" bash -c \
  "$(declare -f lab ask_host2); P=$P ROOT=$ROOT; ! ask_host2 | grep -q '^HTTP'"
vx ping web1 web2 --count 1
expect_rc "and web1 still reaches web2 over the overlay" 0
check "and the agent of host1 still answers the operators" bash -c \
  "$(declare -f lab healthy); P=$P ROOT=$ROOT; lab vxctl hosts | grep -q '^host1 .* alive'"
lab exec host1 nft delete table inet vxlan_agent

vx --json hosts
expect_eq "hosts --json counts the new containers" "$(js '[.[].containers] | add')" "3"

echo "# ps"
vx ps
check "ps lists the three containers running, and no gateway" bash -c \
  "[[ \$(grep -Ec '^web[123] +host[12] +172\.20\.[0-9.]+ +running +nginx:alpine +vxlan-net$' '$OUT/out') == 3 ]] && ! grep -q gateway '$OUT/out'"
vx --json ps
expect_eq "ps --json: names, states, images" "$(js '[.[] | "\(.container_name):\(.state):\(.image)"] | join(",")')" \
  "web1:running:nginx:alpine,web2:running:nginx:alpine,web3:running:nginx:alpine"
expect_eq "ps --json: web2's address and host agree with run" "$(js '.[] | select(.container_name == "web2") | "\(.ip_address) \(.host_id)"')" "$ip2 host2"
vx --json ps --all
expect_eq "ps --all adds the two gateways" "$(js '[.[] | select(.state == "gateway")] | length')" "2"

echo "# inspect"
vx inspect web2
check "inspect shows web2's address, host, MAC and state" bash -c \
  "grep -Eq '^ip_address +$ip2$' '$OUT/out' && grep -Eq '^host_id +host2$' '$OUT/out' &&
   grep -Eq '^mac_address +([0-9a-f]{2}:){5}[0-9a-f]{2}$' '$OUT/out' && grep -Eq '^status +running$' '$OUT/out'"
vx --json inspect web2
mac=$(lab docker host2 inspect web2 -f '{{(index .NetworkSettings.Networks "vxlan-net").MacAddress}}')
expect_eq "inspect --json agrees with docker inspect on host2" "$(js '"\(.ip_address) \(.mac_address) \(.status)"')" "$ip2 $mac running"

echo "# check"
vx check web2
expect_eq "check of a taken name" "$(out)" "web2 is taken: $ip2 on host2"
vx --json check web2
expect_eq "check --json of a taken name" "$(js '"\(.exists) \(.ip_address) \(.host_id)"')" "true $ip2 host2"
vx check nobody
expect_eq "check of a free name" "$(out)" "nobody is free"
vx --json check nobody
expect_eq "check --json of a free name" "$(js .exists)" "false"

echo "# check: the registry against Docker and the kernels"
vx check
expect_rc "vxctl check of a consistent cluster" 0
check "it says what it checked" grep -Eq "^consistent: 2 hosts, [0-9]+ names, [0-9]+ forwarding entries checked$" "$OUT/out"
# Two faults no loop repairs at once (the kernel is diffed every 60 s): host1 loses web2's entry and
# gains one that nobody holds.
lab exec host1 bridge fdb del "$mac" dev vxlan0 dst "$LAB_HOST2_IP" self
lab exec host1 bridge fdb append 02:00:00:00:00:99 dev vxlan0 dst 10.99.0.77 self permanent
vx --json check
expect_rc "vxctl check finds them" 1
expect_eq "both, by host and kind" "$(js '[.disagreements[] | "\(.host_id) \(.kind)"] | sort | join(",")')" \
  "host1 missing_entry,host1 stray_entry"
vx check --repair
expect_rc "vxctl check --repair fixes them" 0
vx check
expect_rc "and the cluster is consistent afterwards" 0

echo "# ping: the agent of A's host probes from inside A"
vx ping web1 web2
expect_rc "vxctl ping web1 web2" 0
check "3 of 3 echo replies, and the round trip" grep -Eq "^web1 \(host1\) -> web2 \($ip2\) icmp: 3 of 3 answered, average [0-9.]+ ms: reachable$" "$OUT/out"
vx --json ping web2 web1 --count 2
expect_eq "ping --json the other way" "$(js '"\(.reachable) \(.sent) \(.received) \(.method) \(.rtt_ms | length)"')" "true 2 2 icmp 2"
vx ping web1 web2 --port 80
expect_rc "TCP port 80 of web2 from web1" 0
vx --json ping web1 web2 --port 81 --count 1
expect_rc "a closed TCP port is not reachable" 1
expect_eq "ping --json of a closed port" "$(js '"\(.reachable) \(.received) \(.method) \(.port)"')" "false 0 tcp 81"
vx ping web1 172.20.255.254 --count 1 --probe-timeout-ms 300
expect_rc "an address nobody holds is unreachable" 1
check "it says so" grep -q "0 of 1 answered: UNREACHABLE" "$OUT/out"

echo "# rm"
vx rm web3
expect_rc "vxctl rm web3" 0
check "it says the address is free again" grep -Eq "^removed web3 from host[12]; 172\.20\.[0-9.]+ is free again$" "$OUT/out"
vx --json check web3
expect_eq "web3's name is free after rm" "$(js .exists)" "false"
expect_eq "and no container web3 is left on $web3_host" "$(lab docker "$web3_host" ps -aq -f name=^web3$)" ""

echo "# metrics: they parse as Prometheus text and agree with Redis and Docker"
# sample NAME{LABELS}: its value in $OUT/metrics, as prom_samples.py prints it.
sample() { awk -v key="$1" '$1 == key {print $2}' "$OUT/metrics"; }
scrape() {   # HOST PORT: that daemon's /metrics, parsed
  lab exec "$1" curl -s -m 5 "http://127.0.0.1:$2/metrics" | "$ROOT/tests/e2e/prom_samples.py" >"$OUT/metrics"
}
metrics_agree() {
  scrape ctl 8000 || return 1
  local allocated available
  allocated=$(lab exec ctl curl -s -m 5 http://127.0.0.1:8000/stats | jq -r .allocated_ips)
  available=$(lab exec ctl curl -s -m 5 http://127.0.0.1:8000/stats | jq -r .available_ips)
  [[ $(sample 'vxlan_ipam_pool_addresses{network="vxlan-net",state="allocated"}') == "$allocated" &&
     $(sample 'vxlan_ipam_pool_addresses{network="vxlan-net",state="free"}') == "$available" ]] || return 1
  scrape host1 8001 || return 1
  [[ $(sample 'vxlan_agent_containers{network="vxlan-net"}') == \
     $(lab docker host1 ps -q --filter network=vxlan-net --filter status=running | wc -l) ]]
}
check "the IPAM's /metrics parses as Prometheus text" scrape ctl 8000
expect_eq "redis_up" "$(sample 'vxlan_ipam_redis_up{}')" 1
expect_eq "two hosts alive" "$(sample 'vxlan_ipam_hosts{state="alive"}')" 2
created=$(sample 'vxlan_ipam_allocations_total{network="vxlan-net",result="created"}')
check "allocations are counted" test "${created:-0}" -ge 1
check "request durations by route pattern" grep -q '^vxlan_ipam_http_request_duration_seconds_count{code="200",route="/allocate"} [1-9]' "$OUT/metrics"
check "the revision is the feed's" test "$(sample 'vxlan_ipam_revision{}')" -ge "$(lab exec ctl curl -s -m 5 http://127.0.0.1:8000/peers | jq .revision)"
check "an agent's /metrics parses" scrape host1 8001
expect_eq "host1 sees one peer, alive" "$(sample 'vxlan_agent_peers{state="alive"}')" 1
expect_eq "and one flood entry towards it" "$(sample 'vxlan_agent_fdb_entries{kind="flood",network="vxlan-net"}')" 1
check "the pool and the containers agree with Redis and Docker" eventually 5 metrics_agree
scrape ctl 8000 && cp "$OUT/metrics" "$OUT/ipam.metrics"
scrape host1 8001 && cp "$OUT/metrics" "$OUT/agent.metrics"
missing=""
for name in $(grep -oh 'vxlan_[a-z_]*' "$ROOT"/deploy/monitoring/* | sed -E 's/_(bucket|count|sum)$//' | sort -u); do
  grep -q "^$name" "$OUT/ipam.metrics" "$OUT/agent.metrics" || missing+=" $name"
done
expect_eq "every metric deploy/monitoring's Prometheus rules and Grafana dashboard use is served" "$missing" ""
vx run metered nginx:alpine --host host1
check "after a create too" eventually 5 metrics_agree
check "which is timed" grep -q '^vxlan_agent_create_duration_seconds_count{} [1-9]' "$OUT/metrics"
vx rm metered
check "and after a removal" eventually 5 metrics_agree

echo "# events"
before=$(lab exec ctl curl -s -m 5 http://127.0.0.1:8000/peers | jq .revision)
# Its own PID (timeout's, which the vxctl it runs is): stopped by that PID.
timeout 60 "$ROOT/lab/lab" --prefix "$P" vxctl events >"$OUT/events" 2>"$OUT/events.err" &
events_pid=$!
timeout 60 "$ROOT/lab/lab" --prefix "$P" vxctl --json events >"$OUT/events.json" 2>&1 &
json_pid=$!
sleep 1
vx run ev1 nginx:alpine --host host1
expect_rc "vxctl run ev1 while events follow" 0
vx rm ev1
expect_rc "vxctl rm ev1" 0
check "events prints ev1's put as it happens" eventually 10 grep -Eq "  r[0-9]+  endpoint put     ev1  172\.20\." "$OUT/events"
check "and its delete" eventually 10 grep -Eq "  r[0-9]+  endpoint delete  ev1 " "$OUT/events"
if_failed cat "$OUT/events" "$OUT/events.err"
check "--json: one change per line, ev1's delete among them" eventually 10 bash -c \
  "jq -e 'select(.op == \"delete\" and .container_name == \"ev1\")' $OUT/events.json"
kill "$events_pid" "$json_pid" 2>/dev/null
wait "$events_pid" "$json_pid" 2>/dev/null
timeout 20 "$ROOT/lab/lab" --prefix "$P" vxctl --json events --since "$before" --count 2 >"$OUT/since" 2>&1
expect_eq "--since resumes after a revision: the first change after it is next" \
  "$(head -1 "$OUT/since" | jq .revision)" "$((before + 1))"

echo "# errors: one line each, an exit status per kind"
vx inspect ghost
expect_one_line_error "inspect of an unknown container" 3 "no container named 'ghost'"
vx rm ghost
expect_one_line_error "rm of an unknown container" 3 "no container named 'ghost'"
vx ping ghost web1
expect_one_line_error "ping from an unknown container" 3 "no container named 'ghost'"
vx ping web1 ghost
expect_one_line_error "ping to an unknown container" 3 "ghost"
vx run web2 nginx:alpine --host host1
expect_one_line_error "run of a name held on another host" 4 "held by host 'host2'"
vx run 'bad/name' nginx:alpine
expect_one_line_error "run with an invalid name" 2 "invalid"
vx run web9 nginx:alpine --host nohost
expect_one_line_error "run on an unknown host" 3 "no host named 'nohost'"
vx run web9 no-such-image:1 --host host1
expect_one_line_error "run of an image the host lacks" 2 "no-such-image"
vx --json stats
expect_eq "the failures changed nothing: still 2 gateways + web1 + web2" "$(js .allocated_ips)" "4"
vx frobnicate
expect_one_line_error "an unknown command" 2 "vxctl"

lab stop agent-host2 >/dev/null
vx ps
expect_rc "ps with host2's agent down still lists" 0
check "web2's state is unknown, and the warning names host2's agent" bash -c \
  "grep -Eq '^web2 +host2 +$ip2 +unknown' '$OUT/out' && grep -q '10.99.0.12:8001 does not answer' '$OUT/err'"
vx ping web2 web1
expect_one_line_error "ping from a host whose agent is down" 5 "does not answer"
lab restart agent-host2 >/dev/null 2>&1

lab stop ipam >/dev/null
for command in hosts ps stats "inspect web1" "check web1" "rm web1" "run web4 nginx:alpine" "ping web1 web2"; do
  vx $command
  expect_one_line_error "vxctl $command with the IPAM down" 5 "the IPAM at http://10.99.0.2:8000 does not answer"
done
lab restart ipam >/dev/null 2>&1
vx --ipam http://10.99.0.2:9 stats
expect_one_line_error "a wrong --ipam" 5 "10.99.0.2:9 does not answer"
vx --json ps
expect_eq "after the IPAM is back, nothing was lost" "$(js '[.[].container_name] | join(",")')" "web1,web2"

finish
