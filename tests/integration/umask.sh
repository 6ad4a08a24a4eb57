#!/usr/bin/env bash
# The kernel applies the caller's umask to the mode of a create, mkdir or
# mknod before lagfs sees it; lagfs's own umask must not take bits off a
# second time. lagfs starts under umask 022, the caller has umask 0.
. "$(dirname "$0")/../lib.sh"
need_fuse

umask 022
lagfs_start m || exit 1
M=$T/m/mnt B=$T/m/back
# make KIND NAME MODE: a node of KIND with MODE under umask 0, as asked.
make() {
	(umask 0 && python3 - "$@" <<'PY'
import os, sys
kind, path, mode = sys.argv[1], sys.argv[2], int(sys.argv[3], 8)
if kind == "file":
    os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, mode))
elif kind == "dir":
    os.mkdir(path, mode)
else:
    os.mkfifo(path, mode)
PY
	)
}
mode_of() { stat -c %a "$1"; }

make file "$M/f" 0666
ok "create 0666: the backing file is 0666 ($(mode_of "$B/f"))" test "$(mode_of "$B/f")" = 666
ok "  ... and the mount shows 0666" test "$(mode_of "$M/f")" = 666
make dir "$M/d" 0777
ok "mkdir 0777: 0777 ($(mode_of "$B/d"))" test "$(mode_of "$B/d")" = 777
make fifo "$M/p" 0666
ok "mknod (fifo) 0666: 0666 ($(mode_of "$B/p"))" test "$(mode_of "$B/p")" = 666
make file "$M/s" 04777
ok "create 04777: 4777 ($(mode_of "$B/s"))" test "$(mode_of "$B/s")" = 4777
# The caller's own umask still counts (the kernel applies it).
(umask 027 && touch "$M/masked")
ok "a caller's umask 027 still applies: 0640 ($(mode_of "$B/masked"))" \
	test "$(mode_of "$B/masked")" = 640
lagfs_stop m
check "lagfs stops cleanly" "$LAGFS_STATUS"
done_testing
