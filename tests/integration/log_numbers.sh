#!/usr/bin/env bash
# The event log names inodes and open files by lagfs's own small numbers,
# not by addresses: ino 1 is the root, other inodes 2, 3, ... for as long as
# the kernel knows them; fh 1, 2, ... in order of opening, shared by an
# open and its release, never given twice, not even across --remount.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root for umount"

# "ev ino fh path" of every open, create and release, in log order.
lifecycle() {
	python3 - "$1" <<'PY'
import json, sys
for line in open(sys.argv[1]):
    e = json.loads(line)
    if e["ev"] in ("open", "create", "release"):
        print(e["ev"], e["ino"], e["fh"], e["path"])
PY
}

lagfs_start fs --remount --rule 'read path=/held delay=1ms' || exit 1
M=$T/fs/mnt L=$T/fs/log
echo one >"$M/a"
cat "$M/a" >/dev/null
cat "$M/a" >/dev/null
echo two >"$M/b"
mkdir "$M/d"
echo three >"$M/d/c"
echo four >"$M/held"
cat "$M/held" >/dev/null
# FUSE sends RELEASE after the close returns, in the background: an unmount
# before it arrives would tear the connection down and lose it. Wait for
# the release of each of the 7 opens so far.
wait_for 10 eval '[ "$(count_events "$L" ev=release)" = 7 ]'
"$H/umount_probe" "$M" >/dev/null
wait_for 10 eval '[ "$(count_events "$L" ev=start)" = 2 ]'
cat "$M/a" >/dev/null
# An open never released: reported at exit with the same numbers.
exec 7<"$M/b"
kill -TERM "$LAGFS_PID"
wait "$LAGFS_PID"
exec 7<&-
lifecycle "$L" >"$T/ev"
sed 's/^/# /' "$T/ev"

check "every open and release pair up by fh, but the one held at exit" \
	"$([ "$("$H/logcheck" "$L" pairs)" = "9 opens, 1 without release" ]; echo $?)"
opens=$(awk '$1 != "release" { print $3 }' "$T/ev")
check "open and create handles are 1, 2, 3, ... in order ($(echo $opens))" \
	"$([ "$(echo $opens)" = "$(echo $(seq 1 "$(wc -w <<<"$opens")"))" ]; echo $?)"
ok "each release carries the ino of its open" \
	awk '$1 != "release" { ino[$3] = $2 } $1 == "release" && ino[$3] != $2 { bad = 1 } END { exit bad }' "$T/ev"
first_ino() { awk -v p="$1" '$4 == p { print $2; exit }' "$T/ev"; }
ino_a=$(first_ino /a) ino_b=$(first_ino /b) ino_c=$(first_ino /d/c)
check "in one mount, /a keeps one ino from its create to its last release ($ino_a)" \
	"$([ "$(awk '$4 == "/a" && !done { print $2 } /held/ { done = 1 }' "$T/ev" | sort -u | wc -l)" = 1 ]; echo $?)"
ok "inos are small numbers above the root's 1" \
	awk '$2 < 2 || $2 > 100 { bad = 1 } END { exit bad }' "$T/ev"
check "different files, different inos (a=$ino_a b=$ino_b c=$ino_c)" \
	"$([ "$ino_a" != "$ino_b" ] && [ "$ino_b" != "$ino_c" ]; echo $?)"
ok "a parked read names the same ino and fh as its open" \
	test "$(get_field "$L" ino ev=park path=/held) $(get_field "$L" fh ev=park path=/held)" = \
	     "$(get_field "$L" ino ev=open path=/held) $(get_field "$L" fh ev=open path=/held)"
last=$(awk '$4 == "/a" && $1 == "open" { f = $3 } END { print f }' "$T/ev")
ok "after a remount the handles go on from where they were ($last)" \
	test "$last" -gt "$(get_field "$L" fh ev=open path=/held)"
held=$(awk '$4 == "/b" && $1 == "open" { print $2, $3 }' "$T/ev")
check "the open left at exit is the last handle ($held)" \
	"$([ "${held#* }" = "$(awk '$1 != "release" { f = $3 } END { print f }' "$T/ev")" ]; echo $?)"
ok "its unreleased event has its ino and fh" test \
	"$(get_field "$L" ino ev=unreleased) $(get_field "$L" fh ev=unreleased)" = "$held"
ok "and so has the report on stderr" \
	grep -qF "open never released: /b (fh ${held#* }," "$T/fs/stderr"
done_testing
