#!/usr/bin/env bash
# The deployment files (deploy/) at work on a lab of their own (lab/lab, prefix "vd", 2 hosts, no
# lab IPAM or agents):
#   1. deploy/install into a staging root: what each role installs, modes, configuration kept;
#   2. systemd-analyze verify and security on the installed units;
#   3. the nftables examples parse;
#   4. deploy/images/build into host1's dockerd; deploy/compose.yaml there: IPAM healthy, an
#      allocation survives `docker-compose restart`, Redis unreachable from anywhere;
#   5. the agent image on host1 next to it: healthy, creates a container, leaves it running when stopped;
#   6. the systemd units under a real systemd: host2 runs a container whose PID 1 is systemd, with
#      the host's /usr, a staging root from deploy/install, host2's network and Docker socket, and
#      the units as installed (hardening, DynamicUser, LoadCredential token): enable --now, the
#      token enforced, Redis private, the agent's containers surviving its stop, and a reboot.
# The lab is torn down on every exit path. Each check prints ok/FAIL; the last line is
# "N passed, M failed" and the exit status is non-zero on any failure.
#
# usage: tests/deploy/deploy_test.sh [BIN_DIR]     (default: build/bin)
set -uo pipefail

ROOT=$(cd "$(dirname "$0")/../.." && pwd)
BIN_DIR=$(cd "${1:-$ROOT/build/bin}" && pwd)
source "$ROOT/tests/e2e/checks.sh"
use_lab vd deploy
T=$OUT

# From inside a lab host, as everything on the lab's addresses must be.
on() { local h=$1; shift; lab exec "$h" "$@"; }
http_code() {   # HOST URL [CURL ARGS...]: the status only ("000": no answer)
  local h=$1 url=$2
  shift 2
  on "$h" curl -s -m 5 -o "$T/body" -w '%{http_code}' "$@" "$url" || true
}
# HOST URL: no TCP answer at all. Only curl's "connection refused" (7) and "timed out" (28) count:
# a live Redis makes curl fail too, with an empty reply (52).
refused() {
  on "$1" curl -s -m 3 -o /dev/null "$2"
  local status=$?
  [[ $status == 7 || $status == 28 ]] || { echo "curl exited $status: something answers"; return 1; }
}

echo "# 1. deploy/install into a staging root"
STAGE=$T/stage
mkdir -p "$STAGE"
must "deploy/install --role all --root STAGE" "$ROOT/deploy/install" --role all --root "$STAGE" --bin-dir "$BIN_DIR"
# mode owner:group path, as installed
mode_of() { stat -c '%a %U:%G' "$1" 2>/dev/null || echo absent; }
for f in usr/local/bin/vxlan-ipam usr/local/bin/vxlan-agent; do
  expect_eq "/$f 755 root" "$(mode_of "$STAGE/$f")" "755 root:root"
  check "/$f is the built binary" cmp "$BIN_DIR/$(basename "$f")" "$STAGE/$f"
done
for u in vxlan-ipam vxlan-agent vxlan-redis; do
  check "/etc/systemd/system/$u.service is deploy/systemd's" cmp "$ROOT/deploy/systemd/$u.service" "$STAGE/etc/systemd/system/$u.service"
done
expect_eq "/etc/vxlan/ipam.env 600 root (it may hold a Redis password)" "$(mode_of "$STAGE/etc/vxlan/ipam.env")" "600 root:root"
expect_eq "/etc/vxlan/agent.env 600 root" "$(mode_of "$STAGE/etc/vxlan/agent.env")" "600 root:root"
expect_eq "/etc/vxlan/redis.conf 640 root:redis (Redis reads it, nobody else)" "$(mode_of "$STAGE/etc/vxlan/redis.conf")" "640 root:redis"
expect_eq "/opt/cni/bin/vxlan-cni 755 root, where CNI runtimes look" "$(mode_of "$STAGE/opt/cni/bin/vxlan-cni")" "755 root:root"
check "/opt/cni/bin/vxlan-cni is the built plugin" cmp "$BIN_DIR/vxlan-cni" "$STAGE/opt/cni/bin/vxlan-cni"
check "/etc/cni/net.d/10-vxlan.conflist names the plugin and the token" \
  jq -e '.plugins[0].type == "vxlan-cni" and .plugins[0].token_file == "/etc/vxlan/token"' "$STAGE/etc/cni/net.d/10-vxlan.conflist"
check "the units' Documentation= file is installed" test -s "$STAGE/usr/local/share/doc/vxlan-cluster/README.md"
echo "VXLAN_IPAM_LOG_LEVEL=debug   # the operator's" >>"$STAGE/etc/vxlan/ipam.env"
"$ROOT/deploy/install" --role all --root "$STAGE" --bin-dir "$BIN_DIR" >"$T/again" 2>&1
check "installing again keeps an edited /etc/vxlan/ipam.env" grep -q "the operator's" "$STAGE/etc/vxlan/ipam.env"
mkdir -p "$T/agent-only"
"$ROOT/deploy/install" --role agent --root "$T/agent-only" --bin-dir "$BIN_DIR" >"$T/agent-only.log" 2>&1
check "--role agent installs the agent, its unit and agent.env" \
  test -x "$T/agent-only/usr/local/bin/vxlan-agent" -a -f "$T/agent-only/etc/systemd/system/vxlan-agent.service" -a -f "$T/agent-only/etc/vxlan/agent.env"
check "--role agent installs nothing of the IPAM or Redis" \
  test ! -e "$T/agent-only/usr/local/bin/vxlan-ipam" -a ! -e "$T/agent-only/etc/systemd/system/vxlan-ipam.service" \
  -a ! -e "$T/agent-only/etc/systemd/system/vxlan-redis.service" -a ! -e "$T/agent-only/etc/vxlan/ipam.env"
mkdir -p "$T/none"
check "no --role: refused, nothing installed" \
  bash -c "! '$ROOT/deploy/install' --root '$T/none' --bin-dir '$BIN_DIR' && test -z \"\$(ls -A '$T/none')\""

echo "# 2. systemd-analyze on the installed units (no systemd as PID 1 needed)"
# The staging root gets what the OS would provide: the distribution's units (docker.service,
# network-online.target, redis-server.service), Debian's redis-server binary and mkdir.
mkdir -p "$STAGE/usr/lib/systemd" "$STAGE/usr/bin"
cp -a /usr/lib/systemd/system "$STAGE/usr/lib/systemd/"
cp -L "$(command -v redis-server)" "$STAGE/usr/bin/redis-server"
cp -L /usr/bin/mkdir "$STAGE/usr/bin/mkdir"
UNITS=(/etc/systemd/system/vxlan-redis.service /etc/systemd/system/vxlan-ipam.service /etc/systemd/system/vxlan-agent.service)
verify() { # ROOT: verify prints every problem (unknown keys, missing binaries...) yet exits 0 on most
  local out
  out=$(systemd-analyze verify --root="$1" "${UNITS[@]}" 2>&1) || { echo "$out"; return 1; }
  [[ -z $out ]] || { echo "$out"; return 1; }
}
check "systemd-analyze verify: the three units, silent" verify "$STAGE"
cp -a "$STAGE" "$T/broken"
sed -i 's/^Type=exec/Typ=exec/' "$T/broken/etc/systemd/system/vxlan-ipam.service"
check "... and it does report a broken unit" bash -c "$(declare -f verify); UNITS=(${UNITS[*]}); ! verify '$T/broken'"
exposure() { # UNIT MAX(x10): the unit's overall exposure stays at or below MAX
  systemd-analyze security --offline=true --root="$STAGE" --threshold="$2" "/etc/systemd/system/$1.service" >"$T/sec" 2>&1 ||
    { tail -n 1 "$T/sec"; return 1; }
}
check "vxlan-ipam exposure <= 2.0 (OK)" exposure vxlan-ipam 20
check "vxlan-redis exposure <= 2.0 (OK)" exposure vxlan-redis 20
check "vxlan-agent exposure <= 6.0 (root with 4 capabilities)" exposure vxlan-agent 60

echo "# 3. a 2-host lab '$P' (no lab IPAM, no agents)"
must "lab up --hosts 2 --no-ipam" lab up --hosts 2 --no-ipam
eval "$(lab env)"
for f in "$ROOT"/deploy/nftables/*.nft; do
  check "nft -c accepts deploy/nftables/$(basename "$f")" on host1 nft -c -f "$f"
done

echo "# 4. images and deploy/compose.yaml on host1"
t0=$SECONDS
must "deploy/images/build into host1's dockerd" \
  "$ROOT/deploy/images/build" --docker-host "$LAB_HOST1_DOCKER" --bin-dir "$BIN_DIR" --build-dir "$T/images"
echo "       (images built in $((SECONDS - t0)) s)"
compose() { on host1 env DOCKER_HOST="$LAB_HOST1_DOCKER" docker-compose -f "$ROOT/deploy/compose.yaml" "$@"; }
must "docker-compose -f deploy/compose.yaml up -d" compose up -d
ipam_healthy() { [[ $(http_code "$1" http://127.0.0.1:8000/health) == 200 && $(jq -r .status "$T/body") == healthy ]]; }
check "the IPAM answers healthy on host1's 127.0.0.1:8000" eventually 30 ipam_healthy host1
alloc=$(on host1 curl -s -m 5 -X POST http://127.0.0.1:8000/allocate -d '{"container_name":"persist1","host_id":"host1"}' || true)
ip_p=$(jq -r .ip_address <<<"$alloc" 2>/dev/null || true)
check "an allocation works ($ip_p)" test "$(jq -r .success <<<"$alloc" 2>/dev/null)" == true
expect_eq "redis-cli in the Redis container: SCARD available_ips" \
  "$(lab docker host1 exec vxlan-redis redis-cli SCARD available_ips 2>&1)" "65533"
check "docker-compose restart" compose restart
check "the IPAM is healthy again" eventually 30 ipam_healthy host1
expect_eq "the allocation survived the restart (AOF in the volume)" \
  "$(on host1 curl -s -m 5 http://127.0.0.1:8000/container/persist1 | jq -r .ip_address)" "$ip_p"
check "the IPAM is published: reachable from the controller at host1:8000" \
  test "$(http_code ctl "http://$LAB_HOST1_IP:8000/health")" == 200
check "Redis is not on host1's 127.0.0.1:6379" refused host1 http://127.0.0.1:6379
check "Redis is not on host1's $LAB_HOST1_IP:6379 (from the controller)" refused ctl "http://$LAB_HOST1_IP:6379"

echo "# 5. the agent image on host1, beside the compose IPAM"
# --privileged would also do on a normal host; this machine's kernel withholds CAP_SYS_RESOURCE,
# which --privileged asks for, so the test uses the precise capabilities the image documents.
must "docker run vxlan-agent:latest --network host --pid host, its capabilities, the Docker socket" \
  lab docker host1 run -d --name vxlan-agent --network host --pid host \
  --cap-add NET_ADMIN --cap-add SYS_ADMIN --cap-add NET_RAW --cap-add SYS_PTRACE \
  -v "${LAB_HOST1_DOCKER#unix://}:/var/run/docker.sock" -v /run/docker/plugins:/run/docker/plugins \
  vxlan-agent:latest --ipam http://127.0.0.1:8000 --underlay-dev "$LAB_UNDERLAY_DEV" --host-id host1 \
  --docker-plugin "$P-host1"
agent_healthy() { [[ $(http_code "$1" http://127.0.0.1:8001/health "${@:2}") == 200 ]]; }
check "the agent's /health answers 200" eventually 30 agent_healthy host1
if_failed lab docker host1 logs vxlan-agent
created=$(on host1 curl -s -m 60 -X POST "http://127.0.0.1:8001/create_container?container_name=web1&image=nginx:alpine" || true)
expect_eq "POST /create_container web1 nginx:alpine" "$(jq -r '"\(.success)/\(.status)"' <<<"$created" 2>/dev/null)" "true/running"
ip_w=$(jq -r .ip_address <<<"$created" 2>/dev/null || true)
expect_eq "the IPAM holds web1 on host1" "$(on host1 curl -s -m 5 http://127.0.0.1:8000/container/web1 | jq -r '"\(.host_id) \(.ip_address)"')" "host1 $ip_w"
expect_eq "web1 serves from its overlay address, reached through vxlan-net" "$(on host1 curl -s -m 5 "http://$ip_w/" || true)" "hello"
check "docker stop vxlan-agent" lab docker host1 stop -t 5 vxlan-agent
expect_eq "web1 keeps running without its agent" "$(lab docker host1 inspect -f '{{.State.Running}}' web1 2>&1)" "true"

echo "# 6. the systemd units under systemd, on host2 (IPAM, Redis and agent together)"
# A machine with systemd as PID 1: the host's /usr read-only, and /etc, /var and /usr/local of its
# own. Its /etc is this machine's, with no unit enabled and no fstab, so that only what the test
# enables runs; deploy/install then fills it like any staging root.
SYS=$T/sys
mkdir -p "$SYS/var" "$SYS/usr/local" "$T/sysimg/rootfs"
cp -a /etc "$SYS/etc"
rm -rf "$SYS"/etc/systemd/system/*
: >"$SYS/etc/fstab"
ln -s /run "$SYS/var/run"
must "deploy/install --role all into the systemd machine" "$ROOT/deploy/install" --role all --root "$SYS" --bin-dir "$BIN_DIR"
# Security by default: deploy/install made the token and Redis's password.
expect_eq "deploy/install made the cluster token, 600 root" "$(mode_of "$SYS/etc/vxlan/token")" "600 root:root"
expect_eq "... and Redis's password for Redis, 640 root:redis" "$(mode_of "$SYS/etc/vxlan/redis-auth.conf")" "640 root:redis"
expect_eq "... and for the IPAM, 600 root" "$(mode_of "$SYS/etc/vxlan/redis-password.env")" "600 root:root"
TOKEN=$(<"$SYS/etc/vxlan/token")
REDIS_PASSWORD=$(awk '$1 == "requirepass" {print $2}' "$SYS/etc/vxlan/redis-auth.conf")
AUTH=(-H "Authorization: Bearer $TOKEN")
sed -i -e 's|^VXLAN_AGENT_IPAM=.*|VXLAN_AGENT_IPAM=http://127.0.0.1:8000|' \
  -e "s|^VXLAN_AGENT_UNDERLAY_DEV=.*|VXLAN_AGENT_UNDERLAY_DEV=$LAB_UNDERLAY_DEV|" \
  -e 's|^#VXLAN_AGENT_HOST_ID=.*|VXLAN_AGENT_HOST_ID=host2|' \
  -e "s|^#VXLAN_AGENT_DOCKER_PLUGIN=.*|VXLAN_AGENT_DOCKER_PLUGIN=$P-host2|" "$SYS/etc/vxlan/agent.env"
# host2's dockerd runs outside this machine: a stand-in docker.service satisfies Requires=.
printf '%s\n' '[Unit]' 'Description=stand-in: the lab host'"'"'s dockerd runs outside, its socket is mounted' \
  '[Service]' 'Type=oneshot' 'RemainAfterExit=yes' 'ExecStart=/bin/true' >"$SYS/etc/systemd/system/docker.service"
(
  cd "$T/sysimg/rootfs"
  mkdir -p etc var run tmp proc sys dev usr root
  for l in bin sbin lib lib64; do ln -s "usr/$l" "$l"; done
)
printf '%s\n' 'FROM scratch' 'COPY rootfs/ /' 'ENV container=docker' 'STOPSIGNAL SIGRTMIN+3' >"$T/sysimg/Dockerfile"
must "a systemd machine image on host2" bash -c "DOCKER_BUILDKIT=0 docker -H '$LAB_HOST2_DOCKER' build -q -t vd-systemd:latest '$T/sysimg' >/dev/null 2>&1"
# Mounts are shared on a systemd host (systemd's credentials depend on it); Docker makes them
# private, so PID 1 starts by sharing them again. CAP_SYS_RESOURCE is withheld by this machine.
must "boot it (host2's network, host2's Docker socket)" \
  lab docker host2 run -d --name vd-systemd --network host --cgroupns host -v /sys/fs/cgroup:/sys/fs/cgroup:rw \
  --tmpfs /run --tmpfs /run/lock --tmpfs /tmp --security-opt seccomp=unconfined \
  --cap-add SYS_ADMIN --cap-add NET_ADMIN --cap-add SYS_PTRACE --cap-add DAC_READ_SEARCH --cap-add IPC_LOCK \
  --cap-add SYS_NICE --cap-add LINUX_IMMUTABLE \
  -v /usr:/usr:ro -v "$SYS/usr/local:/usr/local:ro" -v "$SYS/etc:/etc" -v "$SYS/var:/var" \
  -v "${LAB_HOST2_DOCKER#unix://}:/run/docker.sock" -v /run/docker/plugins:/run/docker/plugins \
  --entrypoint /bin/sh vd-systemd:latest -c 'mount --make-rshared / && exec /lib/systemd/systemd'
sysd() { lab docker host2 exec vd-systemd "$@"; }
booted() { [[ $(sysd systemctl is-system-running 2>/dev/null) =~ ^(running|degraded)$ ]]; }
must "systemd is up" eventually 30 booted
must "systemctl enable --now vxlan-redis vxlan-ipam vxlan-agent" sysd systemctl enable --now vxlan-redis vxlan-ipam vxlan-agent
all_active() { sysd systemctl is-active vxlan-redis vxlan-ipam vxlan-agent; }
check "the three units are active" eventually 20 all_active
if_failed sysd journalctl --no-pager -n 30 -u vxlan-ipam -u vxlan-agent -u vxlan-redis
check "the IPAM answers healthy on host2" eventually 20 ipam_healthy host2
expect_eq "the token is enforced: GET /containers without it" "$(http_code host2 http://127.0.0.1:8000/containers)" "401"
alloc=$(on host2 curl -s -m 5 "${AUTH[@]}" -X POST http://127.0.0.1:8000/allocate -d '{"container_name":"persist2","host_id":"elsewhere"}' || true)
ip_q=$(jq -r .ip_address <<<"$alloc" 2>/dev/null || true)
check "with the token an allocation works ($ip_q)" test "$(jq -r .success <<<"$alloc" 2>/dev/null)" == true
uid=$(sysd ps -o uid= -C vxlan-ipam 2>/dev/null | tr -d ' ' || true)
check "vxlan-ipam runs as a dynamic user (uid $uid), not root" test "${uid:-0}" -ge 61184 -a "${uid:-0}" -le 65519
expect_eq "vxlan-redis runs as redis" "$(sysd ps -o user= -C redis-server 2>&1 | tr -d ' ')" "redis"
check "Redis keeps its append-only file in /var/lib/vxlan-redis" test -d "$SYS/var/lib/vxlan-redis/appendonlydir"
expect_eq "Redis refuses commands without its password" "$(on host2 redis-cli -h 127.0.0.1 ping 2>&1 | cut -c1-6)" "NOAUTH"
expect_eq "Redis answers on host2's loopback with it" \
  "$(on host2 redis-cli -h 127.0.0.1 --no-auth-warning -a "$REDIS_PASSWORD" ping 2>&1)" "PONG"
check "Redis is not reachable at host2's $LAB_HOST2_IP:6379 (from the controller)" refused ctl "http://$LAB_HOST2_IP:6379"
expect_eq "the IPAM is reachable at host2's $LAB_HOST2_IP:8000 (from the controller)" \
  "$(http_code ctl "http://$LAB_HOST2_IP:8000/health")" "200"
check "the agent's /health answers 200" eventually 30 agent_healthy host2
if_failed sysd journalctl --no-pager -u vxlan-agent
expect_eq "the agent requires the token too" \
  "$(http_code host2 "http://127.0.0.1:8001/create_container?container_name=web2&image=nginx:alpine" -X POST)" "401"
created=$(on host2 curl -s -m 60 "${AUTH[@]}" -X POST "http://127.0.0.1:8001/create_container?container_name=web2&image=nginx:alpine" || true)
expect_eq "POST /create_container web2 with the token" "$(jq -r '"\(.success)/\(.status)"' <<<"$created" 2>/dev/null)" "true/running"
check "systemctl stop vxlan-agent" sysd systemctl stop vxlan-agent
expect_eq "web2 keeps running without its agent" "$(lab docker host2 inspect -f '{{.State.Running}}' web2 2>&1)" "true"
check "systemctl start vxlan-agent" sysd systemctl start vxlan-agent
check "the agent is healthy again" eventually 30 agent_healthy host2
expect_eq "... and still manages web2" \
  "$(on host2 curl -s -m 5 "${AUTH[@]}" http://127.0.0.1:8001/container/web2 | jq -r .container_name 2>/dev/null)" "web2"
gw=$(on host2 curl -s -m 5 http://127.0.0.1:8001/health | jq -r .gateway 2>/dev/null || true)
check "reboot the machine (docker restart: systemd shuts down and boots)" lab docker host2 restart -t 30 vd-systemd
check "systemd is up again" eventually 30 booted
check "the three enabled units are active again" eventually 20 all_active
if_failed sysd journalctl --no-pager -b -n 30 -u vxlan-ipam -u vxlan-agent -u vxlan-redis
check "the IPAM is healthy again" eventually 20 ipam_healthy host2
expect_eq "the allocation survived the reboot" \
  "$(on host2 curl -s -m 5 "${AUTH[@]}" http://127.0.0.1:8000/container/persist2 | jq -r .ip_address 2>/dev/null)" "$ip_q"
check "the agent is healthy again" eventually 30 agent_healthy host2
expect_eq "... with the same gateway" "$(jq -r .gateway "$T/body" 2>/dev/null)" "$gw"
mv "$SYS/etc/vxlan/token" "$SYS/etc/vxlan/token.away"
sysd systemctl restart vxlan-ipam >/dev/null 2>&1 || true
expect_eq "without /etc/vxlan/token vxlan-ipam does not start (243/CREDENTIALS)" \
  "$(sysd systemctl show -p ExecMainStatus --value vxlan-ipam 2>&1)/$(sysd systemctl is-active vxlan-ipam 2>&1)" "243/failed"
mv "$SYS/etc/vxlan/token.away" "$SYS/etc/vxlan/token"
check "with it back, it starts again" sysd systemctl restart vxlan-ipam

finish
