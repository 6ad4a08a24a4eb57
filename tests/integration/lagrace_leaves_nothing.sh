#!/usr/bin/env bash
# Nothing of lagrace stays behind when it is killed with SIGKILL, in every
# mode: as root with lanes in mount namespaces and with --no-namespace, as
# an ordinary user in user namespaces and with --fusermount. Its lanes get
# SIGTERM from the kernel, finish their iteration, stop lagfs (which
# unmounts) and remove the temporary directory and lagrace's tracefs
# instance (--trace, on by default as root). When the lanes and lagfs are
# killed too, `lagrace cleanup` removes the dead mounts, the directory and
# the instance, one line per thing, exit 0; it never touches a running
# run's directory or mounts, nor a tracefs instance of a running lagrace.
#
# As root the test runs in a mount namespace of its own (a 0666 /dev/fuse
# there for the ordinary user, tracefs mounted there if need be).
. "$(dirname "$0")/../mount_ns.sh"
own_mount_namespace "$0" "$@"
. "$(dirname "$0")/../lib.sh"

mkdir -p "$T/bin"
cp "$BUILD/lagrace" "$LAGFS" "$T/bin/"
chmod -R a+rX "$T/bin"
LR=$T/bin/lagrace
root=false
# A run is started as one command in the background (no function, no
# subshell in between), so that $! is lagrace itself and, after setsid,
# its process group.
as_root=(env)
as_user=(env)
if [ "$(id -u)" -eq 0 ]; then
	root=true
	[ "$(stat -c %a /dev/fuse)" = 666 ] || dev_fuse_as 0666
	as_user=(setpriv --reuid=nobody --regid=nogroup --clear-groups -- env)
fi

traces=()
cleanup_all() {
	local t p
	# Each run leads its own process group: stop all of it.
	for p in "${_pids[@]}"; do kill -KILL -- "-$p" 2>/dev/null; done
	for t in "${traces[@]}"; do rmdir "$t" 2>/dev/null; done
	# What a failed run left (never after a passing one): unmount it,
	# so that $T can be removed.
	mounts_in "$T" | awk '{ print $5 }' | sort -r | while read -r m; do
		umount -l "$m" 2>/dev/null || fusermount3 -u -z "$m" 2>/dev/null
	done
	_cleanup
}
trap cleanup_all EXIT

lines_at_least() { [ "$(grep -cE '^#[0-9]+ ' "$1" 2>/dev/null)" -ge "$2" ]; }
procs_of() { pgrep -f "$1/"; }
no_procs_of() { ! pgrep -f "$1/" >/dev/null; }
no_proc_matching() { ! pgrep -f "$1" >/dev/null; }
mounts_in() { grep -F " $1/" /proc/self/mountinfo | grep -E ' - fuse(\.[^ ]+)? '; }
mounts_are() { [ "$(mounts_in "$1" | wc -l)" -eq "$2" ]; }

# start NAME WHO ARGS...: a long lagrace run as WHO (as_root, as_user) in
# its own TMPDIR $T/NAME/tmp, with its own process group (its --json,
# never written, puts $T/NAME/ in every command line of the run); wait
# until it has printed 3 iteration lines, or with MOUNTS=N set, until N
# FUSE mounts of it are there. Sets PID.
start() {
	local name=$1; shift
	local -n who=$1; shift
	mkdir -p "$T/$name/tmp"
	[ "${who[0]}" = setpriv ] && chown -R nobody "$T/$name"
	"${who[@]}" TMPDIR="$T/$name/tmp" setsid "$LR" --iterations 100000 \
		--json "$T/$name/run.json" "$@" >"$T/$name.out" 2>"$T/$name.err" &
	PID=$!
	_pids+=("$PID")
	if [ -n "${MOUNTS:-}" ]; then
		wait_for 60 mounts_are "$T/$name" "$MOUNTS" && return
		check "$name: mounts lagfs $MOUNTS time(s)" 1
		sed 's/^/# /' "$T/$name.out" "$T/$name.err" | tail -n 10
		return 1
	fi
	if ! wait_for 60 lines_at_least "$T/$name.out" 3; then
		check "$name: runs iterations" 1
		sed 's/^/# /' "$T/$name.out" "$T/$name.err" | tail -n 10
		return 1
	fi
}

# after_kill NAME: what a run killed with SIGKILL left, once all of its
# processes are gone (the lanes finish their iteration first).
after_kill() {
	local name=$1 left
	wait "$PID" 2>/dev/null
	ok "$name: every lagrace and lagfs process ends" wait_for 30 no_procs_of "$T/$name"
	procs_of "$T/$name" | sed 's/^/# still running: /'
}

# kill9 NAME WHO ARGS...: SIGKILL to lagrace's main process only.
kill9() {
	local name=$1 m left out rc
	local -n who=$2
	start "$@" || return
	kill -KILL "$PID"
	after_kill "$name"
	m=$(mounts_in "$T/$name")
	check "$name: no FUSE mount left" "$([ -z "$m" ]; echo $?)"
	[ -z "$m" ] || echo "# $m"
	left=$(ls -A "$T/$name/tmp")
	check "$name: the temporary directory is gone, without lagrace cleanup" "$([ -z "$left" ]; echo $?)"
	[ -z "$left" ] || echo "# left: $left"
	ok "$name: no tracefs instance is left either (the lanes remove it)" \
		test ! -e "$inst/lagrace-$PID"
	out=$("${who[@]}" TMPDIR="$T/$name/tmp" "$LR" cleanup 2>&1)
	rc=$?
	check "$name: lagrace cleanup finds nothing (exit $rc)" "$([ "$rc" = 0 ] && [ -z "$out" ]; echo $?)"
	[ -z "$out" ] || echo "# $out"
}

# killpg NAME WHO ARGS...: SIGKILL to every process of the run at once
# (lagrace, lanes, lagfs, children); then lagrace cleanup removes what is
# left, a line per mount, per directory and for the run's tracefs instance
# (as root, where the kernel can trace: --trace is on by default), and
# finds nothing a second time.
# With MOUNTS=N (host mounts: --no-namespace, --fusermount), the kill comes
# while the run's N mounts are there: --hold 30s keeps each busy, so none
# is between an unmount and the next mount.
killpg() {
	local name=$1 n_mounts n_dirs out rc lines
	local -n who=$2
	start "$@" || return
	kill -KILL -- "-$PID"
	after_kill "$name"
	n_mounts=$(mounts_in "$T/$name" | wc -l)
	n_dirs=$(ls -A "$T/$name/tmp" | wc -l)
	n_trace=0
	[ -d "$inst/lagrace-$PID" ] && n_trace=1
	echo "# $name: left $n_mounts mount(s), $n_dirs directory(ies), $n_trace tracefs instance(s)"
	check "$name: a directory is left to clean up" "$([ "$n_dirs" = 1 ]; echo $?)"
	"${who[@]}" TMPDIR="$T/$name/tmp" "$LR" cleanup >"$T/$name.clean" 2>"$T/$name.clean.err"
	rc=$?
	sed 's/^/# cleanup: /' "$T/$name.clean" "$T/$name.clean.err"
	check "$name: lagrace cleanup exits 0 (got $rc)" "$([ "$rc" = 0 ]; echo $?)"
	lines=$(wc -l <"$T/$name.clean")
	check "$name: one line per thing removed ($lines lines for $n_mounts + $n_dirs + $n_trace)" \
		"$([ "$lines" = $((n_mounts + n_dirs + n_trace)) ]; echo $?)"
	check "$name: a line for the tracefs instance, if there was one" \
		"$([ "$(grep -cx "removed tracefs instance lagrace-$PID (lagrace $PID is gone)" "$T/$name.clean")" = "$n_trace" ]; echo $?)"
	ok "$name: no tracefs instance left" test ! -e "$inst/lagrace-$PID"
	check "$name: a line per mount: 'unmounted ... which is gone'" \
		"$([ "$(grep -c '^unmounted .*lagrace [0-9]*, which is gone)$' "$T/$name.clean")" = "$n_mounts" ]; echo $?)"
	ok "$name: a line for the directory: 'removed ... is gone)'" \
		grep -qE "^removed $T/$name/tmp/lagrace\.$PID\.[^ ]+ \(lagrace $PID is gone\)$" "$T/$name.clean"
	check "$name: nothing on stderr" "$([ ! -s "$T/$name.clean.err" ]; echo $?)"
	check "$name: no mount left" "$([ -z "$(mounts_in "$T/$name")" ]; echo $?)"
	check "$name: no directory left" "$([ -z "$(ls -A "$T/$name/tmp")" ]; echo $?)"
	out=$("${who[@]}" TMPDIR="$T/$name/tmp" "$LR" cleanup 2>&1)
	rc=$?
	check "$name: a second lagrace cleanup finds nothing (exit $rc)" "$([ "$rc" = 0 ] && [ -z "$out" ]; echo $?)"
}

# tracefs, in this test's namespace, to see the runs' instances
inst=/sys/kernel/tracing/instances
if $root && [ ! -d $inst ]; then
	mount -t tracefs nodev /sys/kernel/tracing 2>/dev/null
fi
if $root; then
	kill9 ns as_root --jobs 2
	kill9 nons as_root --jobs 2 --no-namespace
	killpg pg-ns as_root --jobs 2
	MOUNTS=2 killpg pg-nons as_root --jobs 2 --no-namespace --hold 30s
	ok "pg-nons: lagfs's mounts were there, dead, before the cleanup" \
		test "$(grep -c '^unmounted ' "$T/pg-nons.clean")" = 2
else
	skip "root's modes (lanes in plain mount namespaces, --no-namespace): not root"
fi
if "${as_user[@]}" unshare -Urm true 2>/dev/null; then
	kill9 user as_user --jobs 2
	killpg pg-user as_user
else
	skip "unprivileged user namespaces are disabled here"
fi
if command -v fusermount3 >/dev/null && [ -u "$(command -v fusermount3)" ]; then
	kill9 fm as_user --jobs 2 --fusermount
	MOUNTS=1 killpg pg-fm as_user --fusermount --hold 30s
	ok "pg-fm: lagfs's mount was there, dead, before the cleanup" \
		test "$(grep -c '^unmounted ' "$T/pg-fm.clean")" = 1
else
	skip "fusermount3 is not installed setuid"
fi

# lagrace cleanup next to a running lagrace: only the dead run's things go.
who=as_user mode=--fusermount
$root && who=as_root mode=--no-namespace
declare -n run_as=$who
start live "$who" $mode || { done_testing; exit; }
live=$PID
livedir=$(ls -d "$T/live/tmp"/lagrace.*)
# A dead run in the same TMPDIR: started there, then killed whole.
"${run_as[@]}" TMPDIR="$T/live/tmp" setsid "$LR" --iterations 100000 $mode \
	--json "$T/live/dead.json" >"$T/dead.out" 2>&1 &
dead=$!
_pids+=("$dead")
wait_for 60 lines_at_least "$T/dead.out" 3
kill -KILL -- "-$dead"
wait "$dead" 2>/dev/null
wait_for 30 no_proc_matching "$T/live/dead.json"
deaddir=$(ls -d "$T/live/tmp/lagrace.$dead".*)
check "a dead run's directory next to the live one's" "$([ -d "$deaddir" ] && [ -d "$livedir" ]; echo $?)"
# tracefs instances named after the dead and the live lagrace: their own
# (as root, where the kernel can trace), else made here
tracing=false
if $root && [ -d $inst ]; then
	tracing=true
	for p in "$dead" "$live"; do
		[ -d "$inst/lagrace-$p" ] && continue
		if mkdir "$inst/lagrace-$p"; then
			traces+=("$inst/lagrace-$p")
		else
			tracing=false
		fi
	done
fi
n=$(grep -cE '^#[0-9]+ ' "$T/live.out")
"${run_as[@]}" TMPDIR="$T/live/tmp" "$LR" cleanup >"$T/live.clean" 2>"$T/live.clean.err"
rc=$?
sed 's/^/# cleanup: /' "$T/live.clean" "$T/live.clean.err"
check "next to a live run: lagrace cleanup exits 0 (got $rc)" "$([ "$rc" = 0 ]; echo $?)"
ok "it removed the dead run's directory" grep -qF "removed $deaddir (lagrace $dead is gone)" "$T/live.clean"
check "it never names the live run's directory" "$(! grep -qF "$livedir" "$T/live.clean" "$T/live.clean.err"; echo $?)"
ok "the live run's directory is still there" test -f "$livedir/owner"
check "the dead run's directory is gone" "$([ ! -e "$deaddir" ]; echo $?)"
if $tracing; then
	ok "it removed the dead lagrace's tracefs instance" \
		grep -qxF "removed tracefs instance lagrace-$dead (lagrace $dead is gone)" "$T/live.clean"
	ok "  ... and it is gone" test ! -e "$inst/lagrace-$dead"
	ok "it kept the live lagrace's" test -d "$inst/lagrace-$live"
else
	skip "tracefs instances: no tracefs here (or not root)"
	skip "tracefs instances: no tracefs here (or not root)"
	skip "tracefs instances: no tracefs here (or not root)"
fi
ok "the live run goes on (3 more iterations)" wait_for 60 lines_at_least "$T/live.out" $((n + 3))
# (An iteration cut short by the SIGINT below may end in an error: see
# lagrace_interrupt. Those before it must not.)
check "  ... and no iteration of it failed" "$(! grep -qE '^#[0-9]+ .*error' "$T/live.out"; echo $?)"
grep -E '^#[0-9]+ .*error' "$T/live.out" | sed 's/^/# /'
kill -INT "$live"
wait_for 30 exited "$live"
wait "$live"
rc=$?
check "the live run, stopped with SIGINT, exits 1 with a partial summary (got $rc)" \
	"$([ "$rc" = 1 ] && grep -q 'interrupted: partial summary' "$T/live.out"; echo $?)"
grep -E '^#[0-9]+ .*error' "$T/live.out" | sed 's/^/# after SIGINT: /'
ok "  ... and removes its directory" wait_for 10 test ! -e "$livedir"
check "  ... and leaves no mount" "$([ -z "$(mounts_in "$T/live")" ]; echo $?)"

if $tracing; then
	# Its own instance it removed itself when SIGINT stopped it; one made
	# here in its name, lagrace cleanup removes now that it is gone.
	mkdir -p "$T/empty"
	out=$(TMPDIR=$T/empty "$LR" cleanup 2>&1)
	if [[ " ${traces[*]} " == *" $inst/lagrace-$live "* ]]; then
		want="removed tracefs instance lagrace-$live (lagrace $live is gone)"
	else
		want=
	fi
	check "once that lagrace has ended, its tracefs instance goes too${want:+ (by lagrace cleanup)}" \
		"$([ "$out" = "$want" ] && [ ! -e "$inst/lagrace-$live" ]; echo $?)"
	[ ! -e "$inst/lagrace-$live" ] && [ "$out" = "$want" ] || echo "# $out"
fi

# What cleanup cannot judge, or is not its business, it leaves alone.
mkdir -p "$T/odd/lagrace.AbC123" "$T/odd2/lagrace.$$.AbCdEf" "$T/odd2/lagrace.$dead.XyZ123"
out=$(TMPDIR=$T/odd "$LR" cleanup 2>&1)
rc=$?
check "a directory of an older lagrace: exit 1, one line saying it is left alone" \
	"$([ "$rc" = 1 ] && [ "$(wc -l <<<"$out")" = 1 ] &&
	   grep -q "^lagrace cleanup: left alone: $T/odd/lagrace.AbC123 (made by an older lagrace" <<<"$out"; echo $?)"
[ "$rc" = 1 ] || echo "# exit $rc: $out"
ok "  ... and it is still there" test -d "$T/odd/lagrace.AbC123"
out=$(TMPDIR=$T/odd2 "$LR" cleanup 2>&1)
rc=$?
check "no owner file: a live PID's directory is kept, a dead one's removed (exit $rc)" \
	"$([ "$rc" = 0 ] && [ -d "$T/odd2/lagrace.$$.AbCdEf" ] && [ ! -e "$T/odd2/lagrace.$dead.XyZ123" ] &&
	   [ "$out" = "removed $T/odd2/lagrace.$dead.XyZ123 (lagrace $dead is gone)" ]; echo $?)"
[ "$rc" = 0 ] || echo "# $out"
if $root; then
	mkdir -p "$T/odd3/lagrace.$dead.RooT12"
	chown nobody "$T/odd3"
	out=$("${as_user[@]}" TMPDIR="$T/odd3" "$LR" cleanup 2>&1)
	rc=$?
	check "an ordinary user's cleanup leaves root's dead run alone (exit $rc)" \
		"$([ "$rc" = 0 ] && [ -z "$out" ] && [ -d "$T/odd3/lagrace.$dead.RooT12" ]; echo $?)"
fi
out=$("$LR" cleanup extra 2>&1)
rc=$?
check "lagrace cleanup with an argument: exit 2, one line" \
	"$([ "$rc" = 2 ] && [ "$(wc -l <<<"$out")" = 1 ]; echo $?)"
done_testing
