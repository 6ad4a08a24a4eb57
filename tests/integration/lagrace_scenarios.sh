#!/usr/bin/env bash
# lagrace's scenarios, engines and mitigations, as root or as an ordinary
# user (in user namespaces), read from its --json document: the default
# reproduces the late release (and EBUSY) in every iteration, exit-punt too,
# a sync engine is clean, wait-release and lazy avoid EBUSY but not the late
# release, chance runs without errors, lanes, TAP and --bisect statuses; no
# run leaves a mount, a process or a temp dir.
. "$(dirname "$0")/../lib.sh"
need_fuse

LR=$BUILD/lagrace
J=$H/jsonget
mkdir -p "$T/tmp"

# Our runs' FUSE mounts and processes all name $T (mountpoints, lagfs's
# arguments, lagrace's --json): others running tests at the same time do
# not disturb these checks.
our_fuse_mounts() { grep -E ' - fuse(\.[^ ]+)? ' /proc/self/mountinfo | grep -F "$T/"; }
our_procs() { pgrep -f "$T/"; }
fuse_before=$(grep -E ' - fuse(\.[^ ]+)? ' /proc/self/mountinfo | grep -F "$T/")

# lr NAME ARGS...: run lagrace (TMPDIR=$T/tmp), out/err in $T/NAME.*; RC.
lr() {
	local name=$1; shift
	TMPDIR=$T/tmp timeout -k 5 60 "$LR" "$@" >"$T/$name.out" 2>"$T/$name.err"
	RC=$?
}
# show NAME: its output as TAP comments (after a failure).
show() { sed 's/^/# /' "$T/$1.out" "$T/$1.err" | tail -n 40; }
# sum NAME KEY: summary.KEY of NAME's --json document.
sum() { "$J" "$T/$1.json" "summary.$2" 2>/dev/null; }
# is DESC NAME KEY OP WANT: summary.KEY OP WANT (test's -eq, -ge ...).
is() {
	local desc=$1 name=$2 key=$3 op=$4 want=$5 got
	got=$(sum "$name" "$key")
	if [ -n "$got" ] && [ "$got" "$op" "$want" ] 2>/dev/null; then
		check "$desc" 0
	else
		check "$desc" 1
		echo "# summary.$key is '$got', want $op $want"
		show "$name"
	fi
}
status_is() {	# status_is DESC NAME WANT
	check "$1" "$([ "$RC" -eq "$3" ]; echo $?)"
	[ "$RC" -eq "$3" ] || { echo "# exit status $RC, want $3"; show "$2"; }
}
# clean_after NAME: nothing of the run is left.
clean_after() {
	local m p
	m=$(our_fuse_mounts)
	p=$(our_procs)
	check "$1: no FUSE mount left" "$([ "$m" = "$fuse_before" ]; echo $?)"
	[ -z "$m" ] || echo "# $m"
	check "$1: no lagfs/lagrace process left" "$([ -z "$p" ]; echo $?)"
	[ -z "$p" ] || ps -o pid,args -p "$(echo $p | tr ' ' ,)" | sed 's/^/# /'
	check "$1: its temp dir is removed" "$([ -z "$(ls -A "$T/tmp")" ]; echo $?)"
}

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

# wait-release and lazy cannot fail the unmount by design: --expect race
# asks for the late release they hide, and nothing reproduces.
lr wait --mitigate wait-release --iterations 10 --expect race --json "$T/wait.json"
check "wait-release --expect race: exit 0" "$([ "$RC" -eq 0 ]; echo $?)"
[ "$RC" -eq 0 ] || show wait
is "wait-release: no EBUSY" wait ebusy -eq 0
is "wait-release: still a late release in 10/10" wait late_release -eq 10
is "wait-release: so nothing reproduced" wait reproduced -eq 0
is "wait-release: unmounted 10/10" wait umount_ok -eq 10
is "wait-release: no errors" wait errors -eq 0
clean_after wait-release

lr lazy --mitigate lazy --iterations 5 --expect race --json "$T/lazy.json"
check "lazy --expect race: exit 0" "$([ "$RC" -eq 0 ]; echo $?)"
is "lazy: no EBUSY" lazy ebusy -eq 0
is "lazy: still a late release in 5/5" lazy late_release -eq 5
is "lazy: nothing reproduced" lazy reproduced -eq 0
lr lazyclean --mitigate lazy --iterations 2 --expect clean
status_is "lazy --expect clean: exit 1 (the late release is there)" lazyclean 1
is "lazy: no errors" lazy errors -eq 0
clean_after lazy

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

lr tap --tap --iterations 3 --expect race
status_is "--tap --expect race: exit 0" tap 0
check "--tap: 3 ok lines" "$([ "$(grep -cE '^ok [0-9]+ - ' "$T/tap.out")" = 3 ]; echo $?)"
check "--tap: no not-ok line" "$(! grep -q '^not ok' "$T/tap.out"; echo $?)"
check "--tap: TAP version 13, then the plan 1..3, first" \
	"$([ "$(head -n 2 "$T/tap.out" | tr '\n' ,)" = "TAP version 13,1..3," ]; echo $?)"
check "--tap: every other line is a comment" \
	"$(! grep -vE '^(ok [0-9]+ - |# |1\.\.3$|TAP version 13$)' "$T/tap.out" >/dev/null; echo $?)"
clean_after "--tap"

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

lr bisect_bad --bisect --iterations 3
status_is "--bisect, the race reproduced: exit 1 (bad)" bisect_bad 1
clean_after "--bisect"
lr bisect_good --bisect --engine sync --iterations 2
status_is "--bisect --engine sync, no late release: exit 0 (good)" bisect_good 0
clean_after "--bisect --engine sync"

done_testing
