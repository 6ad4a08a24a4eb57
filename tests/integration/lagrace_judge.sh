#!/usr/bin/env bash
# lagrace judge LOG gives lagrace's verdict for a log that another harness
# wrote: examples/judge-harness.sh (kill at the park, reap, "mark reaped",
# unmount) reproduces with a real io_uring O_DIRECT read; a workload that
# finished before the reap is clean; a log without the late release (a
# lagfs killed before it) is an error when the mount was busy; exit status
# as --expect; bad input is one line and exit 2.
. "$(dirname "$0")/../mount_ns.sh"
namespace_root "$0" "$@"
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root or a user namespace, for umount"
need_fuse
command -v socat >/dev/null || skip_all "no socat"
PATH=$BUILD:$PATH
judge() { "$LAGRACE_BIN" judge "$@"; }

# The harness of the README, on a real workload.
d=$T/h; mkdir -p "$d/back" "$d/mnt"
head -c 65536 /dev/urandom >"$d/back/held.dat"
timeout 60 "$TOP/examples/judge-harness.sh" "$d" "$H/uring_read" held.dat direct >"$T/out" 2>"$T/err"
st=$?
check "the harness around an O_DIRECT io_uring read reproduces (exit $st)" $st
grep -qx "$d/log: REPRODUCED: late release and EBUSY" "$T/out"
check "judge says REPRODUCED" $?
ok "the late release is counted" grep -q 'released before it 0, after it 1, never 0' "$T/out"
ok "nothing is left mounted" eval '! is_mounted "$d/mnt"'
t=$(get_field "$d/log" t_ns ev=mark)
judge "$d/log" --reaped-at "$t" --ebusy --json "$T/j.json" >/dev/null
check "--reaped-at the mark's time gives the same verdict" \
	"$([ "$("$H/jsonget" "$T/j.json" verdict)" = reproduced ]; echo $?)"
ok "--json - has the counts" test "$(judge "$d/log" --mark reaped --ebusy --json - 2>/dev/null |
	"$H/jsonget" /dev/stdin released_after)" = 1
judge "$d/log" --mark reaped --ebusy --expect clean >/dev/null
check "--expect clean on it exits 1" "$([ $? = 1 ]; echo $?)"
judge "$d/log" --mark reaped >"$T/out2"
check "without --ebusy the unmount succeeded: not the race, exit 0" \
	"$([ $? = 0 ] && grep -q 'no late release, no EBUSY' "$T/out2"; echo $?)"
judge "$d/log" --mark reaped --expect race >/dev/null
check "and --expect race then exits 1" "$([ $? = 1 ]; echo $?)"

# A miss: the workload finished (and closed) before the reap.
lagfs_start m || exit 1
echo data >"$T/m/back/a"
cat "$T/m/mnt/a" >/dev/null
ctl m 'mark reaped' >/dev/null
lagfs_stop m
judge "$T/m/log" --mark reaped --expect clean >"$T/out3"
check "a read that was done before the reap is clean (exit $?)" $?
ok "its file counts, released before the reap" grep -q 'released before it 1, after it 0, never 0' "$T/out3"
judge "$T/m/log" --mark reaped --expect race >/dev/null
check "--expect race on it exits 1" "$([ $? = 1 ]; echo $?)"

# A lost release: the recorded hit without its release event.
grep -v '"ev":"release"' "$d/log" >"$T/lost.log"
judge "$T/lost.log" --mark reaped --ebusy >"$T/out4"
st=$?
check "a busy mount whose release lagfs never logged is an error (exit $st)" "$([ $st = 1 ]; echo $?)"
ok "it says the cause is unproven" grep -q 'the cause is unproven' "$T/out4"
judge "$T/lost.log" --mark reaped --ebusy --expect race >/dev/null
check "--expect race on it exits 1" "$([ $? = 1 ]; echo $?)"

# Bad input: one line, exit 2.
bad() {
	local desc=$1 want=$2; shift 2
	judge "$@" >/dev/null 2>"$T/bad"
	local st=$?
	check "$desc: exit 2, one line ($(head -c 200 "$T/bad"))" \
		"$([ $st = 2 ] && [ "$(wc -l <"$T/bad")" = 1 ] && grep -qF -- "$want" "$T/bad"; echo $?)"
}
bad "no such mark" "no mark event 'nope'" "$d/log" --mark nope
bad "no mark and no time" "needs one of --mark TEXT and --reaped-at NS" "$d/log"
bad "both" "needs one of" "$d/log" --mark reaped --reaped-at 5
bad "no log" "needs the LOG" --mark reaped
bad "missing log" "$T/none: No such file or directory" "$T/none" --mark reaped
bad "a bad time" "--reaped-at: not a CLOCK_MONOTONIC time in ns: 5x" "$d/log" --reaped-at 5x
bad "a bad --expect" "--expect: race or clean, not maybe" "$d/log" --mark reaped --expect maybe
done_testing
