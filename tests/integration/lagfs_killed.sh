#!/usr/bin/env bash
# lagfs killed with SIGKILL in the middle of a lagrace run (two lanes, 1000
# iterations): lagrace must say clearly that lagfs died, the run must still
# end (the lane may start a new lagfs, or stop; the summary must then
# account for what did not run), and nothing may be left behind: no mount,
# no lagfs or lagrace process, no temporary directory.
. "$(dirname "$0")/../lib.sh"
need_fuse

LR=$BUILD/lagrace
J=$H/jsonget
ITER=1000

our_fuse_mounts() { grep -E ' - fuse(\.[^ ]+)? ' /proc/self/mountinfo | grep -F "$T/"; }
fuse_before=$(our_fuse_mounts)
# lines_at_least FILE N: FILE has N iteration lines ("#0   open ...").
lines_at_least() { [ "$(grep -cE '^#[0-9]+ ' "$1" 2>/dev/null)" -ge "$2" ]; }
has_error_line() { grep -qE '^#[0-9]+ .*error' "$1"; }

tmp=$T/tmp out=$T/out json=$T/run.json
mkdir -p "$tmp"
TMPDIR=$tmp "$LR" --iterations "$ITER" --jobs 2 --json "$json" >"$out" 2>"$T/err" &
pid=$!
_pids+=("$pid")
ok "lagrace runs iterations (3 lines printed)" wait_for 30 lines_at_least "$out" 3

# Lane 1's lagfs: lagfs ... --control $tmp/lagrace.PID.XXXXXX/lane1/control ...
victim=$(pgrep -f "lagfs .*--control $tmp/lagrace\.[^/ ]*/lane1/control ")
check "lane 1's lagfs is running (pid ${victim:-none})" \
	"$([ -n "$victim" ] && [ "$(wc -w <<<"$victim")" = 1 ]; echo $?)"
kill -KILL $victim
printed=$(grep -cE '^#[0-9]+ ' "$out")
echo "# SIGKILL to lane 1's lagfs $victim after $printed iteration lines"

ok "an iteration line reports an error within 30 s" wait_for 30 has_error_line "$out"
errline=$(grep -E '^#[0-9]+ .*error' "$out" | head -n 1)
echo "# $errline"
err=${errline#*error: }
err=${err//$T/\$T}	# our temp dir's name has "lagfs" in it: not a mention
ok "the error names lagfs" grep -q lagfs <<<"$err"
ok "the error says lagfs died (killed, exited, ...), not some other cause" \
	grep -qiE 'lagfs[^,;]* (was )?(killed|died|exited|terminated|crashed|is gone)|(killed|died|exit(ed)?|terminated|signal) [^,;]*lagfs|lagfs[^,;]*signal' <<<"$err"

# Let the run finish on its own: the other lane goes on; the lane that lost
# its lagfs may start a new one or stop.
if wait_for 200 exited "$pid"; then
	check "the run ends on its own" 0
	wait "$pid"
	rc=$?
else
	check "the run ends on its own (within 200 s)" 1
	kill -TERM "$pid"
	wait_for 20 exited "$pid" || kill -KILL "$pid"
	wait "$pid"
	rc=$?
fi
check "exit status 1: a run with an error is no success (got $rc)" "$([ "$rc" = 1 ]; echo $?)"
sed -n '/^lagrace: scenario/,$p' "$out" | sed 's/^/# /'
n=$(grep -cE '^#[0-9]+ ' "$out")
ok "the summary counts the $n iterations printed, with the error" \
	grep -qE "^late release [0-9]+/$n, EBUSY [0-9]+/$n, unmounted [0-9]+/$n, errors [1-9][0-9]*$" "$out"
ok "the JSON document has them too" \
	test "$("$J" "$json" summary.iterations)" = "$n" -a "$("$J" "$json" summary.errors)" -ge 1
# All 1000 iterations ran (lagfs was restarted), or the report says that
# some did not run: a summary of fewer iterations must not pass for the
# whole run.
if [ "$n" -eq "$ITER" ]; then
	check "all $ITER iterations ran (the lane started a new lagfs)" 0
else
	ok "$n of $ITER iterations ran: the output says the others did not" \
		grep -qiE "stopp|gave up|give up|skipp|not run|abandon|$ITER iterations|of $ITER" \
		<(grep -vE '^#[0-9]+ ' "$out")
fi
ok "the summary does not blame the unmount for the lost release" \
	bash -c '! grep -q "torn down by the unmount" "$1" || grep -q "lagfs.*\(killed\|died\|exited\)" "$1"' _ "$out"
if [ -s "$T/err" ]; then sed 's/^/# stderr: /' "$T/err"; fi

m=$(our_fuse_mounts)
check "no FUSE mount left" "$([ "$m" = "$fuse_before" ]; echo $?)"
p=$(pgrep -f "$T/")
check "no lagfs or lagrace process left" "$([ -z "$p" ]; echo $?)"
[ -z "$p" ] || ps -o pid,args -p "$(echo $p | tr ' ' ,)" | sed 's/^/# /'
check "the temp dir is removed (TMPDIR empty)" "$([ -z "$(ls -A "$tmp")" ]; echo $?)"
done_testing
