#!/usr/bin/env bash
# The unit tests' harness (tests/harness.h), on tests/helpers/harness_demo:
# a failed check prints file:line, the test, both expressions and both
# values (integers compared by value: -1 is not greater than 3u); each test
# runs in a process of its own, so a crash, a hang (until its timeout) or a
# failed ASSERT ends that test only, and a fixture's teardown still runs;
# -l lists the tests and -t NAME runs the ones NAME names; a bad command
# line is one line and exit 2; tests/run counts the TAP it prints. And
# every unit test program lists its tests and runs one alone.
. "$(dirname "$0")/../lib.sh"

D=$H/harness_demo
src=tests/helpers/harness_demo.c
# line_of TEXT: the line of harness_demo.c that has TEXT
line_of() { grep -nF -- "$1" "$TOP/$src" | head -n 1 | cut -d: -f1; }
# has LINE: the demo's whole run printed exactly LINE
has() { grep -qxF -- "$1" "$T/out"; }
# says DESC LINE: has LINE, and show what it printed when not
says() {
	if has "$2"; then check "$1" 0
	else check "$1" 1; echo "# wanted: $2"; sed 's/^/#   /' "$T/out"; fi
}

start=${EPOCHREALTIME/./}
"$D" >"$T/out" 2>"$T/err"
rc=$?
ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
check "a run with failed tests exits 1 (got $rc)" "$([ $rc = 1 ]; echo $?)"
check "all on stdout, nothing on stderr" "$([ ! -s "$T/err" ]; echo $?)"
"$D" -l >"$T/list"
check "-l lists the 9 tests, fixture and variant in their names" \
	"$(printf '%s\n' global.passes global.numbers global.strings \
		global.assert_ends_the_test global.crashes global.hangs \
		global.skips box.small.is_small box.large.is_small |
	   cmp -s - "$T/list"; echo $?)"
check "TAP version 13, then the plan 1..9" \
	"$([ "$(head -n 2 "$T/out" | tr '\n' ,)" = "TAP version 13,1..9," ]; echo $?)"

says "a passing test is one ok line" "ok 1 global.passes"
says "a failed EXPECT_EQ prints file:line, the test, both expressions and values" \
	"# $src:$(line_of 'EXPECT_EQ(42, got)'):numbers:Expected 42 (42) == got (41)"
says "  ... and checks go on: -1 > 3u fails (compared by value, not as C converts)" \
	"# $src:$(line_of 'EXPECT_GT(-1, n)'):numbers:Expected -1 (-1) > n (3)"
says "  ... with the TH_LOG after the check, as it failed" \
	"# $src:$(line_of 'EXPECT_GT(-1, n)'):numbers:-1 is less than 3u"
says "  ... doubles print as doubles" \
	"# $src:$(line_of 'EXPECT_EQ(0.25, ratio)'):numbers:Expected 0.25 (0.25) == ratio (0.5)"
says "  ... and the test is not ok" "not ok 2 global.numbers"
says "EXPECT_STREQ prints both strings, escaped, and where they differ" \
	"# $src:$(line_of 'EXPECT_STREQ('):strings:Expected \"lagfs: bad rule\" (\"lagfs: bad rule\", 15 bytes) == got (\"lagfs: bad\\nrule\", 15 bytes), first difference at byte 10"
says "EXPECT_IN prints the haystack and the needle" \
	"# $src:$(line_of 'EXPECT_IN('):strings:Expected got (\"lagfs: bad\\nrule\") to contain \"rules file\" (\"rules file\")"
says "a failed ASSERT prints its values and its TH_LOG" \
	"# $src:$(line_of 'ASSERT_EQ(1, 2)'):assert_ends_the_test:the assert failed"
check "  ... and ends the test" "$(! grep -q 'after the assert' "$T/out"; echo $?)"
says "  ... which is not ok" "not ok 4 global.assert_ends_the_test"
says "a test that crashes is named with its signal" \
	"# global.crashes: killed by signal 6 (Aborted)"
says "  ... and is not ok" "not ok 5 global.crashes"
says "a test that hangs is killed after its timeout" \
	"# global.hangs: timed out after 1 s"
says "  ... and is not ok" "not ok 6 global.hangs"
check "  ... and the run still ends at once (${ms} ms)" "$([ "$ms" -lt 10000 ]; echo $?)"
says "SKIP gives its reason on the ok line" "ok 7 global.skips # SKIP nothing to do here"
check "  ... and leaves the test" "$(! grep -q 'after the skip' "$T/out"; echo $?)"
says "each variant of a fixture is a test: the small box passes" "ok 8 box.small.is_small"
says "  ... the large one fails its ASSERT" "not ok 9 box.large.is_small"
says "  ... and its teardown still runs" \
	"# $src:$(line_of 'teardown of a box'):is_small:teardown of a box of 100"
says "the totals at the end" "# Totals: pass:2 fail:6 skip:1"

out=$("$D" -t passes 2>&1); rc=$?
check "-t NAME runs that test alone, exit 0" \
	"$([ $rc = 0 ] && [ "$(grep -E '^(not )?ok|^1\.\.' <<<"$out" | tr '\n' ,)" = "1..1,ok 1 global.passes," ]; echo $?)"
out=$("$D" -t box.large -t skips 2>&1)
check "-t fixture.variant and -t again: those tests, in order" \
	"$([ "$(grep -E '^(not )?ok' <<<"$out" | tr '\n' ,)" = "ok 1 global.skips # SKIP nothing to do here,not ok 2 box.large.is_small," ]; echo $?)"
check "-t of a test of a fixture runs it for every variant" \
	"$([ "$("$D" -t is_small | grep -c '^\(not \)\?ok')" = 2 ]; echo $?)"
for args in "-t nope" "-x" "-t" "extra"; do
	# shellcheck disable=SC2086 # the words are the arguments
	"$D" $args >"$T/usage.out" 2>"$T/usage.err"; rc=$?
	check "'harness_demo $args': exit 2, one line on stderr: $(head -c 120 "$T/usage.err")" \
		"$([ $rc = 2 ] && [ "$(wc -l <"$T/usage.err")" = 1 ] && [ ! -s "$T/usage.out" ]; echo $?)"
done

# (As root in a mount namespace of its own: tests/run also counts the FUSE
# mounts, and others' tests may mount meanwhile.)
in_ns=()
[ "$(id -u)" -eq 0 ] && in_ns=(unshare --mount --propagation private --)
"${in_ns[@]}" "$TOP/tests/run" "$D" >"$T/run" 2>&1
if [ "$(tail -n 1 "$T/run")" = "2 passed, 6 failed, 1 skipped" ]; then
	check "tests/run counts the tests, not the checks: 2 passed, 6 failed, 1 skipped" 0
else
	check "tests/run counts the tests, not the checks: 2 passed, 6 failed, 1 skipped" 1
	grep -v '^    ' "$T/run" | sed 's/^/# /'
fi
has_run() { grep -qxF -- "$1" "$T/run"; }
check "  ... and shows the failed test's output" \
	"$(has_run "    # global.crashes: killed by signal 6 (Aborted)"; echo $?)"

for t in "$BUILD"/tests/test_*; do
	name=${t##*/}
	first=$("$t" -l | head -n 1)
	out=$("$t" -t "$first" 2>&1); rc=$?
	check "$name -t $first: that one test, and it passes" \
		"$([ $rc = 0 ] && [ "$(grep -E '^(not )?ok' <<<"$out")" = "ok 1 $first" ]; echo $?)"
done
done_testing
