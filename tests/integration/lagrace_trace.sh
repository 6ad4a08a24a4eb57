#!/usr/bin/env bash
# --trace: the kernel's own record of who sent the child's RELEASE. As
# root, on a kernel that can trace: in the default scenario every
# iteration's RELEASE was sent by a task that is not the child, from
# delayed_fput; with the sync engine by the child itself, from its exit;
# in exit-punt the recorded path and --explain's story agree. The tracefs
# instance lagrace-PID goes when the run ends, on SIGINT and SIGTERM, and
# after kill -9 with `lagrace cleanup`; lagrace mounts no tracefs. As an
# ordinary user, --trace is a usage error of one line, and the default
# says "not traced: needs root" once and runs as before.
#
# As root the test runs in a mount namespace of its own (a 0666 /dev/fuse
# there for the ordinary user; tracefs mounted there to look at the
# instances, after lagrace has shown it needs no mount of its own).
. "$(dirname "$0")/../mount_ns.sh"
own_mount_namespace "$0" "$@"
. "$(dirname "$0")/../lib.sh"
need_fuse

J=$H/jsonget
LR=$BUILD/lagrace
TR=/sys/kernel/tracing
export TMPDIR=$T

tracefs_mounts() { grep -c ' - tracefs ' "/proc/${1:-self}/mountinfo"; }
lines_at_least() { [ "$(grep -cE '^#[0-9]+ ' "$1" 2>/dev/null)" -ge "$2" ]; }
# jq-less: field of iteration i
it() { "$J" "$1" "iterations.$2.$3" 2>/dev/null; }

# ---- as an ordinary user ----------------------------------------------
mkdir -p "$T/bin" "$T/u"
cp "$LR" "$LAGFS" "$T/bin/"
chmod -R a+rX "$T/bin"
if [ "$(id -u)" -eq 0 ]; then
	chown nobody "$T/u"
	[ "$(stat -c %a /dev/fuse)" = 666 ] || dev_fuse_as 0666
	as_user() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
else
	as_user() { "$@"; }
fi
as_user env TMPDIR="$T/u" "$T/bin/lagrace" --trace --iterations 1 \
	>"$T/u.trace.out" 2>"$T/u.trace.err"
rc=$?
check "unprivileged --trace: exit 2 with one line (got $rc)" \
	"$([ "$rc" = 2 ] && [ "$(wc -l <"$T/u.trace.err")" = 1 ] &&
	   grep -qx 'lagrace: --trace: not possible: needs root' "$T/u.trace.err"; echo $?)"
[ "$rc" = 2 ] || sed 's/^/# /' "$T/u.trace.err"
if as_user unshare -Urm true 2>/dev/null; then
	as_user env TMPDIR="$T/u" "$T/bin/lagrace" --iterations 3 \
		--json "$T/u/auto.json" >"$T/u.auto.out" 2>"$T/u.auto.err"
	rc=$?
	check "unprivileged, default: runs as before (exit $rc, late release $("$J" "$T/u/auto.json" summary.late_release)/3)" \
		"$([ "$rc" = 0 ] && [ "$("$J" "$T/u/auto.json" summary.late_release)" = 3 ]; echo $?)"
	check "  ... and says 'not traced: needs root' once, nothing else" \
		"$([ "$(cat "$T/u.auto.err")" = "lagrace: not traced: needs root" ]; echo $?)"
	sed 's/^/# stderr: /' "$T/u.auto.err"
	ok "  ... release_by is null" test "$(it "$T/u/auto.json" 0 release_by)" = null
	ok "  ... and the run says why" grep -q '"trace":"off: needs root"' \
		<("$J" "$T/u/auto.json" run)
else
	skip "unprivileged, default: no user namespaces here"
	skip "  ... says 'not traced' once"
	skip "  ... release_by is null"
	skip "  ... the run says why"
fi

# ---- as root --------------------------------------------------------------
[ "$(id -u)" -eq 0 ] || { done_testing; exit; }
"$LR" --trace --iterations 1 --quiet >"$T/probe.out" 2>"$T/probe.err"
if [ $? = 2 ]; then
	skip "tracing here: $(cat "$T/probe.err")"
	done_testing
	exit
fi
mounts0=$(tracefs_mounts)

# The default scenario: the RELEASE comes from delayed_fput, in a task
# that is not the child.
"$LR" --trace --iterations 20 --json "$T/dio.json" >"$T/dio.out" 2>"$T/dio.err" &
pid=$!
wait_for 60 lines_at_least "$T/dio.out" 1
m=$(tracefs_mounts "$pid")
check "lagrace mounts no tracefs (it uses a mount of its own, attached nowhere): $m, as before: $mounts0" \
	"$([ "$m" = "$mounts0" ]; echo $?)"
wait "$pid"
check "async-dio, 20 iterations with --trace: exit 0" $?
n=0
for i in $(seq 0 19); do
	stack=$(it "$T/dio.json" "$i" release_by.stack)
	rpid=$(it "$T/dio.json" "$i" release_by.pid)
	[[ $stack == *'"delayed_fput"'* ]] && [ -n "$rpid" ] &&
		[ "$rpid" != "$(it "$T/dio.json" "$i" child)" ] && n=$((n + 1))
done
check "every iteration's RELEASE was sent by a task that is not the child, from delayed_fput ($n/20)" \
	"$([ "$n" = 20 ]; echo $?)"
[ "$n" = 20 ] || it "$T/dio.json" 0 release_by | sed 's/^/# /'
check "the summary counts 20 iterations per release path delayed_fput" \
	"$([ "$("$J" "$T/dio.json" summary.release_paths.delayed_fput)" = 20 ]; echo $?)"
ok "the source is the fuse tracepoint, or the kprobe where there is none" \
	grep -qE '^(tracepoint|kprobe)$' <(it "$T/dio.json" 0 release_by.source)
ok "each line says who released it" test "$(tr -s ' \n' '  ' <"$T/dio.out" |
	grep -oE 'released by [^ ]+ via delayed_fput' | wc -l)" = 20
ok "the header says what is traced" grep -q '^kernel trace: ' "$T/dio.out"
ok "the summary says who released the file" \
	grep -q '^released by (kernel trace): .* via delayed_fput 20/20' "$T/dio.out"
ok "nothing on stderr" test ! -s "$T/dio.err"

# The sync engine: no late release; the child's own exit sent the RELEASE.
"$LR" --trace --engine sync --iterations 3 --json "$T/sync.json" >"$T/sync.out" 2>&1
check "sync engine with --trace: exit 0" $?
n=0
for i in 0 1 2; do
	stack=$(it "$T/sync.json" "$i" release_by.stack)
	[ "$(it "$T/sync.json" "$i" release_by.pid)" = "$(it "$T/sync.json" "$i" child)" ] &&
		[[ $stack == *'"do_exit"'* && $stack != *delayed_fput* ]] && n=$((n + 1))
done
check "sync: the child itself sent the RELEASE, from its exit, not delayed_fput ($n/3)" \
	"$([ "$n" = 3 ]; echo $?)"
[ "$n" = 3 ] || it "$T/sync.json" 0 release_by | sed 's/^/# /'
ok "sync: the line says so" grep -q 'released by the child (' "$T/sync.out"

# exit-punt: the recorded path and --explain's story agree.
"$LR" --trace --scenario exit-punt --iterations 5 --json "$T/punt.json" >"$T/punt.out" 2>&1
check "exit-punt with --trace: exit 0" $?
agree=0
for i in 0 1 2 3 4; do
	path=$(it "$T/punt.json" "$i" release_by.path)
	task=$(it "$T/punt.json" "$i" release_by.task)
	"$LR" explain --json "$T/punt.json" --iteration "$i" >"$T/punt.$i" 2>&1
	joined=$(tr -s ' \n' '  ' <"$T/punt.$i")
	if [[ $joined == *"the kernel shows the RELEASE of /lag-0.lag was sent by $task "*", from $path:"* &&
	      $joined != *"not the usual story"* ]]; then
		case $path in
		delayed_fput) [[ $joined == *"now held by io_uring fallback, then delayed_fput: the kernel's trace shows it: $task"* ]] ;;
		task_work_run) [[ $joined == *"now held by the child's own exit: the kernel's trace shows it"* ]] ;;
		*) false ;;
		esac && agree=$((agree + 1))
	fi
done
check "exit-punt: --explain tells the path the kernel recorded, as the holder before nobody ($agree/5)" \
	"$([ "$agree" = 5 ]; echo $?)"
[ "$agree" = 5 ] || sed 's/^/# /' "$T/punt.0"
"$LR" --trace --explain --scenario exit-punt >"$T/explain" 2>&1
check "--explain --trace: exit 0" $?
tr -s ' \n' '  ' <"$T/explain" >"$T/explain.joined"
ok "  ... it shows the kernel's stack of the RELEASE" \
	grep -q 'the kernel shows the RELEASE of /lag-0.lag was sent by .* from delayed_fput: fuse_file_put <- fuse_release <- __fput <- delayed_fput' "$T/explain.joined"
ok "  ... and of the child's FLUSH (its close before the kill)" \
	grep -q 'the kernel shows the FLUSH of /lag-0.lag was sent by the child (pid [0-9]*), from __x64_sys_close: fuse_flush' "$T/explain.joined"

# The instance goes however the run ends. Mounted here (this namespace
# only) to look at the instances.
[ -d $TR/instances ] || mount -t tracefs nodev $TR
ok "tracefs to look at (in this test's namespace)" test -d $TR/instances
# stop_run SIGNAL: a long run, SIGNAL once it runs, its instance gone.
stop_run() {
	"$LR" --trace --iterations 100000 >"$T/$1.out" 2>&1 &
	pid=$!
	_pids+=("$pid")
	wait_for 60 lines_at_least "$T/$1.out" 2
	ok "$1: the run has its instance lagrace-$pid" test -d "$TR/instances/lagrace-$pid"
	kill "-$1" "$pid"
	wait_for 20 exited "$pid"
	wait "$pid"
	ok "$1: its instance is gone" test ! -e "$TR/instances/lagrace-$pid"
	ok "$1: and its kprobe event, if it had one" \
		bash -c '! grep -q "lagrace_$1/" '"$TR/kprobe_events" - "$pid"
}
stop_run INT
stop_run TERM
setsid "$LR" --trace --iterations 100000 >"$T/kill.out" 2>&1 &
pid=$!
_pids+=("$pid")
wait_for 60 lines_at_least "$T/kill.out" 2
kill -KILL -- "-$pid"
wait "$pid" 2>/dev/null
wait_for 30 bash -c '! pgrep -s "$1" >/dev/null' - "$pid"
ok "kill -9: the instance stays behind" test -d "$TR/instances/lagrace-$pid"
"$LR" cleanup >"$T/clean.out" 2>&1
check "lagrace cleanup: exit 0" $?
ok "  ... it says it removed the instance" \
	grep -qx "removed tracefs instance lagrace-$pid (lagrace $pid is gone)" "$T/clean.out"
sed 's/^/# cleanup: /' "$T/clean.out"
ok "  ... and it is gone" test ! -e "$TR/instances/lagrace-$pid"
# (other lagrace runs on this machine may have instances of their own)
left=
for p in "${_pids[@]}"; do
	[ -e "$TR/instances/lagrace-$p" ] && left+=" lagrace-$p"
	grep -qs ":lagrace_$p/" "$TR/kprobe_events" && left+=" kprobe lagrace_$p"
done
check "no instance or kprobe event of these runs is left${left:+:$left}" \
	"$([ -z "$left" ]; echo $?)"
umount $TR
done_testing
