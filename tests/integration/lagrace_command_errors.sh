#!/usr/bin/env bash
# lagrace -- CMD when the workload does not play along: one that exits
# before the kill trigger makes that iteration an error with its exit
# status and a hint; one that the kill cannot end (stuck in D state on a
# read that another lagfs delays, which lagrace cannot release) is given
# --limit, then the error names its pids and where they wait. Nothing is
# left behind either way.
. "$(dirname "$0")/../mount_ns.sh"
namespace_root "$0" "$@"
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root or a user namespace, for a second lagfs"
need_fuse
. "$TOP/tests/lagrace_runs.sh"
it() { "$J" "$T/$1.json" "iterations.$2.$3" 2>/dev/null; }
mkdir -p "$T/pop"
head -c 8192 /dev/urandom >"$T/pop/r0"

lr early --iterations 1 --rule 'read hold' --json "$T/early.json" -- sh -c 'exit 3'
status_is "a workload that exits before a park: exit 1" early 1
check "its error gives the exit status and the hint ($(it early 0 error))" \
	"$(it early 0 error | grep -qx 'the workload exited with status 3 before lagfs parked a request: no request was parked: does a hold rule match what the workload does?'; echo $?)"

lr slow --iterations 1 --rule 'read path=*.nothing hold' --limit 1s --populate "$T/pop" \
	--json "$T/slow.json" -- "$H/fork_readers" 1 uring
status_is "a workload whose IO no rule holds: exit 1" slow 1
check "its error says so after --limit, with the hint ($(it slow 0 error))" \
	"$(it slow 0 error | grep -qx 'lagfs parked no request of the workload in 5.0s (more: --limit): does a hold rule match what the workload does?'; echo $?)"

lr early2 --iterations 1 --kill-after 5s --json "$T/early2.json" -- sh -c 'kill -TERM $$'
status_is "a workload killed by a signal before --kill-after: exit 1" early2 1
check "its error gives the status as a shell would, and the signal ($(it early2 0 error))" \
	"$(it early2 0 error | grep -qx 'the workload exited with status 143 (SIGTERM) before the kill 5000.000 ms after its start: kill it sooner (--kill-after, --kill-at)'; echo $?)"
clean_after "early exits"

# A sync O_DIRECT read of another lagfs's file, which that lagfs delays:
# the reader waits uninterruptibly for the answer, SIGKILL or not.
lagfs_start other --rule 'read delay=2s' || exit 1
head -c 8192 /dev/urandom >"$T/other/back/x"
lr stuck --iterations 1 --kill-after 200ms --limit 500ms --json "$T/stuck.json" \
	-- dd if="$T/other/mnt/x" of=/dev/null iflag=direct bs=4096 count=1
status_is "a workload stuck past the kill: exit 1" stuck 1
err=$(it stuck 0 error)
check "the error says who is stuck, and where ($err)" \
	"$(grep -qE '^[0-9]+ process\(es\) of the workload still there 0\.5s \(--limit\) after the kill: .*pid [0-9]+ \(dd\) in [a-z_]+' <<<"$err"; echo $?)"
check "no reap was recorded" "$([ "$(it stuck 0 times_ns.reap)" = null ]; echo $?)"
# lagrace gave up on dd after --limit again; it ends when its read does
ok "the delayed read ended in the other lagfs" wait_for 10 has_event "$T/other/log" ev=read
ok "and dd with it" wait_for 10 eval '! pgrep -f "of=/dev/null iflag=direct" >/dev/null'
lagfs_stop other
clean_after "stuck"
done_testing
