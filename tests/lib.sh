# Shared by the integration tests: TAP output, lagfs instances that are
# always unmounted and killed on exit, and waits on observable conditions
# (log events, process exit), never fixed sleeps.
set -u
TOP=${LAGFS_TOP:-$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)}
BUILD=${LAGFS_BUILD:-$TOP/build}
LAGFS=$BUILD/lagfs
LAGRACE_BIN=$BUILD/lagrace
H=$BUILD/tests/helpers
T=$(mktemp -d /tmp/lagfs-test.XXXXXX)
chmod 0755 "$T"
_n=0 _failed=0
declare -a _pids=() _mnts=()

ok() {		# ok DESC CMD...: pass when CMD succeeds
	local desc=$1; shift
	_n=$((_n + 1))
	if "$@"; then echo "ok $_n - $desc"
	else echo "not ok $_n - $desc"; _failed=$((_failed + 1)); fi
}
check() {	# check DESC COND_STATUS: record an already computed result
	_n=$((_n + 1))
	if [ "$2" -eq 0 ]; then echo "ok $_n - $1"
	else echo "not ok $_n - $1"; _failed=$((_failed + 1)); fi
}
quiet() { "$@" >/dev/null 2>&1; }
skip() { _n=$((_n + 1)); echo "ok $_n - # SKIP $*"; }
skip_all() { echo "ok 1 - # SKIP $*"; echo "1..1"; exit 0; }
done_testing() { echo "1..$_n"; [ "$_failed" -eq 0 ]; }

is_mounted() { grep -qF " $1 " /proc/self/mountinfo; }

# need_fuse: skip the whole test unless this user can open /dev/fuse (it is
# 0600 on some machines; tests/run gives root's tests a 0666 one).
need_fuse() {
	: 2>/dev/null <>/dev/fuse && return 0
	skip_all "uid $(id -u) cannot open /dev/fuse ($(stat -c 'mode %a, owner %U' /dev/fuse 2>/dev/null || echo missing)); as root: chmod 0666 /dev/fuse"
}

# guest_tools_missing: says what scripts/vm-run lacks here to build a guest
# (cpio, a statically linked busybox), and fails when nothing is missing.
guest_tools_missing() {
	if ! command -v cpio >/dev/null; then
		echo "no cpio (Debian package cpio)"
	elif ! LC_ALL=C ldd /bin/busybox 2>&1 | grep -q 'not a dynamic executable\|statically linked'; then
		echo "no statically linked /bin/busybox (Debian package busybox-static)"
	else
		return 1
	fi
}
need_guest_tools() {
	local why
	if why=$(guest_tools_missing); then skip_all "$why"; fi
}

_cleanup() {
	local m p
	for m in "${_mnts[@]}"; do
		if is_mounted "$m"; then
			umount "$m" 2>/dev/null || fusermount3 -u -z "$m" 2>/dev/null ||
				umount -l "$m" 2>/dev/null
		fi
	done
	for p in "${_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${_pids[@]}"; do wait "$p" 2>/dev/null; done
	rm -rf "$T"
}
trap _cleanup EXIT

# wait_for SECONDS CMD...: run CMD until it succeeds, at most SECONDS.
wait_for() {
	local deadline=$((${EPOCHREALTIME/./} + $1 * 1000000)); shift
	until "$@"; do
		[ "${EPOCHREALTIME/./}" -lt "$deadline" ] || return 1
		sleep 0.01
	done
}

# has_event LOG FILTER...: the log has an event matching all filters.
has_event() { local log=$1; shift; "$H/logcheck" "$log" count "$@" >/dev/null 2>&1; }
count_events() { local log=$1; shift; "$H/logcheck" "$log" count "$@" 2>/dev/null || true; }
get_field() { local log=$1; shift; "$H/logcheck" "$log" get "$@" 2>/dev/null; }

# lagfs_start NAME [LAGFS ARGS...]: mount a lagfs on $T/NAME/mnt over
# $T/NAME/back, logging to $T/NAME/log, control socket $T/NAME/sock; wait
# until its "start" event. Sets LAGFS_PID.
lagfs_start() {
	local name=$1; shift
	local d=$T/$name
	mkdir -p "$d/back" "$d/mnt"
	"$LAGFS" -f --log "$d/log" --control "$d/sock" "$@" "$d/back" "$d/mnt" \
		2>"$d/stderr" &
	LAGFS_PID=$!
	_pids+=("$LAGFS_PID")
	_mnts+=("$d/mnt")
	if ! wait_for 10 has_event "$d/log" ev=start; then
		echo "# lagfs did not start: $(cat "$d/stderr")"
		return 1
	fi
}

# exited PID: PID is gone, or a zombie waiting for us to reap it.
exited() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 0
	[ "${st%% *}" = Z ]
}

# stop_mount MNT: unmount MNT for real and wait (at most 20 s) for
# LAGFS_PID to exit; its status in LAGFS_STATUS. A mount namespace that
# another program makes meanwhile copies the mount and keeps its FUSE
# connection alive after our unmount: then say who holds it, instead of
# hanging.
stop_mount() {
	local f p
	umount "$1" 2>/dev/null || fusermount3 -u "$1" 2>/dev/null ||
		umount -l "$1" 2>/dev/null
	if ! wait_for 20 exited "$LAGFS_PID"; then
		echo "# lagfs $LAGFS_PID still runs 20 s after the unmount of $1; held by:"
		grep -lF " $1 " /proc/[0-9]*/mountinfo 2>/dev/null | head -3 |
			while read -r f; do p=${f#/proc/}; p=${p%%/*}
				echo "#   $p $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | cut -c1-100)"; done
		kill -9 "$LAGFS_PID"
	fi
	wait "$LAGFS_PID"
	LAGFS_STATUS=$?
}

# lagfs_stop NAME: stop_mount of lagfs_start NAME's mount.
lagfs_stop() { stop_mount "$T/$1/mnt"; }

# nothing_left: no FUSE mount and no process of this test's is left.
nothing_left() {
	local left
	left=$(grep -E ' - fuse(\.[^ ]+)? ' /proc/self/mountinfo | grep -F "$T/")
	check "no FUSE mount left" "$([ -z "$left" ]; echo $?)"
	left=$(pgrep -f "$T/")
	check "no lagfs left" "$([ -z "$left" ]; echo $?)"
}

# ctl NAME COMMAND: one control-channel command; prints the answer.
ctl() { printf '%s\n' "$2" | socat -t 5 - "UNIX-CONNECT:$T/$1/sock"; }

now_ns() { echo $((${EPOCHREALTIME/./} * 1000)); }

# refused DESC WANT LAGFS_ARGS...: lagfs exits 2 with one line on stderr
# that contains WANT, and leaves nothing mounted on $T/r/mnt (made here,
# with $T/r/back) and no lagfs running for it. In the background too: a
# daemon must not exit 0 first and fail later.
refused() {
	local desc=$1 want=$2 st; shift 2
	mkdir -p "$T/r/back" "$T/r/mnt"
	timeout 10 "$LAGFS" "$@" >"$T/r/out" 2>"$T/r/err"
	st=$?
	if [ $st -ne 2 ]; then
		echo "# exit status $st, stderr: $(head -c 300 "$T/r/err")"
		check "$desc" 1
	elif [ "$(wc -l <"$T/r/err")" -ne 1 ] || ! grep -qF -- "$want" "$T/r/err"; then
		echo "# stderr: $(head -c 300 "$T/r/err")"
		check "$desc" 1
	elif is_mounted "$T/r/mnt"; then
		check "$desc (left a mount)" 1
	elif pgrep -f -- "$T/r/mnt" >/dev/null; then
		check "$desc (left a lagfs running)" 1
	else
		check "$desc: $(cat "$T/r/err")" 0
	fi
	# What a failure left would spoil the next case.
	if is_mounted "$T/r/mnt"; then
		umount "$T/r/mnt" 2>/dev/null || umount -l "$T/r/mnt"
	fi
	wait_for 5 eval '! pgrep -f -- "$T/r/mnt" >/dev/null'
	return 0
}

# ---- paths and names, byte for byte -------------------------------------

hex() { od -An -v -tx1 | tr -d ' \n'; }

# in_dir ROOT REL CMD...: run CMD in ROOT/REL, reached one component at a
# time (no path argument of the kernel's may reach PATH_MAX).
in_dir() {
	local root=$1 rel=$2; shift 2
	( cd "$root" && for c in ${rel//\// }; do cd "$c" || exit 1; done && "$@" )
}

# open_as w|r PATH: open PATH for writing (O_CREAT|O_TRUNC: a FUSE create
# when it is new) or reading, in a process of its own, and print that
# process's pid: the pid lagfs logs for the create or open and the flush.
open_as() {
	bash -c 'echo $$; if [ "$1" = w ]; then exec 3>"$2"; else exec 3<"$2"; fi' \
		_ "$1" "$2"
}

# logged_path_is LOG EXPECTED FILTER...: the path of the first event that
# matches is EXPECTED, byte for byte (compared as hex: a newline survives).
logged_path_is() {
	local log=$1 want=$2 got; shift 2
	got=$(get_field "$log" path "$@" | hex)
	want=$(printf '%s\n' "$want" | hex)
	[ "$got" = "$want" ] && return 0
	echo "# logged path for $*: $((${#got} / 2 - 1)) bytes, hex ${got:0:48}...${got: -16}"
	echo "# expected: $((${#want} / 2 - 1)) bytes, hex ${want:0:48}...${want: -16}"
	return 1
}

# create_and_open DESC LOG MNT REL NAME: create MNT/REL/NAME (NAME one
# component) and open it again, each in a process of its own; the create,
# flush, open and release events must carry the path below the mount,
# REL/NAME, exactly (its first 4096 bytes: README's path_cut).
create_and_open() {
	local desc=$1 log=$2 mnt=$3 rel=$4 name=$5 want wpid rpid fh
	want=$rel/$name
	want=${want:0:4096}
	if ! wpid=$(in_dir "$mnt" "$rel" open_as w "./$name") ||
	   ! rpid=$(in_dir "$mnt" "$rel" open_as r "./$name") ||
	   [ -z "$wpid" ] || [ -z "$rpid" ]; then
		check "$desc: create and open through lagfs" 1
		return
	fi
	check "$desc: create and open through lagfs" 0
	ok "$desc: the create event has the exact path" \
		logged_path_is "$log" "$want" ev=create pid="$wpid"
	ok "$desc: the flush event has the exact path" \
		logged_path_is "$log" "$want" ev=flush pid="$wpid"
	ok "$desc: the open event has the exact path" \
		logged_path_is "$log" "$want" ev=open pid="$rpid"
	fh=$(get_field "$log" fh ev=open pid="$rpid")
	# A release carries no pid; its fh may be reused later, so the
	# filter names the path too (compared byte for byte by logcheck).
	ok "$desc: the release of that open has the exact path" \
		wait_for 5 has_event "$log" ev=release fh="$fh" path="$want"
}
