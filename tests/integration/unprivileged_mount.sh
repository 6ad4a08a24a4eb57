#!/usr/bin/env bash
# An ordinary user mounts lagfs both ways: as root of its own user + mount
# namespace (unshare -Urm), and through the setuid fusermount3.
# As root, a 0666 /dev/fuse of its own for the user where the machine's is
# not (in a mount namespace of the test's own; the machine's is untouched).
. "$(dirname "$0")/../mount_ns.sh"
if [ "$(id -u)" -eq 0 ] && [ "$(stat -c %a /dev/fuse 2>/dev/null)" != 666 ]; then
	own_mount_namespace "$0" "$@" && dev_fuse_as 0666
fi
. "$(dirname "$0")/../lib.sh"

# As root, act as "nobody" from a copy of the binaries it can read.
mkdir -p "$T/bin" "$T/u"
cp "$LAGFS" "$H/logcheck" "$T/bin/"
chmod -R a+rX "$T/bin"
if [ "$(id -u)" -eq 0 ]; then
	chown nobody "$T/u"
	as_user() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
else
	as_user() { "$@"; }
fi
as_user bash -c ': <>/dev/fuse' 2>/dev/null ||
	skip_all "the user cannot open /dev/fuse ($(stat -c 'mode %a' /dev/fuse 2>/dev/null || echo missing)); as root: chmod 0666 /dev/fuse"

# The script each way runs as the user: mount, write, read back, unmount.
cat >"$T/bin/roundtrip" <<'INNER'
#!/usr/bin/env bash
# roundtrip DIR MODE: MODE is "ns" (plain umount) or "fusermount".
set -u
d=$1 mode=$2 bin=$(dirname "$0")
mkdir -p "$d/back" "$d/mnt"
"$bin/lagfs" -f --log "$d/log" "$d/back" "$d/mnt" 2>"$d/stderr" &
pid=$!
for _ in $(seq 1000); do
	"$bin/logcheck" "$d/log" count ev=start >/dev/null 2>&1 && break
	kill -0 $pid 2>/dev/null || break
	sleep 0.01
done
echo "hello from $(id -u)" >"$d/mnt/file" && cat "$d/mnt/file" >"$d/readback"
if [ "$mode" = ns ]; then umount "$d/mnt"; else fusermount3 -u "$d/mnt"; fi
echo "umount=$?" >"$d/result"
wait $pid
echo "lagfs=$?" >>"$d/result"
INNER
chmod a+rx "$T/bin/roundtrip"

if as_user unshare -Urm true 2>/dev/null; then
	as_user unshare -Urm "$T/bin/roundtrip" "$T/u/ns" ns
	ok "in a user namespace: the file lands in the backing dir" \
		grep -q "hello from 0" "$T/u/ns/back/file"
	ok "in a user namespace: it reads back" grep -q "hello from 0" "$T/u/ns/readback"
	ok "in a user namespace: umount and lagfs exit cleanly" \
		test "$(tr '\n' ' ' <"$T/u/ns/result")" = "umount=0 lagfs=0 "
	ok "in a user namespace: the log has the open and release" \
		"$H/logcheck" "$T/u/ns/log" pairs
else
	skip "unprivileged user namespaces are disabled here"
fi

if command -v fusermount3 >/dev/null && [ -u "$(command -v fusermount3)" ]; then
	uid=$(as_user id -u)
	as_user "$T/bin/roundtrip" "$T/u/fm" fusermount
	ok "through fusermount3: the file lands in the backing dir" \
		grep -q "hello from $uid" "$T/u/fm/back/file"
	ok "through fusermount3: the file belongs to the user" \
		test "$(stat -c %u "$T/u/fm/back/file")" = "$uid"
	ok "through fusermount3: unmount and lagfs exit cleanly" \
		test "$(tr '\n' ' ' <"$T/u/fm/result")" = "umount=0 lagfs=0 "
	ok "through fusermount3: nothing left mounted" bash -c "! grep -qF ' $T/u/fm/mnt ' /proc/self/mountinfo"
else
	skip "fusermount3 is not installed setuid"
fi
done_testing
