#!/usr/bin/env bash
# Hostile input: file names no one would choose, paths as deep as the kernel
# allows, ".." and symlinks that try to leave the backing directory, an
# event log on a full filesystem, and rules files far too large. lagfs must
# log every name exactly, never resolve a name outside BACKING_DIR, keep
# serving when its log cannot be written (and say what it dropped), and
# refuse oversized rules with one clear line.
#
# As root it runs in a mount namespace of its own: a mount namespace that
# another program creates while our lagfs is mounted (lagrace's lanes, a
# benchmark's unshare) would copy our mounts and keep each FUSE connection
# alive after our unmount, so lagfs would not exit. Nothing mounted here is
# visible outside, and everything goes when the namespace does; the test
# checks itself that it leaves no mount and no lagfs behind.
# An ordinary user runs it as root of a user and mount namespace of its
# own, where it may mount tmpfs and FUSE just the same.
if [ "$(id -u)" -eq 0 ] && [ -z "${HOSTILE_INPUT_NS:-}" ] &&
   command -v unshare >/dev/null; then
	HOSTILE_INPUT_NS=1 exec unshare --mount --propagation private "$0" "$@"
fi
. "$(dirname "$0")/../mount_ns.sh"
namespace_root "$0" "$@"
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root or a user namespace, to mount a small tmpfs (unprivileged user namespaces are disabled)"
need_fuse
# lagfs keeps a descriptor per inode and does not raise its own limit;
# part 3 makes 1500 files, more than a login's usual soft limit of 1024.
ulimit -n "$(ulimit -Hn)"

# The tmpfs of the full-log case sits under $T: stop what writes to it,
# unmount it, then let lib.sh's _cleanup unmount and remove the rest.
cleanup_small() {
	local m p
	for m in "${_mnts[@]}"; do
		is_mounted "$m" && { umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; }
	done
	for p in "${_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${_pids[@]}"; do wait "$p" 2>/dev/null; done
	is_mounted "$T/small" && umount -l "$T/small"
	_cleanup
}
trap cleanup_small EXIT

hex() { od -An -v -tx1 | tr -d ' \n'; }

# exited PID: PID is gone or a zombie waiting for us to reap it.
exited() {
	local st
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null) || return 0
	[ "${st%% *}" = Z ]
}
# stop_lagfs MNT: unmount, and wait (at most 20 s) for LAGFS_PID to exit;
# its status in LAGFS_STATUS. A mount namespace created meanwhile by some
# other program keeps the FUSE connection alive after our unmount: then
# say who holds it instead of hanging.
stop_lagfs() {
	umount "$1" 2>/dev/null || umount -l "$1"
	if ! wait_for 20 exited "$LAGFS_PID"; then
		echo "# lagfs $LAGFS_PID still runs 20 s after the unmount of $1; held by:"
		grep -lF " $1 " /proc/[0-9]*/mountinfo 2>/dev/null | head -3 |
			while read -r f; do p=${f#/proc/}; p=${p%%/*}
				echo "#   $p $(tr '\0' ' ' 2>/dev/null <"/proc/$p/cmdline" | cut -c1-100)"; done
		kill -9 "$LAGFS_PID"
	fi
	wait "$LAGFS_PID"
	LAGFS_STATUS=$?
}
# shown NAME: the name printable in a TAP line (bash's $'...' quoting)
shown() { printf '%q' "$1"; }

# open_as w|r PATH: open PATH for writing (O_CREAT|O_TRUNC: a FUSE create
# when it is new) or reading, in a process of its own, and print that
# process's pid: the pid lagfs logs for the create or open and the flush.
open_as() {
	bash -c 'echo $$; if [ "$1" = w ]; then exec 3>"$2"; else exec 3<"$2"; fi' \
		_ "$1" "$2"
}

# logged_path_is LOG EXPECTED FILTER...: the path of the first event that
# matches is EXPECTED, byte for byte (compared as hex: a newline survives).
logged_path_is() {
	local log=$1 want=$2 got; shift 2
	got=$(get_field "$log" path "$@" | hex)
	want=$(printf '%s\n' "$want" | hex)
	[ "$got" = "$want" ] && return 0
	echo "# logged path for $*: $((${#got} / 2 - 1)) bytes, hex ${got:0:48}...${got: -16}"
	echo "# expected: $((${#want} / 2 - 1)) bytes, hex ${want:0:48}...${want: -16}"
	return 1
}

# create_and_open LOG DIR NAME DESC: create DIR/NAME (DIR in a lagfs mount,
# NAME one component) and open it again, each in a process of its own;
# then check that the create, flush, open and release events carry the
# path "/NAME" exactly.
create_and_open() {
	local log=$1 dir=$2 name=$3 desc=$4 wpid rpid fh p=/$3

	wpid=$(cd "$dir" && open_as w "./$name") &&
		rpid=$(cd "$dir" && open_as r "./$name")
	if [ $? -ne 0 ] || [ -z "$wpid" ] || [ -z "$rpid" ]; then
		check "$desc: create and open through lagfs" 1
		return
	fi
	check "$desc: create and open through lagfs" 0
	ok "$desc: the create event has the exact path" \
		logged_path_is "$log" "$p" ev=create pid="$wpid"
	ok "$desc: the flush event has the exact path" \
		logged_path_is "$log" "$p" ev=flush pid="$wpid"
	ok "$desc: the open event has the exact path" \
		logged_path_is "$log" "$p" ev=open pid="$rpid"
	fh=$(get_field "$log" fh ev=open pid="$rpid")
	# A release carries no pid; its fh may be reused later, so the
	# filter names the path too (compared byte for byte by logcheck).
	ok "$desc: the release of that open has the exact path" \
		wait_for 5 has_event "$log" ev=release fh="$fh" path="$p"
}

# ---------------------------------------------------------------------------
# 1. Names with every kind of byte a name may hold.
lagfs_start names || exit 1
M=$T/names/mnt B=$T/names/back L=$T/names/log
long255=$(printf 'n%.0s' $(seq 255))
ff255=$(printf '\xff%.0s' $(seq 255))
names=(
	$'new\nline'
	'double"quote'
	$'back\\slash'
	$'ctrl\x01a'
	$'esc\x1b[31mred'
	$'tab\tcr\rdel\x7f'
	$'bad\xff\xfeutf8'
	$'overlong\xc0\xafslash'
	$'surrogate\xed\xa0\x80'
	$'cut\xe2\x82'
	'valid-ütf8-€-😀'
	'  spaces  '
	'-dash'
	"$long255"
	"$ff255"
)
for n in "${names[@]}"; do
	create_and_open "$L" "$M" "$n" "name $(shown "$n" | cut -c1-60) ($(printf %s "$n" | wc -c) bytes)"
	ok "  ... and it is in the backing dir under the same bytes" test -f "$B/$n"
done
n_before=$(ls -A "$B" | wc -l)
x256=$(printf 'x%.0s' $(seq 256))
bash -c ': >"$1"' _ "$M/$x256" 2>"$T/names/256.err"
rc=$?
check "a 256-byte name is refused: $(sed 's/.*: //' "$T/names/256.err")" \
	"$([ $rc -ne 0 ] && grep -q 'File name too long' "$T/names/256.err"; echo $?)"
ok "  ... and nothing is created" test "$(ls -A "$B" | wc -l)" = "$n_before"
ok "readdir through lagfs lists every name byte for byte" \
	test "$(cd "$M" && find . -mindepth 1 -maxdepth 1 -print0 | sort -z | hex)" = \
	     "$(cd "$B" && find . -mindepth 1 -maxdepth 1 -print0 | sort -z | hex)"
ok "an invalid UTF-8 name is logged with its exact bytes in path_hex" \
	grep -q "\"path_hex\":\"$(printf '/bad\xff\xfeutf8' | hex)\"" "$L"
ok "  ... and the valid UTF-8 one without (it is exact in path)" \
	bash -c '! grep -F "$1" "$2" | grep -q path_hex' _ '"path":"/valid-ütf8-€-😀"' "$L"

# Deep paths, reached one component at a time. The event path is the path
# below the mount; lagfs finds it from its backing descriptor, whose
# absolute path is longer by the length of BACKING_DIR.
# deep_dir ROOT LEN: make directories under ROOT until the path below ROOT
# is LEN bytes ("/ddd.../ddd"); print that path.
deep_dir() {
	local root=$1 len=$2 rel='' c
	c=$(printf 'd%.0s' $(seq 200))
	while [ $(( ${#rel} + 201 )) -le "$len" ]; do rel=$rel/$c; done
	[ $(( len - ${#rel} )) -ge 2 ] && rel=$rel/$(printf 'e%.0s' $(seq $(( len - ${#rel} - 1 ))))
	( cd "$root" && for c in ${rel//\// }; do
		{ [ -d "$c" ] || mkdir "$c"; } && cd "$c" || exit 1
	done ) || return 1
	printf '%s\n' "$rel"
}
# in_dir ROOT REL CMD...: run CMD in ROOT/REL, reached a component at a time
in_dir() {
	local root=$1 rel=$2; shift 2
	( cd "$root" && for c in ${rel//\// }; do cd "$c" || exit 1; done && "$@" )
}
# create_deep DESC LEN: a file whose path below the mount is LEN bytes;
# the log carries at most 4096 bytes of it (README: then "path_cut").
create_deep() {
	local desc=$1 len=$2 rel want wpid rpid fh
	rel=$(deep_dir "$M" $(( len - 2 ))) || { check "$desc: mkdir the chain" 1; return; }
	want=$rel/f
	want=${want:0:4096}
	wpid=$(in_dir "$M" "$rel" open_as w f) && rpid=$(in_dir "$M" "$rel" open_as r f)
	check "$desc: create and open through lagfs" $?
	ok "$desc: the create event has the exact path" \
		logged_path_is "$L" "$want" ev=create pid="$wpid"
	ok "$desc: the open event has the exact path" \
		logged_path_is "$L" "$want" ev=open pid="$rpid"
	fh=$(get_field "$L" fh ev=open pid="$rpid")
	ok "$desc: the release event has the exact path" \
		wait_for 5 has_event "$L" ev=release fh="$fh" path="$want"
	DEEP_W=$wpid
}
b=${#B}
create_deep "path of $((4095 - b - 8)) bytes (backing path just under PATH_MAX)" $((4095 - b - 8))
# readlink(/proc/self/fd/N) cannot name these (BACKING_DIR plus the path
# reaches PATH_MAX): lagfs walks up the backing tree instead (deep_path.c).
create_deep "path of 4090 bytes (backing path over PATH_MAX)" 4090
create_deep "path of 4300 bytes, logged cut with path_cut" 4300
ok "every line of the log parses" "$H/logcheck" "$L" valid
ok "every open and create has its release" quiet "$H/logcheck" "$L" pairs
stop_lagfs "$T/names/mnt"
check "lagfs exits 0" "$LAGFS_STATUS"

# ---------------------------------------------------------------------------
# 2. ".." and symlinks. The backing dir and the mountpoint have different
# parents, so "where did that resolve" is observable:
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
stop_lagfs "$M"
check "lagfs exits 0" "$LAGFS_STATUS"

# ---------------------------------------------------------------------------
# 3. The event log on a full filesystem. 64 KiB of tmpfs, a 24 KiB filler
# (removed before the unmount, so the exit event has room), a few thousand
# events: requests must not wait for the log, and the drops must be told.
mkdir -p "$T/small" "$T/full"
mount -t tmpfs -o size=64k,mode=0755 tmpfs "$T/small"
head -c 24576 /dev/zero >"$T/small/filler"
ln -s "$T/small/log" "$T/full/log"	# lagfs_start logs to $T/full/log
lagfs_start full || exit 1
M=$T/full/mnt
start=${EPOCHREALTIME/./}
timeout 60 bash -c 'for i in $(seq 1500); do : >"$1/f$i"; done &&
	for i in $(seq 1500); do : <"$1/f$i"; done' _ "$M"
rc=$?
ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
check "1500 creates and 1500 opens (~9000 events) on a full log finish (${ms} ms, status $rc)" "$rc"
ok "the log's filesystem is full" test "$(df --output=avail -k "$T/small" | tail -1 | tr -d ' ')" -eq 0
stats=$(ctl full stats)
dropped=$(sed -n 's/.*"events_dropped":\([0-9]*\).*/\1/p' <<<"$stats")
echo "# stats: $stats"
check "stats counts the dropped events (events_dropped=${dropped:-none})" \
	"$([ "${dropped:-0}" -gt 0 ]; echo $?)"
ok "the log holds only whole events (every line parses)" "$H/logcheck" "$T/small/log" valid
echo "# the log ends in: $(tail -c 120 "$T/small/log" | tail -n 1)"
rm -f "$T/small/filler"
stop_lagfs "$M"
check "lagfs exits 0 after the unmount (status $LAGFS_STATUS)" "$LAGFS_STATUS"
# (the torn line above, if any, runs into the first line written after it:
# take the exit event from its own '{')
grep -a '"ev":"exit"' "$T/small/log" | tail -n 1 | sed 's/.*{"t_ns"/{"t_ns"/' >"$T/exitline"
ok "the exit event is written once there is room again" "$H/logcheck" "$T/exitline" valid
detail=$(get_field "$T/exitline" detail ev=exit)
echo "# exit detail: $detail"
echo "# stderr: $(tr '\n' ' ' <"$T/full/stderr")"
ok "lagfs reports the dropped events at exit (exit event's detail or stderr)" \
	bash -c 'grep -qiE "drop[a-z]*[=: ]+[1-9]" <<<"$1" ||
		grep -qiE "drop[a-z]*[=: ]+[1-9]|[1-9][0-9]* (events? )?dropped" "$2"' \
	_ "$detail" "$T/full/stderr"

# ---------------------------------------------------------------------------
# 4. Rules files far too large: refused at once, one line, exit 2, no mount.
mkdir -p "$T/rules/back" "$T/rules/mnt"
yes 'read path=/x delay=1ms' | head -n 1000000 >"$T/million.rules"
{ printf 'read path=/'; head -c 1048576 /dev/zero | tr '\0' a; printf ' delay=1ms\n'; } \
	>"$T/longline.rules"
yes '# comment' | head -n 1000000 >"$T/comments.rules"
refused() {	# refused DESC FILE
	local desc=$1 f=$2 st start ms
	start=${EPOCHREALTIME/./}
	timeout 30 "$LAGFS" -f --rules "$f" "$T/rules/back" "$T/rules/mnt" \
		>"$T/rules/out" 2>"$T/rules/err"
	st=$?
	ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
	check "$desc: exit status 2 (got $st)" "$([ $st = 2 ]; echo $?)"
	check "$desc: refused within 5 s (${ms} ms)" "$([ $ms -lt 5000 ]; echo $?)"
	check "$desc: one short line naming the file: $(head -c 200 "$T/rules/err")" \
		"$([ "$(wc -l <"$T/rules/err")" = 1 ] && [ "$(wc -c <"$T/rules/err")" -lt 300 ] &&
		   grep -q "^lagfs: .*${f##*/}" "$T/rules/err"; echo $?)"
	ok "$desc: nothing mounted" bash -c '! grep -qF " $1 " /proc/self/mountinfo' _ "$T/rules/mnt"
}
refused "a rules file of a million lines" "$T/million.rules"
refused "a rules file of a million comment lines" "$T/comments.rules"
refused "a rules file with a 1 MiB line" "$T/longline.rules"

# The same files through a reload of a running lagfs: refused, old rules kept.
echo 'read delay=1ms' >"$T/live.rules"
lagfs_start live --rules "$T/live.rules" || exit 1
before=$(ctl live rules)
for f in million longline; do
	cp "$T/$f.rules" "$T/live.rules"
	start=${EPOCHREALTIME/./}
	ans=$(ctl live reload)
	ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
	check "reload of the $f file: refused at once with one short error (${ms} ms): $(head -c 150 <<<"$ans")" \
		"$([[ $ans == error:* ]] && [ ${#ans} -lt 300 ] && [ $ms -lt 5000 ]; echo $?)"
	ok "  ... and the old rules are kept" test "$(ctl live rules)" = "$before"
done
# (socat gives up on EPIPE before it reads the answer: python writes what
# lagfs takes, then reads)
if command -v python3 >/dev/null; then
	ans=$(timeout 10 python3 -c '
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.connect(sys.argv[1])
try:
    for _ in range(16):
        s.sendall(b"a" * 65536)
except OSError:
    pass
s.settimeout(5)
print(s.recv(200).decode(errors="replace").strip())' "$T/live/sock" 2>&1)
	check "a 1 MiB control line is refused: ${ans:-no answer}" "$([ "$ans" = "error: line too long" ]; echo $?)"
else
	skip "python3 is needed to send a 1 MiB control line"
fi
ok "  ... and the control channel still answers" test "$(ctl live ping)" = ok
stop_lagfs "$T/live/mnt"
check "lagfs exits 0" "$LAGFS_STATUS"
left=$(grep -E ' - fuse(\.[^ ]+)? ' /proc/self/mountinfo | grep -F "$T/")
check "no FUSE mount left" "$([ -z "$left" ]; echo $?)"
left=$(pgrep -f "$T/")
check "no lagfs left" "$([ -z "$left" ]; echo $?)"
done_testing
