#!/usr/bin/env bash
# lagrace --tap read by prove (Perl's TAP harness): prove fails exactly when
# lagrace's exit status says the run failed. A passing run passes; a run
# stopped by SIGINT after its 3rd result (synchronised on the output) fails,
# and so does one whose lane stops on an error and one whose --expect is
# not met. The plan is the number of iterations asked for, up front after
# "TAP version 13", every line is TAP, and a run leaves nothing behind;
# --explain's narration stays out of the TAP stream. As root or as an
# ordinary user (lagrace's lanes then run in user namespaces).
. "$(dirname "$0")/../lib.sh"
need_fuse
command -v prove >/dev/null || skip_all "prove is not installed (Debian: perl)"

LR_TIMEOUT=120 LR_SHOW_LINES=30
. "$TOP/tests/lagrace_runs.sh"

# lr NAME --tap ARGS... (tests/lagrace_runs.sh): the TAP in $T/NAME.out.

# prove_rc NAME: prove's exit status on NAME's TAP.
prove_rc() { prove -e cat "$T/$1.out" >"$T/$1.prove" 2>&1; echo $?; }
# agree NAME DESC: lagrace's status and prove's verdict agree.
agree() {
	local p
	p=$(prove_rc "$1")
	if { [ "$RC" -eq 0 ] && [ "$p" -eq 0 ]; } || { [ "$RC" -ne 0 ] && [ "$p" -ne 0 ]; }; then
		check "$2: lagrace exits $RC, prove $( [ "$p" -eq 0 ] && echo passes || echo fails)" 0
	else
		check "$2: lagrace exits $RC but prove $( [ "$p" -eq 0 ] && echo passes || echo fails)" 1
		show "$1"
		sed 's/^/# /' "$T/$1.prove"
	fi
}
second_line() { sed -n 2p "$T/$1.out"; }

# A run that passes.
lr pass --tap --iterations 3 --expect race
check "passing run: lagrace exits 0" "$([ "$RC" -eq 0 ]; echo $?)"
check "passing run: prove passes" "$(prove_rc pass)"
ok "passing run: 'TAP version 13' first" test "$(head -n 1 "$T/pass.out")" = "TAP version 13"
ok "passing run: the plan 1..3 second" test "$(second_line pass)" = 1..3
check "passing run: 3 ok lines" "$([ "$(grep -cE '^ok [0-9]+ - ' "$T/pass.out")" = 3 ]; echo $?)"
check "passing run: no not-ok line" "$(! grep -q '^not ok' "$T/pass.out"; echo $?)"
check "passing run: every other line is a comment" \
	"$(! grep -vE '^(ok [0-9]+ - |# |1\.\.3$|TAP version 13$)' "$T/pass.out" >/dev/null; echo $?)"
nothing_left
check "passing run: its temp dir is removed" "$([ -z "$(ls -A "$LR_TMP")" ]; echo $?)"

# --expect race that is not met (the sync engine never reproduces).
lr unmet --tap --iterations 2 --engine sync --expect race
check "--expect race not met: lagrace exits 1" "$([ "$RC" -eq 1 ]; echo $?)"
agree unmet "--expect race not met"
ok "--expect race not met: each iteration is 'not ok'" \
	test "$(grep -c '^not ok' "$T/unmet.out")" = 2

# Interrupted: SIGINT once the 3rd result is printed.
printed() { [ "$(grep -cE '^(not )?ok [0-9]+ ' "$T/int.out" 2>/dev/null)" -ge 3 ]; }
TMPDIR=$LR_TMP "$LR" --tap --iterations 100000 >"$T/int.out" 2>"$T/int.err" &
pid=$!
_pids+=("$pid")
ok "interrupted run: 3 results printed" wait_for 60 printed
kill -INT "$pid"
if wait_for 20 exited "$pid"; then wait "$pid"; RC=$?; else kill -KILL "$pid"; wait "$pid"; RC=killed; fi
check "interrupted run: lagrace exits 1 (got $RC)" "$([ "$RC" = 1 ]; echo $?)"
check "interrupted run: prove fails" "$([ "$(prove_rc int)" -ne 0 ]; echo $?)"
ok "interrupted run: the plan is the 100000 asked for" test "$(second_line int)" = 1..100000
ok "interrupted run: it bails out, naming SIGINT" \
	grep -qE '^Bail out! .*SIGINT' "$T/int.out"
[ "$RC" != killed ] && agree int "interrupted run"

# A lane that stops on an error: a "lagfs" that exits at once.
printf '#!/bin/sh\necho "lagfs: refusing to start" >&2\nexit 1\n' >"$T/badlagfs"
chmod +x "$T/badlagfs"
lr lane --tap --iterations 3 --lagfs "$T/badlagfs"
check "lane error: lagrace exits non-zero ($RC)" "$([ "$RC" -ne 0 ]; echo $?)"
check "lane error: prove fails" "$([ "$(prove_rc lane)" -ne 0 ]; echo $?)"
ok "lane error: the plan is the 3 asked for, not 1..1" test "$(second_line lane)" = 1..3
ok "lane error: it bails out" grep -q '^Bail out! ' "$T/lane.out"
agree lane "lane error"

# --explain with --tap: stdout stays TAP, the story goes to stderr.
lr explain --tap --explain --iterations 4
check "--explain --tap: lagrace exits 0" "$([ "$RC" -eq 0 ]; echo $?)"
check "--explain --tap: prove passes" "$(prove_rc explain)"
ok "--explain --tap: every stdout line is TAP" \
	bash -c '! grep -vE "^(TAP version 13|1\.\.[0-9]+|(not )?ok [0-9]+ - .*|# .*|Bail out!.*)$" "$1"' - "$T/explain.out"
ok "--explain --tap: one test, plan 1..1" test "$(second_line explain)" = 1..1
ok "--explain --tap: the story is on stderr" grep -q 'SIGKILL to the child' "$T/explain.err"
ok "--explain --tap: and not in the TAP" bash -c '! grep -q "SIGKILL to the child" "$1"' - "$T/explain.out"
ok "--explain says what it overrides (--iterations)" \
	grep -q '^lagrace: --explain tells one iteration in one lane: --iterations ignored$' "$T/explain.err"
done_testing
