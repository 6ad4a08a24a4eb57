#!/usr/bin/env bash
# Input far too large is refused at once with one short line, and changes
# nothing: a rules file of a million lines, of a million comments or with
# a 1 MiB line stops lagfs before it mounts (exit 2); the same files
# through a reload of a running lagfs leave its rules as they were; a
# 1 MiB line on the control channel is refused and the channel still
# answers.
. "$(dirname "$0")/../mount_ns.sh"
mounts_of_its_own "$0" "$@"
. "$(dirname "$0")/../lib.sh"
need_fuse

mkdir -p "$T/rules/back" "$T/rules/mnt"
yes 'read path=/x delay=1ms' | head -n 1000000 >"$T/million.rules"
{ printf 'read path=/'; head -c 1048576 /dev/zero | tr '\0' a; printf ' delay=1ms\n'; } \
	>"$T/longline.rules"
yes '# comment' | head -n 1000000 >"$T/comments.rules"

# refused_at_start DESC FILE: lagfs --rules FILE exits 2 within 5 s with
# one short line naming FILE, and mounts nothing.
refused_at_start() {
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
refused_at_start "a rules file of a million lines" "$T/million.rules"
refused_at_start "a rules file of a million comment lines" "$T/comments.rules"
refused_at_start "a rules file with a 1 MiB line" "$T/longline.rules"

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
lagfs_stop live
check "lagfs exits 0" "$LAGFS_STATUS"
nothing_left
done_testing
