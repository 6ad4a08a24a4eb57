#!/usr/bin/env bash
# Extended attributes of a symlink itself (lgetxattr and friends) work
# through lagfs wherever the backing filesystem allows them: as root, a
# trusted.* attribute is set, read, listed and removed on the link, and the
# link's target is never touched.
. "$(dirname "$0")/../lib.sh"
need_fuse
[ "$(id -u)" -eq 0 ] || skip_all "trusted.* attributes need root"

# x CALL PATH [NAME [VALUE]]: the l*xattr call on PATH; prints the result
# or the error's strerror.
x() {
	python3 - "$@" <<'PY'
import os, sys
call, path = sys.argv[1], sys.argv[2]
try:
    if call == "set":
        os.setxattr(path, sys.argv[3], sys.argv[4].encode(), follow_symlinks=False)
    elif call == "get":
        print(os.getxattr(path, sys.argv[3], follow_symlinks=False).decode())
    elif call == "list":
        print(" ".join(sorted(os.listxattr(path, follow_symlinks=False))))
    else:
        os.removexattr(path, sys.argv[3], follow_symlinks=False)
except OSError as e:
    print(e.strerror)
PY
}

lagfs_start s || exit 1
M=$T/s/mnt B=$T/s/back
echo data >"$B/target"
ln -s target "$M/link"
[ -z "$(x set "$B/target" trusted.probe 1)" ] && x remove "$B/target" trusted.probe >/dev/null ||
	skip_all "the backing filesystem keeps no trusted.* attributes"

res=$(x set "$M/link" trusted.lagfs on-the-link)
ok "lsetxattr on a symlink through lagfs: ${res:-ok}" test -z "$res"
ok "  ... the attribute is on the backing link" \
	test "$(x get "$B/link" trusted.lagfs)" = on-the-link
ok "  ... and not on its target" \
	test "$(x get "$B/target" trusted.lagfs)" = "No data available"
ok "lgetxattr through lagfs reads it" test "$(x get "$M/link" trusted.lagfs)" = on-the-link
ok "llistxattr through lagfs lists it" test "$(x list "$M/link")" = trusted.lagfs
res=$(x remove "$M/link" trusted.lagfs)
ok "lremovexattr through lagfs: ${res:-ok}" test -z "$res"
ok "  ... and the backing link has no attribute left" test -z "$(x list "$B/link")"
# The kernel refuses user.* on a symlink (EPERM), as it does without lagfs.
ok "user.* on a symlink: refused as by the backing filesystem ($(x set "$B/link" user.a 1))" \
	test "$(x set "$M/link" user.a 1)" = "$(x set "$B/link" user.a 1)"
lagfs_stop s
check "lagfs stops cleanly" "$LAGFS_STATUS"
done_testing
