#!/usr/bin/env bash
# lagrace --explain as text for a mail and as a story that follows the
# events: lines of at most 80 columns, step times (ms from the kill) that
# never go back, no temporary path or pointer, a header with the kernel
# release, HZ and the command line; `lagrace explain --json F --iteration N`
# tells the live run's story again, word for word; the sync engine's story
# has no io_uring fallback or delayed_fput, exit-punt's says the file was
# closed before the kill; and --svg draws the same holders as --explain
# tells, in the same order, from the same times.
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root (lagrace's lanes then use plain mount namespaces)"

LR_TIMEOUT=120
. "$TOP/tests/lagrace_runs.sh"
# steps FILE: the time of each step line, in order.
steps() { sed -nE 's/^ *\+?(-?[0-9]+\.[0-9]{3}) ms .*/\1/p' "$1"; }
monotonic() { steps "$1" | awk 'NR > 1 && $1 < prev { exit 1 } { prev = $1 }'; }
# joined FILE: continuation lines (indented) joined to the line above.
joined() { awk '/^      / && NR > 1 { sub(/^ +/, " "); printf "%s", $0; next } NR > 1 { print "" } { printf "%s", $0 } END { print "" }' "$1"; }
# holders FILE: the holders the narration names, "a|b|".
holders() { joined "$1" | grep -o 'now held by [^:(]*' | sed 's/^now held by //; s/ *$//' | tr '\n' '|'; }
# svg_holders FILE: the holders of the SVG's legend, "a|b|".
svg_holders() { grep -o 'class="lg holder"><tspan[^>]*>[^<]*' "$1" | sed 's/.*>//' | sed "s/&#39;/'/g" | tr '\n' '|'; }
# svg_times FILE: when each holder begins, in the SVG's legend.
svg_times() { grep -o 'class="lg holder"><tspan[^>]*>[^<]*</tspan> from [+-][0-9.]*' "$1" | sed 's/.* from //' | tr '\n' ' '; }
# told_times FILE: when each holder begins, in the narration.
told_times() {
	joined "$1" | awk '/^ *[+-][0-9]+\.[0-9][0-9][0-9] ms / { t = $1 }
		/now held by/ { printf "%s ", t }'
}

form() {	# form NAME: the mail-ready checks on $T/NAME.out
	local n=$1 long
	long=$(awk 'length > 80' "$T/$n.out" | head -n 3)
	check "$n: no line longer than 80 columns" "$([ -z "$long" ]; echo $?)"
	[ -z "$long" ] || echo "$long" | sed 's/^/# too long: /'
	ok "$n: step times never go back" monotonic "$T/$n.out"
	ok "$n: no temporary path" bash -c '! grep -q "/tmp" "$1"' - "$T/$n.out"
	ok "$n: no pointer value" bash -c '! grep -qE "0x[0-9a-f]{6,}" "$1"' - "$T/$n.out"
	ok "$n: the header names the kernel release" grep -q "^kernel $(uname -r), HZ " "$T/$n.out"
	ok "$n: the header gives HZ (a number, or why not)" \
		grep -qE "^kernel .*, HZ ([0-9]+ \(|unknown \()" "$T/$n.out"
	ok "$n: the header has the command line" grep -q '^command: lagrace --explain' "$T/$n.out"
	ok "$n: times are ms from the SIGKILL (it is at 0)" \
		grep -qE '^ +\+0\.000 ms  lagrace  SIGKILL to the child' "$T/$n.out"
}

lr dio --explain --json "$T/dio.json"
check "async-dio: --explain exits 0" "$([ "$RC" -eq 0 ]; echo $?)"
[ "$RC" -eq 0 ] || show dio
form dio
"$LR" explain --json "$T/dio.json" --iteration 0 >"$T/replay.out" 2>"$T/replay.err"
check "explain --json: exit 0" "$?"
n=$(wc -l <"$T/replay.out")
ok "explain --json: the live run's header, story and line, word for word ($n lines)" \
	cmp -s "$T/replay.out" <(head -n "$n" "$T/dio.out")
[ "$n" -gt 15 ] || echo "# only $n lines: $(cat "$T/replay.err")"
form replay

# An iteration of a longer run, told later.
lr five --iterations 5 --json "$T/five.json" --quiet
"$LR" explain --json "$T/five.json" --iteration 3 >"$T/five3.out" 2>&1
check "explain --json --iteration 3 of 5: exit 0" "$?"
ok "explain --iteration 3: it is iteration #3" grep -q ', iteration #3$' "$T/five3.out"
ok "explain --iteration 3: its line is #3" grep -q '^#3 ' "$T/five3.out"
ok "explain --iteration 3: step times never go back" monotonic "$T/five3.out"
"$LR" explain --json "$T/five.json" --iteration 9 >"$T/nine.out" 2>&1
check "explain --iteration 9 of 5: exit 1, naming it" \
	"$([ $? -eq 1 ] && grep -q 'no iteration #9' "$T/nine.out"; echo $?)"

# The sync engine: the kill does not interrupt the read; the child's exit
# releases the file before the reap.
lr sync --explain --engine sync
form sync
ok "sync: no io_uring fallback in the story" bash -c '! grep -qi fallback "$1"' - "$T/sync.out"
ok "sync: no delayed_fput in the story" bash -c '! grep -q delayed_fput "$1"' - "$T/sync.out"
ok "sync: the child's own exit lets the file go" \
	test "$(holders "$T/sync.out")" = "the child|the dying child|the child's own exit|nobody|"

# exit-punt: the child closes its file before the kill.
lr punt --explain --scenario exit-punt --svg "$T/punt.svg"
form punt
flush=$(sed -nE 's/^ *([+-][0-9.]+) ms  lagfs    FLUSH of .* by the child: it closed its/\1/p' "$T/punt.out")
ok "exit-punt: the child's FLUSH (its close) came before the kill ($flush ms)" \
	awk -v t="${flush:-x}" 'BEGIN { exit !(t ~ /^-/) }'
joined "$T/punt.out" >"$T/punt.joined"   # a step with its holder: one line
ok "exit-punt: from its close on, the IO in flight holds the file" \
	grep -q 'FLUSH of .* by the child: it closed .*-> now held by the IO in flight' "$T/punt.joined"
ok "exit-punt: the kill does not hand the file back to the child" \
	bash -c '! grep "SIGKILL to the child" "$1" | grep -q "now held by"' - "$T/punt.joined"

# --svg and --explain agree.
told=$(holders "$T/punt.out")
drawn=$(svg_holders "$T/punt.svg")
check "exit-punt: the SVG draws the holders the story tells ($drawn)" \
	"$([ -n "$told" ] && [ "$told" = "$drawn" ]; echo $?)"
[ "$told" = "$drawn" ] || echo "# told: $told"
check "exit-punt: from the same times ($(svg_times "$T/punt.svg"))" \
	"$([ "$(told_times "$T/punt.out")" = "$(svg_times "$T/punt.svg")" ]; echo $?)"
ok "exit-punt: the SVG does not say the child held the file until the kill" \
	bash -c '! grep -q "until the kill" "$1"' - "$T/punt.svg"
lr diosvg --explain --svg "$T/dio.svg"
ok "async-dio: the SVG names no io_uring fallback" bash -c '! grep -qi fallback "$1"' - "$T/dio.svg"
check "async-dio: the SVG draws the holders the story tells" \
	"$([ "$(holders "$T/diosvg.out")" = "$(svg_holders "$T/dio.svg")" ]; echo $?)"

# "nobody" from the moment the mount was seen free, not later.
for n in dio punt; do
	nobody=$(told_times "$T/$n.out" | awk '{ print $NF }')
	free=$(sed -nE 's/^ *([+-][0-9.]+) ms  lagrace  MNT_EXPIRE probe: the mount is free.*/\1/p' "$T/$n.out" | head -n 1)
	ok "$n: 'held by nobody' ($nobody) is not after the probe found the mount free ($free)" \
		awk -v a="${nobody#+}" -v b="${free#+}" 'BEGIN { exit !(a != "" && b != "" && a + 0 <= b + 0.005) }'
done

# --explain says what it overrides.
lr over --explain --iterations 5 --jobs 2
ok "--explain --iterations 5 --jobs 2: says both are ignored" \
	grep -q '^lagrace: --explain tells one iteration in one lane: --iterations and --jobs ignored$' "$T/over.err"
ok "  ... and runs one iteration" grep -q '^late release 1/1, EBUSY 1/1' "$T/over.out"
done_testing
