#!/usr/bin/env bash
# Everything written through lagfs lands unchanged in the backing directory,
# and the usual file operations pass through.
. "$(dirname "$0")/../lib.sh"

lagfs_start fs || exit 1
M=$T/fs/mnt B=$T/fs/back

head -c 1048576 /dev/urandom >"$T/blob"
cp "$T/blob" "$M/blob"
ok "file written through lagfs reads back identical from the backing dir" \
	cmp -s "$T/blob" "$B/blob"
ok "and identical through lagfs" cmp -s "$T/blob" "$M/blob"

mkdir -p "$M/d1/d2" && echo hello >"$M/d1/d2/f"
ok "mkdir and create in subdirectories" test "$(cat "$B/d1/d2/f")" = hello
mv "$M/d1/d2/f" "$M/d1/g"
ok "rename moves the backing file" test -e "$B/d1/g" -a ! -e "$B/d1/d2/f"
ln -s g "$M/d1/link" && ln "$M/d1/g" "$M/d1/hard"
ok "symlink and readlink" test "$(readlink "$M/d1/link")" = g
ok "hard link shares the inode" test "$(stat -c %i "$B/d1/g")" = "$(stat -c %i "$B/d1/hard")"
chmod 0640 "$M/d1/g"
ok "chmod" test "$(stat -c %a "$B/d1/g")" = 640
truncate -s 12345 "$M/d1/g"
ok "truncate" test "$(stat -c %s "$B/d1/g")" = 12345
touch -d '2001-02-03 04:05:06' "$M/d1/g"
ok "utimens" test "$(stat -c %Y "$B/d1/g")" = "$(date -d '2001-02-03 04:05:06' +%s)"
fallocate -l 65536 "$M/falloc"
ok "fallocate" test "$(stat -c %s "$B/falloc")" = 65536
mkfifo "$M/fifo"
ok "mknod of a fifo" test -p "$B/fifo"
if setfattr -n user.lagfs -v yes "$M/blob" 2>/dev/null; then
	ok "setxattr/getxattr" test "$(getfattr --only-values -n user.lagfs "$M/blob" 2>/dev/null)" = yes
else
	touch "$B/x" && if python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.t", b"1")' "$B/x" 2>/dev/null; then
		ok "setxattr through python" python3 -c 'import os,sys; os.setxattr(sys.argv[1], "user.lagfs", b"yes"); assert os.getxattr(sys.argv[2], "user.lagfs") == b"yes"' "$M/blob" "$B/blob"
	else
		skip "backing filesystem has no user xattrs"
	fi
fi
ok "readdir lists what the backing dir has" \
	test "$(ls -a "$M/d1" | sort | tr '\n' ' ')" = "$(ls -a "$B/d1" | sort | tr '\n' ' ')"
rm "$M/d1/hard" && rmdir "$M/d1/d2"
ok "unlink and rmdir" test ! -e "$B/d1/hard" -a ! -e "$B/d1/d2"
ok "statfs" quiet stat -f "$M"

mkdir "$T/src" && head -c 200000 /dev/urandom >"$T/src/a" && mkdir "$T/src/sub" &&
	echo x >"$T/src/sub/b" && ln -s a "$T/src/l"
mkdir "$M/untar"
ok "tar extracts into lagfs without errors" \
	bash -c "tar -C '$T/src' -cf - . | tar -C '$M/untar' -xf -"
ok "and the tree is identical" diff -r "$T/src" "$M/untar"
cp -a "$T/src" "$M/copy"
ok "cp -a keeps content and links" diff -r "$T/src" "$M/copy"
ok "cp -a keeps a symlink's own mtime" \
	test "$(stat -c %Y "$T/src/l")" = "$(stat -c %Y "$M/copy/l")"

lagfs_stop fs
check "lagfs exits 0 after unmount" "$LAGFS_STATUS"
ok "the log ends with an exit event" test "$(tail -n 1 "$T/fs/log" | grep -c '"ev":"exit"')" = 1
done_testing
