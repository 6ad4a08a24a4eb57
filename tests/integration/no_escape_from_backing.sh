#!/usr/bin/env bash
# ".." and symlinks that try to leave the backing directory: lagfs passes
# links through unchanged and acts on a link itself, never on its target;
# the kernel resolves ".." in the caller's tree; a directory renamed under
# a process's cwd, or moved to another parent, still resolves inside
# BACKING_DIR; and a symlink planted in the backing dir while a create of
# that name is held does not make lagfs create a file outside it.
. "$(dirname "$0")/../mount_ns.sh"
mounts_of_its_own "$0" "$@"
. "$(dirname "$0")/../lib.sh"
need_fuse

# The backing dir and the mountpoint have different parents, so "where did
# that resolve" is observable:
#   $T/esc/outer/back     BACKING_DIR        $T/esc/outer/SECRET
#   $T/esc/m1/m2/mnt      mountpoint         $T/esc/outside (target)
E=$T/esc
mkdir -p "$E/outer/back" "$E/m1/m2/mnt" "$E/outside"
echo secret >"$E/outer/SECRET"
B=$E/outer/back M=$E/m1/m2/mnt L=$E/log
"$LAGFS" -f --log "$L" --control "$E/sock" \
	--rule 'create path=/planted hold max=20s' "$B" "$M" 2>"$E/stderr" &
LAGFS_PID=$!
_pids+=("$LAGFS_PID") _mnts+=("$M")
wait_for 10 has_event "$L" ev=start || { echo "# lagfs: $(cat "$E/stderr")"; exit 1; }

touch -d '2001-01-01 00:00:00' "$E/outside"
ln -s "$E/outside" "$B/abs"
ln -s /etc "$B/etc"
ln -s ../../ "$B/up"
ok "readlink passes an absolute link through unchanged" \
	test "$(readlink "$M/abs")" = "$E/outside"
ok "readlink of a link to /etc is /etc" test "$(readlink "$M/etc")" = /etc
ok "readlink passes ../../ through unchanged" test "$(readlink "$M/up")" = ../../
ok "the kernel resolves ../../ in the caller's tree (the mount's grandparent)" \
	test "$(ls "$M/up/")" = m2
ok "\$MNT/.. is the mountpoint's parent, not the backing dir's" \
	test "$(ls -a "$M/.." | tr '\n' ' ')" = ". .. mnt " -a \
	     "$(stat -c %i "$M/..")" = "$(stat -c %i "$E/m1/m2")"
ok "\$MNT/../ opens the caller's directory, not the backing dir's parent" \
	test "$(stat -c %d:%i "$M/../")" = "$(stat -c %d:%i "$E/m1/m2")"
mkdir "$M/a"
echo b >"$M/a/../b"
ok "a create through \$MNT/a/../b lands in BACKING/b" test "$(cat "$B/b")" = b
ok "  ... and not beside the backing dir" test ! -e "$E/outer/b"
ok "\$MNT/a/../.. is the mountpoint's parent" \
	test "$(stat -c %d:%i "$M/a/../..")" = "$(stat -c %d:%i "$E/m1/m2")"
ok "a cwd in the mount: ../.. from \$MNT/a is the mountpoint's parent" \
	test "$(cd "$M/a" && stat -c %d:%i ../..)" = "$(stat -c %d:%i "$E/m1/m2")"

# A directory renamed while a process has its cwd in it: lookups from the
# cwd and through the new name still resolve inside the backing dir.
mkdir -p "$M/r1/sub"
(
	cd "$M/r1/sub" || exit 1
	mv "$M/r1" "$M/r2" || exit 1
	echo one >f1 && mkdir d && echo two >d/f2 && ls .. >"$E/ls-parent"
) 2>"$E/rename.err"
check "rename a directory under a cwd, then create from that cwd" $?
ok "the files are in BACKING/r2/sub" test "$(cat "$B/r2/sub/f1")" = one -a \
	"$(cat "$B/r2/sub/d/f2")" = two
ok "no BACKING/r1 is left" test ! -e "$B/r1"
ok ".. from the renamed cwd is BACKING/r2" test "$(cat "$E/ls-parent")" = sub
ok "the create after the rename is logged under its new path" \
	has_event "$L" ev=create path=/r2/sub/f1
mv "$M/r2/sub" "$M/moved"
echo three >"$M/moved/d/f3"
ok "a directory moved to another parent: lookups follow it inside BACKING" \
	test "$(cat "$B/moved/d/f3")" = three -a "$(cat "$M/moved/d/f2")" = two
ok "nothing was created beside the backing dir" \
	test "$(ls -A "$E/outer" | tr '\n' ' ')" = "SECRET back "

# lagfs acts on a symlink itself, never on what it points to.
touch -h "$M/abs"
ok "touch -h through lagfs changes the link's own time" \
	test "$(stat -c %Y "$B/abs")" -gt "$(date -d '2001-01-02' +%s)"
ok "  ... not its target's (outside the backing dir)" \
	test "$(stat -c %Y "$E/outside")" = "$(date -d '2001-01-01 00:00:00' +%s)"
rm "$M/abs"
ok "unlink removes the link, the target stays" test ! -L "$B/abs" -a -d "$E/outside"

# A name that becomes a symlink between the kernel's lookup (ENOENT) and
# lagfs's create: the create is held, the symlink planted in the backing dir
# meanwhile. lagfs's openat(O_CREAT) must not follow it out of BACKING_DIR.
bash -c 'exec 3>"$1"' _ "$M/planted" 2>/dev/null &
planter=$!
_pids+=("$planter")
if wait_for 10 has_event "$L" ev=park op=create path=/planted; then
	ln -s "$E/outside/victim" "$B/planted"
	ctl esc 'release /planted' >/dev/null
	wait "$planter"
	ok "a symlink planted under a held create: nothing created outside BACKING_DIR" \
		test ! -e "$E/outside/victim"
	[ -e "$E/outside/victim" ] && echo "# lagfs created $E/outside/victim through BACKING/planted -> $E/outside/victim"
else
	check "the create of /planted was held" 1
fi
ok "the secret beside the backing dir is untouched" test "$(cat "$E/outer/SECRET")" = secret
ok "every line of the log parses" "$H/logcheck" "$L" valid
stop_mount "$M"
check "lagfs exits 0" "$LAGFS_STATUS"
nothing_left
done_testing
