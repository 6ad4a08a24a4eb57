#!/usr/bin/env bash
# File names with every kind of byte a name may hold: a newline, quotes,
# backslashes, control bytes, an escape sequence, invalid UTF-8 (bad bytes,
# an overlong form, a surrogate, a cut sequence), valid UTF-8, blanks, a
# leading dash, 255 bytes. lagfs creates each under the same bytes in the
# backing dir, lists each in readdir, and logs each exactly: its create,
# flush, open and release events carry the name byte for byte, invalid
# UTF-8 in path_hex. A 256-byte name is refused and creates nothing.
. "$(dirname "$0")/../mount_ns.sh"
mounts_of_its_own "$0" "$@"
. "$(dirname "$0")/../lib.sh"
need_fuse

# shown NAME: the name printable in a TAP line (bash's $'...' quoting)
shown() { printf '%q' "$1"; }

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
	create_and_open "name $(shown "$n" | cut -c1-60) ($(printf %s "$n" | wc -c) bytes)" \
		"$L" "$M" "" "$n"
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
ok "every line of the log parses" "$H/logcheck" "$L" valid
ok "every open and create has its release" quiet "$H/logcheck" "$L" pairs
lagfs_stop names
check "lagfs exits 0" "$LAGFS_STATUS"
nothing_left
done_testing
