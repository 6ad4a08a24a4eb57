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

# lagfs_stop NAME: unmount for real and wait for lagfs to exit; its status
# is in LAGFS_STATUS.
lagfs_stop() {
	local d=$T/$1
	umount "$d/mnt" 2>/dev/null || fusermount3 -u "$d/mnt" 2>/dev/null
	wait "$LAGFS_PID"
	LAGFS_STATUS=$?
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
