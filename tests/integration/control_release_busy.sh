#!/usr/bin/env bash
# An O_DIRECT io_uring read that lagfs holds keeps the mount busy after its
# reader is killed and reaped (umount fails with EBUSY) until the control
# channel releases it. No interrupt comes for such a background request.
# An ordinary user runs it as root of a user namespace of its own.
. "$(dirname "$0")/../mount_ns.sh"
namespace_root "$0" "$@"
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root or a user namespace, for umount2 (unprivileged user namespaces are disabled)"
need_fuse

lagfs_start fs --rule 'read path=*.dat hold max=60s' || exit 1
M=$T/fs/mnt B=$T/fs/back
head -c 65536 /dev/urandom >"$B/held.dat"

"$H/uring_read" "$M/held.dat" direct >"$T/out" 2>&1 &
reader=$!
ok "the io_uring O_DIRECT read is held" wait_for 10 has_event "$T/fs/log" ev=park op=read path=/held.dat
kill -KILL "$reader"
wait "$reader" 2>/dev/null
ok "the reader is reaped while its read is still held" test "$(count_events "$T/fs/log" ev=read)" = 0
ok "no interrupt was sent for the background read" test "$(count_events "$T/fs/log" ev=interrupt)" = 0
ok "umount fails with EBUSY while it is held" test "$("$H/umount_probe" "$M")" = EBUSY
ok "the MNT_EXPIRE probe says busy too" test "$("$H/umount_probe" expire "$M")" = EBUSY
ok "the control channel releases it" grep -q '^ok released 1$' <(ctl fs 'release *.dat')
ok "the read is answered, ended by the release" wait_for 10 has_event "$T/fs/log" ev=read how=release
ok "the release of the file follows" wait_for 10 has_event "$T/fs/log" ev=release path=/held.dat
ok "the MNT_EXPIRE probe now says free (EAGAIN)" test "$("$H/umount_probe" expire "$M")" = EAGAIN
ok "umount succeeds" test "$("$H/umount_probe" "$M")" = ok
wait "$LAGFS_PID"
check "lagfs exits 0" $?
done_testing
