#!/usr/bin/env bash
# lagrace run by an ordinary user (as root: "nobody") reproduces the race
# both ways an ordinary user can mount: as root of its own user + mount
# namespace (the default), and through the setuid fusermount3
# (--fusermount). Nothing is left behind either way.
# As root, a 0666 /dev/fuse of its own for the user where the machine's is
# not (in a mount namespace of the test's own; the machine's is untouched).
. "$(dirname "$0")/../mount_ns.sh"
if [ "$(id -u)" -eq 0 ] && [ "$(stat -c %a /dev/fuse 2>/dev/null)" != 666 ]; then
	own_mount_namespace "$0" "$@" && dev_fuse_as 0666
fi
. "$(dirname "$0")/../lib.sh"

J=$H/jsonget
# As root, act as "nobody" from a copy of the binaries it can read; lagrace
# finds lagfs next to itself. Its TMPDIR and --json files go to $T/u,
# which the user owns.
mkdir -p "$T/bin" "$T/u"
cp "$BUILD/lagrace" "$LAGFS" "$T/bin/"
chmod -R a+rX "$T/bin"
if [ "$(id -u)" -eq 0 ]; then
	chown nobody "$T/u"
	who=nobody
	as_user() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
else
	who=$(id -un)
	as_user() { "$@"; }
fi
as_user bash -c ': <>/dev/fuse' 2>/dev/null ||
	skip_all "the user cannot open /dev/fuse ($(stat -c 'mode %a' /dev/fuse 2>/dev/null || echo missing)); as root: chmod 0666 /dev/fuse"
echo "# running lagrace as $who (uid $(as_user id -u))"

our_fuse_mounts() { grep -E ' - fuse(\.[^ ]+)? ' /proc/self/mountinfo | grep -F "$T/"; }
our_procs() { pgrep -f "$T/"; }

# lr NAME ARGS...: lagrace as the user, out/err in $T/NAME.*, status in RC.
lr() {
	local name=$1; shift
	as_user env TMPDIR="$T/u" timeout -k 5 60 "$T/bin/lagrace" "$@" \
		>"$T/$name.out" 2>"$T/$name.err"
	RC=$?
}
show() { sed 's/^/# /' "$T/$1.out" "$T/$1.err" | tail -n 30; }
sum() { "$J" "$T/u/$1.json" "summary.$2" 2>/dev/null; }
clean_after() {
	local m p
	m=$(our_fuse_mounts)
	p=$(our_procs)
	check "$1: no FUSE mount left" "$([ -z "$m" ]; echo $?)"
	[ -z "$m" ] || echo "# $m"
	check "$1: no lagfs/lagrace process left" "$([ -z "$p" ]; echo $?)"
	check "$1: its temp dir is removed" \
		"$([ -z "$(find "$T/u" -mindepth 1 -maxdepth 1 -name 'lagrace.*')" ]; echo $?)"
}

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
else
	skip "fusermount3 is not installed setuid"
fi
done_testing
