#!/usr/bin/env bash
# A short fuzzing run for make check: scripts/fuzz 15 runs each libFuzzer
# target (tests/fuzz/fuzz_rules.c, tests/fuzz/fuzz_event.c) for 15 seconds
# and must find nothing. Then the harness itself is checked: fuzz_event
# built with -DFUZZ_SELFTEST aborts on an input containing "LAGFS-SELFTEST",
# and scripts/fuzz run on such a seed must report the crash, leave its file
# and exit non-zero, so a real crash cannot go unnoticed. `make fuzz` is the
# long run (600 s per target).
. "$(dirname "$0")/../lib.sh"

SECS=15
FUZZ=$TOP/scripts/fuzz
TARGETS=(fuzz_rules fuzz_event)

# Skip, with the reason, where clang or its fuzzer runtime is missing.
if ! command -v clang >/dev/null 2>&1; then
	skip_all "clang is not installed (Debian: apt-get install clang libclang-rt-14-dev)"
fi
printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n)\n{ (void)d; (void)n; return 0; }\n' \
	>"$T/probe.c"
if ! clang -fsanitize=fuzzer,address,undefined -o "$T/probe" "$T/probe.c" \
	>"$T/probe.log" 2>&1; then
	skip_all "clang has no libFuzzer/sanitizer runtime (Debian: apt-get install libclang-rt-14-dev): $(head -n 1 "$T/probe.log")"
fi

# corpus_sum: one checksum of the repository's seed corpus.
corpus_sum() { (cd "$TOP/tests/fuzz/corpus" && find . -type f -print0 |
	sort -z | xargs -0 sha256sum | sha256sum); }

# --- the short run ----------------------------------------------------------
before=$(corpus_sum)
FUZZ_OUT=$BUILD/fuzz "$FUZZ" "$SECS" >"$T/out" 2>&1
rc=$?
sed 's/^/# /' "$T/out"
check "scripts/fuzz $SECS exits 0 (status $rc)" "$rc"
for t in "${TARGETS[@]}"; do
	line=$(grep -E "^$t: " "$T/out" | tail -n 1)
	re="^$t: ([0-9]+) executions in $SECS s \\(([0-9]+) exec/s\\), [0-9]+ new inputs, no crash$"
	if [[ $line =~ $re ]] && [ "${BASH_REMATCH[1]}" -gt 0 ]; then
		check "$t: ${BASH_REMATCH[1]} executions in $SECS s, no crash" 0
	else
		check "$t: a clean run of $SECS s (got: ${line:-no summary line})" 1
	fi
done
after=$(corpus_sum)
[ "$before" = "$after" ]
check "the run left tests/fuzz/corpus untouched (new inputs go to build/fuzz)" $?

# --- the harness catches a crash --------------------------------------------
mkdir -p "$T/seeds/event"
printf '{"t_ns":1,"ev":"LAGFS-SELFTEST"}\n' >"$T/seeds/event/selftest"
FUZZ_OUT=$T/self FUZZ_TARGETS=fuzz_event FUZZ_SEEDS=$T/seeds \
	FUZZ_CFLAGS=-DFUZZ_SELFTEST "$FUZZ" 2 >"$T/self.out" 2>&1
rc=$?
sed 's/^/# /' "$T/self.out"
crash=$(sed -n 's/^fuzz_event: CRASH after [0-9?]* executions: //p' "$T/self.out")
[ "$rc" -eq 1 ] && [ -n "$crash" ]
check "a FUZZ_SELFTEST build of fuzz_event is reported as a crash, exit 1 (status $rc)" $?
[ -n "$crash" ] && [ "${crash#"$T/self/"}" != "$crash" ] && [ -f "$crash" ] &&
	grep -q LAGFS-SELFTEST "$crash"
check "the crash file is left in FUZZ_OUT and holds the input (${crash:-none})" $?
[ "$(find "$T/seeds" -type f | wc -l)" -eq 1 ]
check "the seed directory is only read" $?

done_testing
