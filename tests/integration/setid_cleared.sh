#!/usr/bin/env bash
# A write, an allocation or a truncate by a user who is not root clears a
# file's setuid bit, and its setgid bit unless that user is in the file's
# group (VFS rules of today's kernels), in the backing file and in the mode
# the mount shows right after, as on a local filesystem; root's leave them.
# libfuse leaves this to lagfs (FUSE_CAP_HANDLE_KILLPRIV); fstests'
# generic/683-685 check the same.
. "$(dirname "$0")/../lib.sh"
need_fuse
[ "$(id -u)" -eq 0 ] || skip_all "other users write on lagfs only when it runs as root (allow_other)"
command -v xfs_io >/dev/null || skip_all "xfs_io (xfsprogs) is not installed"

lagfs_start o -o allow_other,default_permissions || exit 1
M=$T/o/mnt B=$T/o/back
chmod 0777 "$B"
mode() { stat -c %a "$1"; }
# as_nobody XFS_IO_ARGS...: xfs_io as nobody:nogroup on the file f.
as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- xfs_io "$@" "$M/f"; }
# fresh MODE: f is 64 KiB, owned by root, of MODE.
fresh() { rm -f "$M/f"; head -c 65536 /dev/zero >"$M/f" && chmod "$1" "$M/f"; }
# cleared DESC WANT: the mount and the backing file both show mode WANT.
cleared() {
	ok "$1: the mount shows $2 ($(mode "$M/f"))" test "$(mode "$M/f")" = "$2"
	ok "  ... and so does the backing file ($(mode "$B/f"))" test "$(mode "$B/f")" = "$2"
}

fresh 6666; as_nobody -c 'pwrite 0 10' >/dev/null
cleared "nobody's write to a 6666 file clears both bits" 666
fresh 6666; as_nobody -c 'falloc 65536 65536' >/dev/null
cleared "nobody's fallocate clears both bits" 666
fresh 6666; as_nobody -c 'truncate 4096' >/dev/null
cleared "nobody's truncate clears both bits" 666
fresh 6676; as_nobody -d -c 'pwrite 0 4096' >/dev/null
cleared "nobody's direct write to a group-executable 6676 file" 676
fresh 6666; xfs_io -c 'pwrite 0 10' "$M/f" >/dev/null
cleared "root's write keeps both bits" 6666
done_testing
