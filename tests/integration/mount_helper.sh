#!/usr/bin/env bash
# lagfs mounts the way fstests, fstab and systemd mount FUSE filesystems:
# mount -t fuse.lagfs BACKING MNT -o OPTIONS (mount(8) runs mount.fuse3,
# which runs lagfs BACKING MNT -o OPTIONS) with lagfs's own options as -o
# options, named BACKING and typed fuse.lagfs so that umount BACKING and
# findmnt -S BACKING find it; an fstab line; -o source=DIR; bad input seen
# through mount(8) as one line and exit status 2; and make install puts
# lagfs where mount.fuse3 finds it.
# In a mount namespace of its own, where this build's lagfs is what
# mount(8)'s helper runs (on_helper_path).
. "$(dirname "$0")/../mount_ns.sh"
if [ "$(id -u)" -ne 0 ] || ! own_mount_namespace "$0" "$@"; then
	. "$(dirname "$0")/../lib.sh"
	skip_all "needs root and a mount namespace of its own (mount(8) mounts FUSE as root)"
fi
. "$(dirname "$0")/../lib.sh"
need_fuse
[ -x /sbin/mount.fuse ] || [ -x /sbin/mount.fuse3 ] ||
	skip_all "no mount.fuse3 (package fuse3)"

mkdir -p "$T/sbin"
ln -s "$LAGFS" "$T/sbin/lagfs"
on_helper_path "$T/sbin" || skip_all "cannot bind over /usr/local/sbin"
_mnts+=(/usr/local/sbin)

B=$T/back M=$T/mnt
mkdir -p "$B" "$M"
_mnts+=("$M")
printf 'read path=/f delay=50ms\n' >"$T/delay.rules"
head -c 8192 /dev/urandom >"$B/f"
# gone PID: the process has exited.
gone() { ! kill -0 "$1" 2>/dev/null; }

mount -t fuse.lagfs "$B" "$M" -o "rules=$T/delay.rules,log=$T/log" 2>"$T/err"
check "mount -t fuse.lagfs BACKING MNT -o rules=FILE,log=FILE: exit 0 $(cat "$T/err")" $?
ok "  ... /proc/mounts names it BACKING, typed fuse.lagfs" \
	grep -qF "$B $M fuse.lagfs " /proc/mounts
ok "  ... findmnt -S BACKING finds it" test "$(findmnt -rn -S "$B" -o TARGET)" = "$M"
ok "  ... the log fills (start)" has_event "$T/log" ev=start
pid=$(get_field "$T/log" pid ev=start)
cmp -s "$B/f" "$M/f"
check "  ... the file reads through" $?
ok "  ... the rules file's delay applies to the read" \
	has_event "$T/log" ev=read how=delay path=/f
d=$(get_field "$T/log" delay_ns ev=read how=delay path=/f)
ok "  ... for its 50 ms (delay_ns ${d:-none})" test "${d:-0}" -ge 50000000
ok "  ... and the release is logged" wait_for 10 has_event "$T/log" ev=release path=/f
# util-linux 2.38's umount takes an absolute path to a directory for a
# mount point only; a relative one (or -c) it also looks up as a source.
(cd "$T" && umount back)
check "umount BACKING unmounts" $?
ok "  ... nothing left mounted" bash -c '! grep -qF " $1 " /proc/self/mountinfo' - "$M"
ok "  ... and lagfs exits (pid $pid)" wait_for 10 gone "$pid"
ok "  ... after logging its exit" has_event "$T/log" ev=exit
mount -t fuse.lagfs "$B" "$M" && umount -c "$B"
check "umount -c /ABSOLUTE/BACKING unmounts" $?

# An fstab line, through a temporary fstab (mount --fstab).
printf '%s %s fuse.lagfs rules=%s,log=%s,nofail 0 0\n' "$B" "$M" \
	"$T/delay.rules" "$T/log2" >"$T/fstab"
mount --fstab "$T/fstab" "$M" 2>"$T/err"
check "an fstab line: mount MNT $(cat "$T/err")" $?
ok "  ... mounted from BACKING" grep -qF "$B $M fuse.lagfs " /proc/mounts
cat "$M/f" >/dev/null
ok "  ... with its rules and log" has_event "$T/log2" ev=read how=delay path=/f
umount "$M"
check "  ... umount MNT" $?

# -o source=DIR, as fstests' FUSE setup passes it: NAME MNT -o source=DIR.
mount -t fuse.lagfs lagfs-name "$M" -o "source=$B" 2>"$T/err"
check "mount -t fuse.lagfs NAME MNT -o source=DIR: exit 0 $(cat "$T/err")" $?
ok "  ... the backing directory is DIR" cmp -s "$B/f" "$M/f"
ok "  ... named NAME" grep -qF "lagfs-name $M fuse.lagfs " /proc/mounts
umount lagfs-name
check "  ... umount NAME" $?
# An explicit fsname= leaves the subtype out (libfuse's rule), as fstests
# wants: its checks look for type fuse (FSTYP).
mount -t fuse.lagfs x "$M" -o "source=$B,fsname=lagfs-test" &&
	grep -qF "lagfs-test $M fuse " /proc/mounts
check "  ... with -o fsname=NAME: named NAME, typed fuse" $?
umount lagfs-test

# Bad input through mount(8): its user sees only the helper's stderr and
# exit status.
printf 'raed delay=1ms\n' >"$T/bad.rules"
: >"$T/not-a-dir"
# refused_by_mount DESC WANT MOUNT_ARGS...
refused_by_mount() {
	local desc=$1 want=$2 st; shift 2
	mount -t fuse.lagfs "$@" >"$T/out" 2>"$T/err"
	st=$?
	if [ $st -ne 2 ] || [ "$(wc -l <"$T/err")" -ne 1 ] ||
	   ! grep -qF -- "$want" "$T/err"; then
		echo "# exit status $st, stderr: $(head -c 300 "$T/err")"
		check "$desc" 1
	elif grep -qF " $M " /proc/self/mountinfo; then
		check "$desc (left a mount)" 1
		umount -l "$M"
	elif pgrep -f -- " $M " >/dev/null; then
		check "$desc (left a lagfs running)" 1
	else
		check "$desc: $(cat "$T/err")" 0
	fi
}
refused_by_mount "mount -o an unknown option: exit 2, one line" \
	"unknown option" "$B" "$M" -o bogus_option
refused_by_mount "mount -o rules= that does not parse: exit 2, one line" \
	"unknown op 'raed'" "$B" "$M" -o "rules=$T/bad.rules"
refused_by_mount "mount -o source= that is not a directory: exit 2, one line" \
	"$T/not-a-dir" lagfs-name "$M" -o "source=$T/not-a-dir"

# make install: lagfs lands in BINDIR (/usr/local/bin), on /bin/sh's
# default path, and the man page beside it.
umount /usr/local/sbin
make -C "$TOP" --no-print-directory B="$BUILD" DESTDIR="$T/inst" install \
	>"$T/install.log" 2>&1
check "make install DESTDIR=DIR" $?
ok "  ... installs lagfs(1)" test -f "$T/inst/usr/local/share/man/man1/lagfs.1"
mount --bind "$T/inst/usr/local/bin" /usr/local/bin &&
	_mnts+=(/usr/local/bin) &&
	mount -t fuse.lagfs "$B" "$M" -o "log=$T/log3" 2>"$T/err"
check "  ... and mount -t fuse.lagfs finds the installed lagfs $(cat "$T/err")" $?
pid=$(get_field "$T/log3" pid ev=start)
ok "  ... it is the one running ($(readlink "/proc/$pid/exe"))" \
	test "$(readlink "/proc/$pid/exe")" = /usr/local/bin/lagfs
umount "$M"
ok "  ... and it exits after the unmount" wait_for 10 gone "$pid"
umount /usr/local/bin
done_testing
