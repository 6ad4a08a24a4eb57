#!/usr/bin/env bash
# A lane keeps its connection to its lagfs's control socket from one
# iteration to the next (each iteration tells lagfs to let its hold go):
# one connect() for 5 iterations, not 5. A connect and an accept per
# iteration cost a tenth of a millisecond of CPU (issue 17).
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (lagrace's lanes then use plain mount namespaces)"
command -v strace >/dev/null || skip_all "needs strace"

LR_TIMEOUT=120
. "$TOP/tests/lagrace_runs.sh"

# strace -f follows the lane and its lagfs; only the lane connects to the
# socket (lagfs's own probe of its path before it listens is refused).
# LeakSanitizer cannot work under ptrace: a sanitizer build's leak check
# is off for this run (make check-sanitize checks leaks everywhere else).
export LSAN_OPTIONS=${LSAN_OPTIONS:+$LSAN_OPTIONS:}detect_leaks=0
LR=strace lr kept -f -qq -e trace=connect -o "$T/strace" "$LR" --iterations 5 \
	--quiet --no-trace --json "$T/kept.json"
check "5 iterations under strace: exit 0" "$([ "$RC" -eq 0 ]; echo $?)"
[ "$RC" -eq 0 ] || show kept
is "all 5 reproduced" kept reproduced -eq 5
n=$(grep -c 'connect(.*/control".*= 0$' "$T/strace")
check "one connection to the control socket for 5 iterations (got $n)" \
	"$([ "$n" -eq 1 ]; echo $?)"
[ "$n" -eq 1 ] || grep 'connect(' "$T/strace" | sed 's/^/# /' | head -n 10
clean_after "5 iterations under strace"
done_testing
