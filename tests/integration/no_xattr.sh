#!/usr/bin/env bash
# With xattrs on (the default), the kernel asks lagfs for security.capability
# before every write; --no-xattr answers ENOSYS once and the kernel stops
# asking, so writes cost one round trip each, as on passthrough_ll.
# A 'getxattr delay=1us' rule makes each getxattr visible as a park event.
. "$(dirname "$0")/../lib.sh"

# xattr CALL PATH [NAME VALUE]: os.setxattr/os.getxattr; prints the value or
# the error's strerror. Status 3: no python3 to ask.
xattr() {
	command -v python3 >/dev/null || return 3
	python3 - "$@" <<'PY'
import os, sys
try:
    if sys.argv[1] == "set":
        os.setxattr(sys.argv[2], sys.argv[3], sys.argv[4].encode())
    else:
        print(os.getxattr(sys.argv[2], sys.argv[3]).decode())
except OSError as e:
    print(e.strerror)
PY
}

writes() {	# writes DIR: 20 separate 4 KiB writes, each its own request
	dd if=/dev/zero of="$1/f" bs=4k count=20 oflag=direct status=none
}

lagfs_start on --rule 'getxattr delay=1us' || exit 1
writes "$T/on/mnt"
n_on=$(count_events "$T/on/log" ev=park op=getxattr)
echo "# xattrs on: $n_on getxattr requests for 20 writes"
ok "xattrs on: the kernel sends a getxattr with the writes" test "${n_on:-0}" -ge 20
res=$(xattr set "$T/on/back/f" user.lagfs yes); rc=$?
if [ "$rc" = 3 ]; then
	skip "no python3 to call setxattr"
elif [ -n "$res" ]; then
	skip "the backing filesystem refuses user xattrs: $res"
else
	ok "xattrs on: a user xattr of the backing file reads through" \
		test "$(xattr get "$T/on/mnt/f" user.lagfs)" = yes
fi
lagfs_stop on

lagfs_start off --no-xattr --rule 'getxattr delay=1us' || exit 1
writes "$T/off/mnt"
n_off=$(count_events "$T/off/log" ev=park op=getxattr)
echo "# --no-xattr: $n_off getxattr requests for 20 writes"
ok "--no-xattr: no getxattr reaches lagfs's rules" test "${n_off:-x}" = 0
ok "--no-xattr: the data is written" test "$(stat -c %s "$T/off/back/f")" = 81920
res=$(xattr set "$T/off/mnt/f" user.lagfs yes); rc=$?
if [ "$rc" = 3 ]; then
	skip "no python3 to call setxattr"
else
	ok "--no-xattr: setxattr fails with 'Operation not supported'" \
		test "$res" = "Operation not supported"
fi
lagfs_stop off
ok "--no-xattr: lagfs exits cleanly" test "$LAGFS_STATUS" = 0
done_testing
