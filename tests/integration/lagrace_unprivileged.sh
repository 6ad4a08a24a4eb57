#!/usr/bin/env bash
# lagrace run by an ordinary user (as root: "nobody") reproduces the race
# both ways an ordinary user can mount: as root of its own user + mount
# namespace (the default), and through the setuid fusermount3
# (--fusermount), and runs the family on --fs tmpfs and --fs-dir in its
# namespace. So does a workload of its own (-- CMD) whose readers are
# grandchildren in sessions of their own: in a PID namespace (in the user
# namespace), and through fusermount3, where there is none and lagrace,
# their subreaper, kills and reaps them all. Nothing is left behind.
# As root, a 0666 /dev/fuse of its own for the user where the machine's is
# not (in a mount namespace of the test's own; the machine's is untouched).
. "$(dirname "$0")/../mount_ns.sh"
if [ "$(id -u)" -eq 0 ] && [ "$(stat -c %a /dev/fuse 2>/dev/null)" != 666 ]; then
	own_mount_namespace "$0" "$@" && dev_fuse_as 0666
fi
. "$(dirname "$0")/../lib.sh"

# As root, act as "nobody" from a copy of the binaries it can read; lagrace
# finds lagfs next to itself. Its TMPDIR ($T/u/tmp) and --json files go to
# $T/u, which the user owns.
mkdir -p "$T/bin" "$T/u/tmp"
cp "$BUILD/lagrace" "$LAGFS" "$BUILD/tests/helpers/fork_readers" "$T/bin/"
mkdir -p "$T/u/pop"
for i in 0 1; do head -c 8192 /dev/urandom >"$T/u/pop/r$i"; done
chmod -R a+rX "$T/u/pop"
chmod -R a+rX "$T/bin"
if [ "$(id -u)" -eq 0 ]; then
	chown nobody "$T/u" "$T/u/tmp"
	who=nobody
	as_user() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
else
	who=$(id -un)
fi
LR=$T/bin/lagrace LR_TMP=$T/u/tmp LR_JSON=$T/u LR_SHOW_LINES=30
. "$TOP/tests/lagrace_runs.sh"
as_user bash -c ': <>/dev/fuse' 2>/dev/null ||
	skip_all "the user cannot open /dev/fuse ($(stat -c 'mode %a' /dev/fuse 2>/dev/null || echo missing)); as root: chmod 0666 /dev/fuse"
echo "# running lagrace as $who (uid $(as_user id -u))"

if as_user unshare -Urm true 2>/dev/null; then
	lr ns --iterations 20 --expect race --json "$T/u/ns.json"
	check "in a user namespace: --expect race exits 0" "$([ "$RC" -eq 0 ]; echo $?)"
	[ "$RC" -eq 0 ] || { echo "# exit status $RC"; show ns; }
	check "in a user namespace: late release in 20/20 ($(sum ns late_release))" \
		"$([ "$(sum ns late_release)" = 20 ]; echo $?)"
	check "in a user namespace: EBUSY in 20/20 ($(sum ns ebusy))" \
		"$([ "$(sum ns ebusy)" = 20 ]; echo $?)"
	check "in a user namespace: no errors" "$([ "$(sum ns errors)" = 0 ]; echo $?)"
	check "in a user namespace: unmounted 20/20" "$([ "$(sum ns umount_ok)" = 20 ]; echo $?)"
	ok "in a user namespace: the JSON belongs to the user" \
		test "$(stat -c %u "$T/u/ns.json")" = "$(as_user id -u)"
	clean_after "in a user namespace"
	lr nscmd --iterations 5 --expect race --rule 'read hold' --populate "$T/u/pop" \
		--json "$T/u/nscmd.json" -- "$T/bin/fork_readers" 2 uring
	check "-- CMD in a user namespace: --expect race exits 0 ($(sum nscmd reproduced)/5)" \
		"$([ "$RC" -eq 0 ]; echo $?)"
	[ "$RC" -eq 0 ] || { echo "# exit status $RC"; show nscmd; }
	clean_after "-- CMD in a user namespace"
	# The family on a tmpfs and on a directory of the user's, mounted in
	# the user's own namespace.
	lr tmpfs --scenario uring-fixed-file --fs tmpfs --iterations 3 --expect race --json "$T/u/tmpfs.json"
	check "--fs tmpfs in a user namespace: --expect race exits 0" "$([ "$RC" -eq 0 ]; echo $?)"
	[ "$RC" -eq 0 ] || { echo "# exit status $RC"; show tmpfs; }
	mkdir -p "$T/u/dir"
	[ "$(id -u)" -ne 0 ] || chown nobody "$T/u/dir"
	lr dir --scenario uring-fixed-file --fs-dir "$T/u/dir" --iterations 3 --expect race --json "$T/u/dir.json"
	check "--fs-dir in a user namespace: --expect race exits 0" "$([ "$RC" -eq 0 ]; echo $?)"
	[ "$RC" -eq 0 ] || { echo "# exit status $RC"; show dir; }
	ok "--fs-dir: nothing of lagrace's left in the user's directory" \
		test -z "$(ls -A "$T/u/dir")"
	clean_after "--fs tmpfs, --fs-dir in a user namespace"
else
	skip "unprivileged user namespaces are disabled here"
fi

if command -v fusermount3 >/dev/null && [ -u "$(command -v fusermount3)" ]; then
	lr fm --fusermount --iterations 5 --expect race --json "$T/u/fm.json"
	check "through fusermount3: --expect race exits 0" "$([ "$RC" -eq 0 ]; echo $?)"
	[ "$RC" -eq 0 ] || { echo "# exit status $RC"; show fm; }
	check "through fusermount3: late release in 5/5 ($(sum fm late_release))" \
		"$([ "$(sum fm late_release)" = 5 ]; echo $?)"
	check "through fusermount3: no errors" "$([ "$(sum fm errors)" = 0 ]; echo $?)"
	clean_after "through fusermount3"
	lr fmcmd --fusermount --iterations 5 --expect race --rule 'read hold' \
		--populate "$T/u/pop" --json "$T/u/fmcmd.json" -- "$T/bin/fork_readers" 2 uring
	check "-- CMD through fusermount3: --expect race exits 0 ($(sum fmcmd reproduced)/5)" \
		"$([ "$RC" -eq 0 ]; echo $?)"
	[ "$RC" -eq 0 ] || { echo "# exit status $RC"; show fmcmd; }
	check "-- CMD through fusermount3: all 2 files counted each time" \
		"$([ "$("$J" "$T/u/fmcmd.json" iterations.4.child_opens)" = 2 ]; echo $?)"
	clean_after "-- CMD through fusermount3"
else
	skip "fusermount3 is not installed setuid"
fi
done_testing
