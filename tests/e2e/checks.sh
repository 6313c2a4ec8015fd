# Sourced by the end-to-end scripts, which set ROOT (the repository) first: a lab of the script's
# own that is torn down on every exit path, and counted checks that print "ok - ..." or
# "FAIL - ..." with the output of what failed. Scripts end with `finish`.
PASS=0
FAIL=0

# use_lab PREFIX NAME: `lab` commands go to lab PREFIX; OUT is a scratch folder; both are removed
# when the script exits, however it exits. A script that starts more of its own (a load, a
# browser) defines before_lab_down, which stops it first.
use_lab() {
  P=$1
  OUT=$(mktemp -d "/tmp/$1-$2.XXXXXX")
  # --one-file-system: a test may leave a mount of the lab's below OUT; lab down unmounts those.
  trap 'declare -F before_lab_down >/dev/null && before_lab_down; lab down >/dev/null 2>&1 || lab down; rm -rf --one-file-system "$OUT"' EXIT
  trap 'exit 130' INT TERM
}
lab() { "$ROOT/lab/lab" --prefix "$P" "$@"; }

LAST_OK=1
ok() { PASS=$((PASS + 1)); LAST_OK=1; echo "ok   - $*"; }
bad() { FAIL=$((FAIL + 1)); LAST_OK=0; echo "FAIL - $*"; }
# if_failed CMD...: more to show about the check just failed (a log, a journal).
if_failed() { ((LAST_OK)) || "$@" 2>&1 | tail -n 20 | sed 's/^/       | /'; }
# check DESCRIPTION CMD...: passes when CMD succeeds.
check() {
  local what=$1
  shift
  if "$@" >"$OUT/last" 2>&1; then ok "$what"; else bad "$what"; sed 's/^/       | /' "$OUT/last" | tail -n 15; fi
}
# expect_eq DESCRIPTION ACTUAL EXPECTED
expect_eq() {
  if [[ $2 == "$3" ]]; then ok "$1"; else bad "$1: got '$2', expected '$3'"; return 1; fi
}
# eventually SECONDS CMD...: retries CMD every 0.2 s; prints how long it took.
eventually() {
  local secs=$1 start=$SECONDS t0
  shift
  t0=$(date +%s%N)
  until "$@" >/dev/null 2>&1; do
    ((SECONDS - start < secs)) || return 1
    sleep 0.2
  done
  echo "after $(( ($(date +%s%N) - t0) / 1000000 )) ms"
}
# The last line, which ctest and people read; the exit status says the same.
finish() {
  echo "$PASS passed, $FAIL failed"
  ((FAIL == 0))
}
# must DESCRIPTION CMD...: a check the rest of the script stands on; when it fails, stop here.
must() {
  local before=$FAIL
  check "$@"
  ((FAIL == before)) || { finish || true; exit 1; }
}
