#!/usr/bin/env bash
# selftest: build a 2-host lab under its own prefix, check that it works, tear
# it down (after simulating a crashed dockerd) and check that nothing is left.
#
# Usage: lab/selftest.sh            (prefix vt; SELFTEST_PREFIX=xx to change)
# The last line is "N passed, M failed"; the exit status is non-zero on any failure.
set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
LAB=$HERE/lab
P=${SELFTEST_PREFIX:-vt}
STATE=/var/lib/${P}lab
RUN=/run/${P}lab
PASS=0
FAIL=0
OUT=$(mktemp /tmp/${P}-selftest-out.XXXXXX)
FAKEBIN=$(mktemp -d /tmp/${P}-selftest-bin.XXXXXX)
GLOBALS_BEFORE=$(ls -d /run/netns /run/docker /run/containerd /run/mount 2>/dev/null || true)
RECORDED=()      # "pid:starttime" of every process the lab started
TORN_DOWN=0

lab() { "$LAB" --prefix "$P" "$@"; }
ok()  { PASS=$((PASS + 1)); echo "ok   - $*"; }
bad() { FAIL=$((FAIL + 1)); echo "FAIL - $*"; sed 's/^/       | /' "$OUT" | tail -n 20; }

check() {   # DESCRIPTION CMD...   (output kept for the failure report)
  local what=$1
  shift
  if "$@" >"$OUT" 2>&1; then ok "$what"; else bad "$what"; fi
}

# Checks written as shell snippets.
check_sh() { check "$1" bash -c "set -euo pipefail; $2"; }

starttime() {   # field 22 of /proc/PID/stat; the comm field may hold spaces
  local s
  s=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  s=${s##*") "}
  local -a f
  read -ra f <<<"$s"
  echo "${f[19]}"
}

# Stand-ins for the project's daemons, to exercise the lab's hooks: they log
# their arguments and answer HTTP (busybox httpd) until SIGTERM.
make_fake_daemons() {
  local name port
  for name in vxlan-ipam:8000 vxlan-agent:8001; do
    port=${name#*:}
    name=${name%:*}
    cat >"$FAKEBIN/$name" <<EOF
#!/bin/sh
echo "ARGS: \$*"
busybox httpd -f -p $port -h "$FAKEBIN" &
child=\$!
trap 'kill \$child; exit 0' TERM INT
wait
EOF
    chmod +x "$FAKEBIN/$name"
  done
}

remember_processes() {
  local f pid st
  for f in "$RUN"/pids/*.pid; do
    [[ -f $f ]] && RECORDED+=("$(cut -d' ' -f1,2 --output-delimiter=: "$f")")
  done
  for pid in $(cat /sys/fs/cgroup/pids/"${P}lab"/*/cgroup.procs /sys/fs/cgroup/pids/"${P}lab"/*/*/cgroup.procs \
    /sys/fs/cgroup/"${P}lab"/*/cgroup.procs /sys/fs/cgroup/"${P}lab"/*/*/cgroup.procs 2>/dev/null); do
    st=$(starttime "$pid") && RECORDED+=("$pid:$st")
  done
}

none_alive() {
  local r alive=""
  for r in "${RECORDED[@]}"; do
    [[ $(starttime "${r%:*}" 2>/dev/null) == "${r#*:}" ]] && alive+=" ${r%:*}($(cat /proc/${r%:*}/comm))"
  done
  [[ -z $alive ]] || { echo "still alive:$alive"; return 1; }
}

# ------------------------------------------------------------------ checks

check_lab_works() {
  local i other
  check "lab status reports everything up" lab status
  for i in 1 2; do
    check "host$i: dockerd answers" lab docker host$i version --format '{{.Server.Version}}'
    check "host$i: image vxlan-demo:latest and nginx:alpine present" \
      lab docker host$i image inspect vxlan-demo:latest nginx:alpine
    check_sh "host$i: docker run -d --network none vxlan-demo serves HTTP, then is removed" "
      c=\$('$LAB' --prefix $P docker host$i run -d --network none vxlan-demo)
      [[ \$('$LAB' --prefix $P docker host$i inspect -f '{{.State.Running}}' \$c) == true ]]
      for n in 1 2 3 4 5 6 7 8 9 10; do
        body=\$('$LAB' --prefix $P docker host$i exec \$c timeout 2 wget -qO- http://127.0.0.1/ || true)
        [[ \$body == hello ]] && break; sleep 0.2
      done
      [[ \$body == hello ]]
      '$LAB' --prefix $P docker host$i rm -f \$c"
    other=$((3 - i))
    check "host$i pings host$other's underlay address 10.99.0.1$other" \
      lab exec host$i ping -c 1 -W 2 10.99.0.1$other
  done
  check_sh "both hosts hold the same image ID" "
    [[ \$('$LAB' --prefix $P docker host1 image inspect -f '{{.Id}}' vxlan-demo) == \
       \$('$LAB' --prefix $P docker host2 image inspect -f '{{.Id}}' vxlan-demo) ]]"
  check_sh "redis answers PING on the controller's loopback" \
    "[[ \$('$LAB' --prefix $P exec ctl redis-cli -h 127.0.0.1 ping) == PONG ]]"
  check_sh "redis answers PING from host1 over the underlay" \
    "[[ \$('$LAB' --prefix $P exec host1 redis-cli -h 10.99.0.2 ping) == PONG ]]"
  check_sh "redis runs with appendonly yes" \
    "'$LAB' --prefix $P exec ctl redis-cli config get appendonly | grep -qx yes"
  check_sh "underlay device is ${P}ul0 with MTU 1500 on host1" \
    "'$LAB' --prefix $P exec host1 ip -o link show ${P}ul0 | grep -q 'mtu 1500'"
  check_sh "ipam hook: started with the documented flags, reachable from host1" "
    grep -q 'ARGS: --listen 0.0.0.0:8000 --redis redis://127.0.0.1:6379 --subnet 172.20.0.0/16' $STATE/logs/ipam.log
    '$LAB' --prefix $P exec host1 curl -s -o /dev/null --max-time 2 http://10.99.0.2:8000/"
  check_sh "agent hook: one per host with its host id, underlay device and docker socket" "
    for i in 1 2; do
      grep -q \"ARGS: --listen 0.0.0.0:8001 --ipam http://10.99.0.2:8000 --host-id host\$i --underlay-dev ${P}ul0 --state-dir $STATE/agent-host\$i --docker unix://$RUN/host\$i/docker.sock\" $STATE/logs/agent-host\$i.log
    done
    '$LAB' --prefix $P exec ctl curl -s -o /dev/null --max-time 2 http://10.99.0.12:8001/"
  check_sh "lab env describes the lab" \
    "'$LAB' --prefix $P env | grep -qx 'LAB_HOST2_DOCKER=unix://$RUN/host2/docker.sock'"
  check_sh "root namespace holds no lab address, route or link" "
    ! ip -o addr | grep -q '10\.99\.0\.'
    ! ip route | grep -q '10\.99\.0\.'
    ! ip -o link | grep -q ': ${P}'"
}

check_nothing_left() {
  check_sh "no ${P} namespace left" "! ip netns list | grep -Eq '^${P}(sw|ctl|h[0-9]+)( |\$)'"
  check "no process the lab started is alive" none_alive
  check_sh "no mount left under the lab folders" "! grep -Eq ' ($STATE|$RUN)(/| )' /proc/mounts"
  check_sh "lab folders removed" "[[ ! -e $STATE && ! -e $RUN ]]"
  check_sh "lab cgroups removed" "[[ -z \$(find /sys/fs/cgroup -maxdepth 2 -name '${P}lab') ]]"
  if [[ -n $(ls -A /run/vxlan-lab/labs 2>/dev/null) ]]; then
    # Another lab is up: the shared paths stay until the last lab goes down.
    check_sh "lab unregistered (other labs still up: $(ls /run/vxlan-lab/labs | tr '\n' ' '))" \
      "[[ ! -e /run/vxlan-lab/labs/$P ]]"
  else
    check_sh "shared paths (/run/netns, /run/docker, /run/containerd, /run/mount) as before" \
      "[[ \"\$(ls -d /run/netns /run/docker /run/containerd /run/mount 2>/dev/null || true)\" == '$GLOBALS_BEFORE' ]]"
  fi
  check_sh "lab status says down" "rc=0; '$LAB' --prefix $P status || rc=\$?; [[ \$rc == 3 ]]"
}

# Runs on every exit path: the lab never outlives the test.
finish() {
  local rc=$?
  trap - EXIT INT TERM
  if ((!TORN_DOWN)); then
    remember_processes
    echo "# teardown"
    check "lab down" lab down
    check_nothing_left
  fi
  rm -rf "$FAKEBIN" "$OUT"
  ((rc == 0)) || echo "# selftest aborted (exit $rc)"
  echo "$PASS passed, $FAIL failed"
  ((FAIL == 0 && rc == 0))
}
trap finish EXIT
trap 'exit 130' INT TERM

# ------------------------------------------------------------------ main

((EUID == 0)) || { echo "must run as root"; exit 1; }
make_fake_daemons
export LAB_BIN_DIR=$FAKEBIN

echo "# up --hosts 2"
t0=$(date +%s.%N)
check "lab up --hosts 2" lab up --hosts 2
echo "# (up took $(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)") s)"
check_lab_works

echo "# up again on a running lab (idempotent)"
remember_processes   # the first lab's daemons must be gone after the second up
check "second lab up --hosts 2" lab up --hosts 2
check "host1 pings host2 after the second up" lab exec host1 ping -c 1 -W 2 10.99.0.12
check "host2 dockerd answers after the second up" lab docker host2 version

echo "# crash: a running container, then host1's dockerd killed with SIGKILL"
check "container started on host1" lab docker host1 run -d --name crashme vxlan-demo
check "container started on host2" lab docker host2 run -d --name survivor vxlan-demo
remember_processes
kill -KILL "$(cut -d' ' -f1 "$RUN/pids/dockerd-host1.pid")"
sleep 0.5

echo "# teardown"
t0=$(date +%s.%N)
check "lab down cleans up after the crash" lab down
echo "# (down took $(printf '%.1f' "$(echo "$(date +%s.%N) - $t0" | bc)") s)"
TORN_DOWN=1
check_nothing_left
