#!/usr/bin/env bash
# tests/run as root on a machine whose /dev/fuse is 0600: the tests see a
# 0666 /dev/fuse (the unprivileged ones need it), and /dev/fuse is 0600
# again when the run ends, whether it ends normally or on SIGINT; tests/run
# says so in one line. Both ways tests/run does it are checked: a /dev/fuse
# of its own in a mount namespace (the default), and chmod and back
# (LAGFS_TESTS_NO_NAMESPACE=1).
#
# The 0600 /dev/fuse is this test's own, in a mount namespace of its own:
# the machine's is never touched.
. "$(dirname "$0")/../mount_ns.sh"
own_mount_namespace "$0" "$@"
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (to make a 0600 /dev/fuse of its own)"
dev_fuse_as 0600 || { check "a 0600 /dev/fuse in our mount namespace" 1; done_testing; exit; }

no_proc() { ! pgrep -f "$1" >/dev/null; }

# A test for tests/run to run: it records the mode of /dev/fuse it sees;
# with "block" in its name it then waits until it is killed.
cat >"$T/probe.sh" <<EOF
#!/usr/bin/env bash
stat -c %a /dev/fuse >"\$0.seen"
echo "ok 1 - /dev/fuse is \$(cat "\$0.seen") here"
if [[ \$0 == *block* ]]; then
	mkfifo "\$0.never"
	: >"\$0.started"
	read -r _ <"\$0.never"
fi
echo "1..1"
EOF
chmod 0755 "$T/probe.sh"
cp "$T/probe.sh" "$T/block.sh"

# run NAME [ENV...]: tests/run on the probe, to the end.
run() {
	local name=$1; shift
	cp "$T/probe.sh" "$T/$name.sh"
	env "$@" "$TOP/tests/run" "$T/$name.sh" >"$T/$name.out" 2>&1
	RC=$?
	sed 's/^/# /' "$T/$name.out"
}

run ns
check "namespace: tests/run exits 0 (got $RC)" "$([ "$RC" = 0 ]; echo $?)"
ok "namespace: the test saw /dev/fuse 0666" test "$(cat "$T/ns.sh.seen" 2>/dev/null)" = 666
ok "namespace: /dev/fuse is 0600 after the run" test "$(stat -c %a /dev/fuse)" = 600
ok "namespace: one line says so" \
	test "$(grep -c '^tests/run: /dev/fuse is mode 0600; the tests get a 0666 one in a mount namespace of their own, and the machine.s stays 0600$' "$T/ns.out")" = 1

run chmod LAGFS_TESTS_NO_NAMESPACE=1
check "chmod: tests/run exits 0 (got $RC)" "$([ "$RC" = 0 ]; echo $?)"
ok "chmod: the test saw /dev/fuse 0666" test "$(cat "$T/chmod.sh.seen" 2>/dev/null)" = 666
ok "chmod: /dev/fuse is 0600 after the run" test "$(stat -c %a /dev/fuse)" = 600
ok "chmod: one line says it is back" \
	test "$(grep -c '^tests/run: /dev/fuse is back to mode 0600$' "$T/chmod.out")" = 1

# SIGINT while a test runs: tests/run stops it, and /dev/fuse is 0600.
# (A background job of a script ignores SIGINT: give it back.)
interrupt() {
	local name=$1 pid; shift
	cp "$T/block.sh" "$T/$name-block.sh"
	env --default-signal=INT "$@" "$TOP/tests/run" "$T/$name-block.sh" \
		>"$T/$name.out" 2>&1 &
	pid=$!
	_pids+=("$pid")
	ok "$name: the test runs" wait_for 20 test -e "$T/$name-block.sh.started"
	kill -INT "$pid"
	ok "$name: tests/run ends on SIGINT" wait_for 20 exited "$pid"
	wait "$pid"
	RC=$?
	sed 's/^/# /' "$T/$name.out"
	check "$name: exit status 130 (got $RC)" "$([ "$RC" = 130 ]; echo $?)"
	ok "$name: the test it ran is stopped too" \
		wait_for 10 no_proc "$T/$name-block.sh"
	ok "$name: /dev/fuse is 0600 after it" test "$(stat -c %a /dev/fuse)" = 600
}
interrupt int-ns
interrupt int-chmod LAGFS_TESTS_NO_NAMESPACE=1
ok "int-chmod: one line says /dev/fuse is back" \
	test "$(grep -c '^tests/run: /dev/fuse is back to mode 0600$' "$T/int-chmod.out")" = 1
done_testing
