#!/usr/bin/env bash
# lagrace's scenarios and engines, as root or as an ordinary user (in user
# namespaces), read from its --json document: the default reproduces the
# late release (and EBUSY) in every iteration, on one lane or two, and
# with the host's mounts (--no-namespace); exit-punt too, with the child's
# file closed before the kill; a sync engine is clean; chance runs without
# errors. No run leaves a mount, a process or a temp dir.
. "$(dirname "$0")/../lib.sh"
need_fuse
. "$TOP/tests/lagrace_runs.sh"

# The default: async-dio, uring, no mitigation.
lr def --iterations 20 --expect race --json "$T/def.json"
status_is "default --expect race: exit 0" def 0
is "default: 20 iterations" def iterations -eq 20
is "default: late release in 20/20" def late_release -eq 20
is "default: reproduced (late release and EBUSY) in 20/20" def reproduced -eq 20
is "default: EBUSY in 20/20" def ebusy -eq 20
is "default: unmounted 20/20" def umount_ok -eq 20
is "default: no errors" def errors -eq 0
is "default: the release was never lost" def lost_release -eq 0
p50=$(sum def busy_window_ms.p50)
ok "default: busy window p50 > 0 ms ($p50)" awk -v v="$p50" 'BEGIN { exit !(v + 0 > 0) }'
n=$(sum def busy_window_ms.n)
check "default: a busy window for each of the 20 ($n)" "$([ "$n" = 20 ]; echo $?)"
lp50=$(sum def release_lateness_ms.p50)
ok "default: release lateness p50 > 0 ms ($lp50)" awk -v v="$lp50" 'BEGIN { exit !(v + 0 > 0) }'
ok "default: the JSON has the 20 iterations" \
	bash -c '"$1" "$2" iterations.19.late_release >/dev/null &&
		! "$1" "$2" iterations.20 >/dev/null 2>&1' - "$J" "$T/def.json"
ok "default: the summary says so" grep -q '^verdict: RACE REPRODUCED in every iteration$' "$T/def.out"
check "default: nothing on stderr" "$([ ! -s "$T/def.err" ]; echo $?)"
clean_after default

# The issue asks for at least 19/20 (95 %); it is asserted over 100
# iterations. With the child's files still open at the kill, 2-6 % miss
# (an io-wq worker that exits last closes the descriptor itself, before the
# reap); exit-punt closes them while the read is in flight, and lagfs's log
# must show that close (the child's FLUSH) between the IO and the kill.
lr punt --scenario exit-punt --iterations 100 --json "$T/punt.json"
check "exit-punt: runs (exit 0)" "$([ "$RC" -eq 0 ]; echo $?)"
is "exit-punt: EBUSY in at least 95/100 (19/20)" punt ebusy -ge 95
is "exit-punt: no errors" punt errors -eq 0
ok "exit-punt: the child closed its file after its IO arrived, before the kill, in 100/100" \
	python3 -c '
import json, sys
its = json.load(open(sys.argv[1]))["iterations"]
sys.exit(not (len(its) == 100 and all(
    i["timeline_ms"]["io_arrived"] < i["timeline_ms"]["closed"] < 0
    for i in its)))' "$T/punt.json"
clean_after exit-punt

lr open --scenario exit-punt --no-close-in-flight --iterations 3 --json "$T/open.json"
check "exit-punt --no-close-in-flight: runs (exit 0 or 1)" "$([ "$RC" -le 1 ]; echo $?)"
is "exit-punt --no-close-in-flight: no errors" open errors -eq 0
ok "exit-punt --no-close-in-flight: the child kept its file open until the kill" \
	test "$("$J" "$T/open.json" iterations.0.timeline_ms.closed)" = null
clean_after "exit-punt --no-close-in-flight"

lr sync --engine sync --iterations 5 --expect clean --json "$T/sync.json"
status_is "sync engine --expect clean: exit 0" sync 0
is "sync engine: no late release" sync late_release -eq 0
is "sync engine: no EBUSY" sync ebusy -eq 0
is "sync engine: 5 iterations, no errors" sync errors -eq 0
clean_after "sync engine"

lr chance --scenario chance --iterations 10 --json "$T/chance.json"
check "chance: exit 0" "$([ "$RC" -eq 0 ]; echo $?)"
is "chance: 10 iterations" chance iterations -eq 10
is "chance: no errors" chance errors -eq 0
echo "# chance: late release in $(sum chance late_release)/10, EBUSY in $(sum chance ebusy)/10"
clean_after chance

lr jobs --jobs 2 --iterations 20 --expect race --json "$T/jobs.json"
status_is "--jobs 2 --expect race: exit 0" jobs 0
is "--jobs 2: 20 iterations" jobs iterations -eq 20
is "--jobs 2: late release in 20/20" jobs late_release -eq 20
lanes=$(for i in $(seq 0 19); do "$J" "$T/jobs.json" "iterations.$i.lane"; done | sort -u | tr '\n' ' ')
check "--jobs 2: both lanes ran iterations ($lanes)" "$([ "$lanes" = "0 1 " ]; echo $?)"
clean_after "--jobs 2"

# The host's mounts instead of a namespace of lagrace's own: the mount
# checks above then see every mount lagrace makes.
if [ "$(id -u)" -eq 0 ]; then
	lr nons --no-namespace --iterations 3 --expect race --json "$T/nons.json"
	status_is "--no-namespace --expect race: exit 0" nons 0
	is "--no-namespace: late release in 3/3" nons late_release -eq 3
	clean_after "--no-namespace"
else
	skip "--no-namespace: root's (an ordinary user's lanes always have namespaces)"
fi

done_testing
