#!/usr/bin/env bash
# When lagrace cannot run at all it says why, on one line: lagfs's own
# reason (libfuse's "failed to open /dev/fuse: Permission denied"), a hint
# where one is known (the mode of /dev/fuse and the command that fixes it;
# the fuse module; user namespaces disabled), and the verdict "could not
# run", not "no late release". Exit status 1, or 125 with --bisect. A lagfs
# that exits before mounting without a word is named with its status.
#
# As root the machine is left alone: the test runs in a mount namespace of
# its own, where /dev/fuse is replaced by a node of the mode it needs, and
# user namespaces are limited inside a user namespace of its own.
. "$(dirname "$0")/../mount_ns.sh"
own_mount_namespace "$0" "$@"
. "$(dirname "$0")/../lib.sh"

mkdir -p "$T/bin" "$T/u"
cp "$LAGRACE_BIN" "$LAGFS" "$T/bin/"
chmod -R a+rX "$T/bin"
printf '#!/bin/sh\nkill -SEGV $$\n' >"$T/bin/segv"
chmod 0755 "$T/bin/segv"
if [ "$(id -u)" -eq 0 ]; then
	chown nobody "$T/u"
	as_user() { setpriv --reuid=nobody --regid=nogroup --clear-groups -- "$@"; }
fi
# lr runs lagrace as the user (as_user), from the copy, in $T/u.
LR=$T/bin/lagrace LR_TMP=$T/u LR_SHOW_LINES=20
. "$TOP/tests/lagrace_runs.sh"
# An ordinary user's run says once that it cannot trace.
ERR_WANT="lagrace: not traced: needs root"
verdict() { grep '^verdict: ' "$T/$1.out"; }
# could_not_run NAME DESC STATUS PATTERN...: the run NAME exited STATUS,
# its verdict is "could not run" with every PATTERN (fixed strings), it
# ran nothing, said nothing on stderr but $ERR_WANT (run as an ordinary
# user, the one line that says it cannot trace: the kernel's trace is on
# where it can be) and left no temp dir.
could_not_run() {
	local name=$1 desc=$2 want=$3 p v miss=; shift 3
	v=$(verdict "$name")
	check "$desc: exit status $want (got $RC)" "$([ "$RC" -eq "$want" ]; echo $?)"
	check "$desc: the verdict is 'could not run'" \
		"$([[ $v == 'verdict: could not run: '* ]]; echo $?)"
	for p in "$@"; do grep -qF -- "$p" <<<"$v" || miss="$miss '$p'"; done
	check "$desc: the verdict says why:$(printf " '%s'" "$@")" "$([ -z "$miss" ]; echo $?)"
	[ -n "$miss" ] || [[ $v != 'verdict: could not run: '* ]] || [ "$RC" -ne "$want" ] &&
		{ echo "# missing:$miss"; show "$name"; }
	check "$desc: no 'no late release'" "$(! grep -q 'no late release' "$T/$name.out"; echo $?)"
	check "$desc: nothing on stderr${ERR_WANT:+ but '$ERR_WANT'}" \
		"$([ "$(cat "$T/$name.err")" = "$ERR_WANT" ]; echo $?)"
	check "$desc: no temp dir left" "$([ -z "$(ls -A "$T/u")" ]; echo $?)"
}

# A lagfs that exits or dies before it mounts.
lr true --iterations 3 --lagfs /bin/true
could_not_run true "--lagfs /bin/true" 1 \
	"lagfs (/bin/true) exited with status 0 before mounting, and said nothing"
lr false --iterations 3 --jobs 2 --lagfs /bin/false --bisect
could_not_run false "--lagfs /bin/false --jobs 2 --bisect" 125 \
	"lagfs (/bin/false) exited with status 1 before mounting"
lr segv --iterations 1 --lagfs "$T/bin/segv"
could_not_run segv "a lagfs killed by SIGSEGV" 1 "lagfs ($T/bin/segv) was killed by SIGSEGV before mounting"

if [ "$(id -u)" -ne 0 ]; then
	if as_user bash -c ': <>/dev/fuse' 2>/dev/null; then
		skip "/dev/fuse 0600: needs root to make one (this user can open /dev/fuse)"
	else
		lr real --iterations 3
		could_not_run real "this user cannot open /dev/fuse" 1 "/dev/fuse" "chmod 0666 /dev/fuse"
	fi
	done_testing
	exit
fi

# /dev/fuse 0600, lagrace as an ordinary user, in each way a user mounts.
dev_fuse_as 0600 || { check "a 0600 /dev/fuse in our mount namespace" 1; done_testing; exit; }
echo "# /dev/fuse here: $(stat -c '%a %U' /dev/fuse)"
lr ns --iterations 3
# What lagfs said (libfuse's "fuse: failed to open /dev/fuse: Permission
# denied") and the fix, whoever words it.
could_not_run ns "/dev/fuse 0600, in a user namespace" 1 \
	"/dev/fuse" "Permission denied" "chmod 0666 /dev/fuse"
ok "/dev/fuse 0600: the iteration line says it too" \
	grep -qE '^#0 +lane 0: error: .*/dev/fuse.*Permission denied.*chmod 0666 /dev/fuse' "$T/ns.out"
lr bisect --iterations 3 --bisect
could_not_run bisect "/dev/fuse 0600, --bisect" 125 "chmod 0666 /dev/fuse"
lr quiet --iterations 3 --quiet
could_not_run quiet "/dev/fuse 0600, --quiet" 1 "Permission denied" "chmod 0666 /dev/fuse"
check "--quiet: the reason is on one line, the verdict's" \
	"$([ "$(grep -c 'Permission denied' "$T/quiet.out")" = 1 ]; echo $?)"
if [ -u "$(command -v fusermount3)" ]; then
	lr fm --iterations 3 --fusermount
	could_not_run fm "/dev/fuse 0600, --fusermount" 1 \
		"/dev/fuse" "Permission denied" "chmod 0666 /dev/fuse"
else
	skip "--fusermount: fusermount3 is not installed setuid"
fi
umount /dev/fuse

# No FUSE at all: /dev/fuse missing and fuse not in /proc/filesystems (a
# machine without the module), as root: a /dev and a filesystem list of
# our own.
mkdir -p "$T/dev"
mount -t tmpfs -o mode=0755 nofuse "$T/dev" && mknod -m 0666 "$T/dev/null" c 1 3 &&
	grep -v fuse /proc/filesystems >"$T/filesystems" &&
	mount --bind "$T/dev" /dev && mount --bind "$T/filesystems" /proc/filesystems
check "a /dev without fuse and a fuse-less /proc/filesystems" $?
TMPDIR=$T/u timeout -k 5 60 "$LAGRACE_BIN" --iterations 2 >"$T/nomod.out" 2>"$T/nomod.err"
RC=$? ERR_WANT=
could_not_run nomod "no fuse module" 1 "modprobe fuse"
umount /proc/filesystems
umount /dev
umount "$T/dev"

# Unprivileged user namespaces disabled: inside a user namespace of our own
# (root and nobody mapped), user.max_user_namespaces is 0, and nobody's
# lagrace cannot make its own.
mkfifo "$T/go"
unshare --user bash -c 'read -r _ <"$1"; shift; exec bash -c "$1" _ "$2"' _ "$T/go" '
	echo 0 >/proc/sys/user/max_user_namespaces || exit 3
	exec setpriv --reuid=nobody --regid=nogroup --clear-groups -- \
		env TMPDIR="$1/u" "$1/bin/lagrace" --iterations 2 >"$1/userns.out" 2>"$1/userns.err"' "$T" &
ns=$!
in_new_userns() { [ "$(readlink "/proc/$ns/ns/user")" != "$(readlink /proc/self/ns/user)" ]; }
wait_for 10 in_new_userns
map="0 0 1
$(id -u nobody) $(id -u nobody) 1"
gmap="0 0 1
$(getent group nogroup | cut -d: -f3) $(getent group nogroup | cut -d: -f3) 1"
# One write each: a map is written once, whole.
printf '%s\n' "$map" | dd status=none of="/proc/$ns/uid_map" &&
	printf '%s\n' "$gmap" | dd status=none of="/proc/$ns/gid_map"
check "a user namespace with nobody mapped" $?
echo go >"$T/go"
wait "$ns"
RC=$? ERR_WANT="lagrace: not traced: needs root"
could_not_run userns "user namespaces disabled" 1 \
	"user.max_user_namespaces is 0" "sysctl -w user.max_user_namespaces=" "--fusermount"

done_testing
