#!/usr/bin/env bash
# Whatever stops lagfs from serving stops it before it says it started:
# one line on stderr, exit 2, nothing mounted, no lagfs left running, in
# the background as in the foreground. The background parent exits 0 only
# once its daemon serves the mount, so `lagfs ... && use-the-mount` holds.
. "$(dirname "$0")/../lib.sh"

R=$T/r
mkdir -p "$R/back" "$R/mnt" "$T/adir"
printf 'read delay=1ms\nraed delay=1ms\n' >"$T/bad.rules"
long=$T/$(printf 's%.0s' $(seq 120))

no_lagfs_for() { ! pgrep -f -- "$1" >/dev/null; }
mode_name() { if [ "$1" = -f ]; then echo foreground; else echo background; fi; }
# The refusals, one a line: DESC|WANT|LAGFS ARGS (before BACKING_DIR
# MOUNTPOINT; words without blanks). Each runs with 7</dev/null, for
# --log-fd 7.
mapfile -t refusals <<EOF
control socket in a missing directory|control socket /no/such/dir/s: No such file or directory|--control /no/such/dir/s
a directory as the control socket|control socket $T/adir: exists and is a directory|--control $T/adir
a control socket path longer than sun_path|path too long|--control $long
a log file in a missing directory|log file /no/such/dir/log: No such file or directory|--log /no/such/dir/log
a directory as the log file|log file $T/adir: Is a directory|--log $T/adir
a log descriptor open only for reading|--log-fd '7': not open for writing|--log-fd 7
a bad rules file|bad.rules:2: unknown op 'raed'|--rules $T/bad.rules
EOF
for mode in -f ""; do
	n=$(mode_name "$mode")
	for r in "${refusals[@]}"; do
		IFS='|' read -r desc want args <<<"$r"
		# shellcheck disable=SC2086 # $mode and $args split on purpose
		refused "$n: $desc" "$want" $mode $args "$R/back" "$R/mnt" 7</dev/null
	done
done

# A failure after the mount, before the loop serves: 64 delay-queue workers
# need ~512 MiB of thread stacks, 300 MB of address space leaves room for
# the mount (~60 MB) but not for them. Sanitizers cannot run that small.
if nm -D "$LAGFS" 2>/dev/null | grep -q __asan_init; then
	skip "a failure after mounting: address-space limits and ASan do not mix"
else
	for mode in -f ""; do
		n=$(mode_name "$mode")
		(ulimit -s 8192 && ulimit -v 300000 &&
		 refused "$n: threads that cannot start after the mount" \
			"lagfs: delay queue: Resource temporarily unavailable" \
			$mode --workers 64 --control "$R/sock" "$R/back" "$R/mnt"
		) >"$T/sub.tap"
		# The subshell's TAP line, counted here.
		line=$(grep -E '^(not )?ok ' "$T/sub.tap")
		grep -v -E '^(not )?ok ' "$T/sub.tap"
		check "${line#* - }" "$([[ $line == ok* ]]; echo $?)"
		ok "  ... and its control socket is gone" test ! -e "$R/sock"
	done
fi

# A mount the kernel refuses: an ordinary user, /dev/fuse 0600. The device
# node is bind-mounted over /dev/fuse in a mount namespace of the test's
# own, so other users of /dev/fuse on this machine are not disturbed.
if [ "$(id -u)" -ne 0 ]; then
	skip "a refused mount: needs root to set up"
elif ! mknod "$T/fuse0600" c 10 229 2>/dev/null; then
	skip "a refused mount: cannot make a device node here"
else
	chmod 0600 "$T/fuse0600"
	mkdir -p "$T/bin" "$T/u/back" "$T/u/mnt"
	cp "$LAGFS" "$T/bin/"
	chmod -R a+rX "$T/bin"
	chown -R nobody "$T/u"
	for mode in -f ""; do
		n=$(mode_name "$mode")
		ERR=$T/u/err MNT=$T/u/mnt unshare -m --propagation private sh -c '
			mount --bind "$1" /dev/fuse || exit 99
			shift
			setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
				timeout 10 "$@" 2>"$ERR"
			st=$?
			grep -qF " $MNT " /proc/self/mountinfo && echo mounted
			exit $st' - "$T/fuse0600" "$T/bin/lagfs" $mode \
			"$T/u/back" "$T/u/mnt" >"$T/u/out"
		st=$?
		check "$n: a refused mount exits 2 (got $st)" "$([ $st = 2 ]; echo $?)"
		ok "  ... with one line: $(head -c 200 "$T/u/err")" \
			test "$(wc -l <"$T/u/err")" = 1
		ok "  ... that gives libfuse's reason" \
			grep -qF "cannot mount $T/u/mnt: failed to open /dev/fuse: Permission denied" "$T/u/err"
		ok "  ... and nothing is mounted" test ! -s "$T/u/out"
		ok "  ... and no lagfs is left" no_lagfs_for "$T/u/mnt"
	done
fi

# The daemon's end before it serves, made to happen under strace: the
# parent must not exit 0, and what the daemon could not clean up (it was
# killed) the parent does.
if ! command -v strace >/dev/null; then
	skip "a daemon killed or stopped while starting: needs strace"
else
	S=$T/s
	mkdir -p "$S/back" "$S/mnt"
	# LeakSanitizer cannot run under ptrace (make check-sanitize).
	nolsan=ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
	_mnts+=("$S/mnt")
	env "$nolsan" timeout 10 strace -f -o /dev/null -e trace=setsid -e inject=setsid:signal=SIGKILL \
		"$LAGFS" --control "$S/sock" "$S/back" "$S/mnt" 2>"$S/err"
	st=$?
	check "a daemon killed before it serves: exit 2 (got $st)" "$([ $st = 2 ]; echo $?)"
	ok "  ... with one line: $(head -c 200 "$S/err")" \
		test "$(grep -c 'killed by signal 9' "$S/err") $(wc -l <"$S/err")" = "1 1"
	ok "  ... and the parent unmounted" bash -c '! grep -qF " $1 " /proc/self/mountinfo' - "$S/mnt"
	ok "  ... and removed the socket" test ! -e "$S/sock"

	# The daemon is held stopped (SIGSTOP at its setsid) while the
	# command gets SIGTERM; once it runs again it stops, unmounting.
	env "$nolsan" timeout 20 strace -f -o /dev/null -e trace=setsid -e inject=setsid:signal=SIGSTOP \
		"$LAGFS" --control "$S/sock" "$S/back" "$S/mnt" 2>"$S/err" &
	spid=$!
	lagfs_pids() { pgrep -f -- "^$LAGFS --control $S/sock"; }
	stopped_child() {
		local p
		for p in $(lagfs_pids); do
			[ "$(awk '{ print $3 }' "/proc/$p/stat" 2>/dev/null)" = t ] &&
				child=$p && return 0
		done
		return 1
	}
	child=
	if wait_for 10 stopped_child; then
		parent=$(lagfs_pids | grep -vx "$child")
		kill -TERM "$parent"
		# SIGTERM (bit 15) pending for the child: the parent passed it on.
		ok "SIGTERM to the command while its daemon starts is passed on" \
			wait_for 10 grep -q '^ShdPnd:.*4000$' "/proc/$child/status"
		kill -CONT "$child"
	else
		check "the daemon did not stop at its setsid" 1
	fi
	# A daemon that went on serving would keep strace waiting.
	if ! wait_for 10 eval '! kill -0 "$spid" 2>/dev/null'; then
		umount -l "$S/mnt"
	fi
	wait "$spid"
	st=$?
	check "  ... the command exits 2 (got $st)" "$([ $st = 2 ]; echo $?)"
	ok "  ... saying why: $(head -c 200 "$S/err")" grep -q 'stopped by Terminated' "$S/err"
	ok "  ... nothing is mounted" bash -c '! grep -qF " $1 " /proc/self/mountinfo' - "$S/mnt"
	ok "  ... no lagfs is left" no_lagfs_for "$S/mnt"
	ok "  ... and the socket is gone" test ! -e "$S/sock"
fi

# And when it works, exit 0 means mounted and served, at once.
mkdir -p "$T/bg/back" "$T/bg/mnt"
echo hello >"$T/bg/back/f"
_mnts+=("$T/bg/mnt")
"$LAGFS" --control "$T/bg/sock" "$T/bg/back" "$T/bg/mnt" 2>"$T/bg/err"
check "background: exit 0 ($(cat "$T/bg/err"))" $?
ok "  ... and it is already mounted" is_mounted "$T/bg/mnt"
ok "  ... and served" test "$(cat "$T/bg/mnt/f")" = hello
ok "  ... with its control socket" test "$(printf 'ping\n' | socat -t 5 - "UNIX-CONNECT:$T/bg/sock")" = ok
umount "$T/bg/mnt"
ok "an unmount ends the daemon" wait_for 10 no_lagfs_for "$T/bg/mnt"
ok "  ... which removes its socket" test ! -e "$T/bg/sock"
done_testing
