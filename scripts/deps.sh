# Sourced by the other scripts: installs, from Debian's packages only, whatever this project needs
# and is missing. Idempotent and quiet when everything is there already.
VX_PACKAGES=(
  build-essential cmake pkg-config git
  libboost1.81-all-dev libhiredis-dev libnl-3-dev libnl-route-3-dev prometheus-cpp-dev
  libspdlog-dev libcli11-dev libgtest-dev libgmock-dev libbenchmark-dev libldns-dev
  redis-server redis-tools wrk curl jq
  # tests/e2e/prom_samples.py: the reference parser of Prometheus's text format
  python3-prometheus-client
  # tests/e2e/ui_browser.py: the dashboard in a real, headless browser
  chromium chromium-driver python3-selenium
  docker.io busybox-static iproute2 iputils-ping tcpdump procps docker-compose systemd nftables
  # fuzz/run: libFuzzer comes with clang only; libclang-rt-14-dev holds its runtime and the
  # sanitizers', llvm-14 the symbolizer that puts file:line into a crash's stack.
  clang-14 libfuzzer-14-dev libclang-rt-14-dev llvm-14
)

vx_install_deps() {
  local missing=()
  for pkg in "${VX_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  if [ ${#missing[@]} -eq 0 ]; then
    echo "[setup] all ${#VX_PACKAGES[@]} packages present"
    return 0
  fi
  echo "[setup] installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q
  apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# vx_build DIR [cmake options...]: configures and builds the project into DIR, as a unity build:
# each compiler run takes up to eight of a target's files, so that the Boost, Asio and spdlog
# headers every file includes are read and instantiated once per eight (the release build took
# 460 s instead of 846 s). A developer's own build directory, without it, rebuilds one file per
# change.
vx_build() {
  local dir=$1
  shift
  echo "[setup] building in $dir"
  cmake -S "$VX_ROOT" -B "$dir" -DBUILD_TESTING=ON -DCMAKE_UNITY_BUILD=ON "$@" >/dev/null
  cmake --build "$dir" -j "$(nproc)"
}
