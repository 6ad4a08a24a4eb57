#!/usr/bin/env bash
# --remount: an unmount ends only the session; lagfs mounts again with fresh
# inodes and the same rules, and stops for good on SIGTERM, unmounting.
# An ordinary user runs it as root of a user namespace of its own.
. "$(dirname "$0")/../mount_ns.sh"
namespace_root "$0" "$@"
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root or a user namespace, for umount (unprivileged user namespaces are disabled)"
need_fuse

lagfs_start fs --remount --rule 'read path=*.dat delay=1ms' || exit 1
M=$T/fs/mnt
echo one >"$M/a.dat"
exec 7<"$M/a.dat"
ok "the first session is busy while a file is open" \
	test "$("$H/umount_probe" "$M")" = EBUSY
exec 7<&-
ok "an unmount ends the session" test "$("$H/umount_probe" "$M")" = ok
ok "lagfs mounts again" wait_for 10 eval '[ "$(count_events "$T/fs/log" ev=start)" = 2 ]'
ok "the new session is mounted" is_mounted "$M"
ok "and serves the same backing directory" test "$(cat "$M/a.dat")" = one
ok "with the same rules" has_event "$T/fs/log" ev=park op=read path=/a.dat
ok "the first session's opens were all released" "$H/logcheck" "$T/fs/log" pairs
for i in 1 2 3; do
	"$H/umount_probe" "$M" >/dev/null
	wait_for 10 eval '[ "$(count_events "$T/fs/log" ev=start)" = $((2 + i)) ]'
done
ok "three more unmount/mount rounds" test "$(count_events "$T/fs/log" ev=start)" = 5
kill -TERM "$LAGFS_PID"
wait "$LAGFS_PID"
check "SIGTERM stops it, exit 0" $?
ok "and it unmounted" bash -c "! grep -qF ' $M ' /proc/self/mountinfo"
ok "the log ends with exit" test "$(tail -n 1 "$T/fs/log" | grep -c '"ev":"exit"')" = 1
done_testing
