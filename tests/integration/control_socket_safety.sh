#!/usr/bin/env bash
# --control PATH replaces only a stale socket (a socket file nobody listens
# on). A regular file, a directory, a symlink, a fifo or the live socket of
# a running lagfs at PATH is left exactly as it was: one line, exit 2,
# nothing mounted, in the foreground and in the background. At exit lagfs
# removes its own socket and nothing that has taken its place.
. "$(dirname "$0")/../lib.sh"

R=$T/r
mkdir -p "$R/back" "$R/mnt"

# untouched DESC PATH BEFORE: what is at PATH now is still BEFORE.
state() { stat -c '%F %i %s' "$1" 2>&1; [ -L "$1" ] && readlink "$1"; [ -f "$1" ] && cat "$1"; }
untouched() { check "$1: left as it was" "$([ "$(state "$2")" = "$3" ]; echo $?)"; }
mode_name() { if [ "$1" = -f ]; then echo foreground; else echo background; fi; }

echo precious >"$T/keep.txt"
mkdir "$T/adir"
echo target >"$T/target"
ln -s "$T/target" "$T/link"
ln -s "$T/nowhere" "$T/dangling"
mkfifo "$T/fifo"

for mode in -f ""; do
	name=$(mode_name "$mode")
	for p in keep.txt:"a regular file" adir:"a directory" \
		 link:"a symbolic link" dangling:"a symbolic link" fifo:"a fifo"; do
		f=$T/${p%%:*} kind=${p#*:}
		before=$(state "$f")
		refused "$name: --control at $kind ($(basename "$f"))" \
			"exists and is $kind, not a socket" \
			$mode --control "$f" "$R/back" "$R/mnt"
		untouched "$name: $(basename "$f")" "$f" "$before"
	done
done
ok "keep.txt still says 'precious'" test "$(cat "$T/keep.txt")" = precious

# A relative path names the file as the user wrote it.
cd "$T" || exit 1
refused "a relative path is named as given" \
	"control socket keep.txt: exists and is a regular file" \
	-f --control keep.txt "$R/back" "$R/mnt"
cd - >/dev/null || exit 1

# A stale socket (bound, then its owner went away) is replaced.
mkdir -p "$T/stale"
python3 -c 'import socket,sys; socket.socket(socket.AF_UNIX).bind(sys.argv[1])' \
	"$T/stale/sock"
ok "a stale socket is there to begin with" test -S "$T/stale/sock"
ok "lagfs starts over a stale socket" lagfs_start stale
ok "and answers on it" test "$(ctl stale ping)" = ok
stale_pid=$LAGFS_PID

# A live one is not: the running lagfs keeps its socket and mount.
for mode in -f ""; do
	refused "$(mode_name "$mode"): --control at a running lagfs's socket" \
		"in use: a running process listens on it" \
		$mode --control "$T/stale/sock" "$R/back" "$R/mnt"
done
ok "the running lagfs still answers on its socket" test "$(ctl stale ping)" = ok
ok "and is still mounted" is_mounted "$T/stale/mnt"

# At exit lagfs removes its socket, but not a file put in its place.
rm "$T/stale/sock"
echo "mine now" >"$T/stale/sock"
LAGFS_PID=$stale_pid lagfs_stop stale
check "lagfs exits 0" "$LAGFS_STATUS"
ok "the file put at the socket's path is still there" \
	test "$(cat "$T/stale/sock" 2>&1)" = "mine now"

lagfs_start clean || exit 1
ok "a running lagfs has its socket" test -S "$T/clean/sock"
lagfs_stop clean
ok "and removes it at exit" test ! -e "$T/clean/sock"
done_testing
