#!/usr/bin/env bash
# The teaching outputs: --explain narrates one iteration with the kernel's
# view of who holds the file; `lagrace matrix` prints the hit-rate table.
# (lagrace_explain.sh checks the narration's form and its agreement with
# the events, --svg and `lagrace explain --json`.) As root and as an
# ordinary user (lagrace then runs in user namespaces).
. "$(dirname "$0")/../lib.sh"
LAGRACE=$BUILD/lagrace
export TMPDIR=$T

line_of() { grep -n -m1 -- "$1" "$2" | cut -d: -f1; }

"$LAGRACE" --explain >"$T/explain" 2>&1
check "--explain runs one iteration and exits 0" $?
ok "it is one iteration" grep -q '^late release 1/1, EBUSY 1/1' "$T/explain"
for step in "is mounted afresh" "forked the child" "OPEN /lag-0.lag by the child" \
	"arrived from the child" "SIGKILL to the child" "waitpid() returned" \
	"probe: the mount is BUSY" "unmount at once: EBUSY" \
	"release the held request" "answered the held read" \
	"RELEASE of /lag-0.lag" "the mount is free (EAGAIN)" "unmount: ok"; do
	ok "narrates: $step" grep -qF -- "$step" "$T/explain"
done
# holders: the names after "now held by", up to ":" or " ("
holders() { grep -o 'now held by [^:(]*' "$1" | sed 's/^now held by //; s/ *$//' | tr '\n' '|'; }
ok "the reference passes child -> dying child -> IO in flight -> delayed_fput -> nobody" \
	test "$(holders "$T/explain")" = \
	"the child|the dying child|the IO in flight|delayed_fput, in a kernel thread|nobody|"
ok "the RELEASE comes after the reap" \
	test "$(line_of 'RELEASE of' "$T/explain")" -gt "$(line_of 'waitpid() returned' "$T/explain")"
ok "every step has a time in ms" \
	test "$(grep -cE '^ *[+-][0-9]+\.[0-9]{3} ms ' "$T/explain")" -ge 13

# What lagfs's events alone show (lagrace_trace.sh: what the kernel's
# trace adds)
"$LAGRACE" --explain --scenario exit-punt --no-trace >"$T/punt" 2>&1
ok "exit-punt: the READ comes from an io-wq worker" grep -q 'arrived from io-wq worker' "$T/punt"
ok "exit-punt: the kill interrupts it" grep -q 'FUSE_INTERRUPT for the held read' "$T/punt"
ok "exit-punt: io_uring's fallback work holds the file after the answer (inferred)" \
	bash -c 'grep -A1 "now held by io_uring fallback, then delayed_fput" "$1" | grep -q "(inferred: io-wq worker"' - "$T/punt"
ok "exit-punt: child -> IO in flight (closed before the kill) -> fallback -> nobody" \
	test "$(holders "$T/punt")" = \
	"the child|the IO in flight|io_uring fallback, then delayed_fput|nobody|"

"$LAGRACE" --explain --engine sync >"$T/sync" 2>&1
ok "sync: the child's own exit closes the file" grep -q "now held by the child's own exit" "$T/sync"
ok "sync: no late release" grep -q '^late release 0/1' "$T/sync"

"$LAGRACE" matrix --iterations 3 >"$T/matrix" 2>&1
check "matrix runs every combination and exits 0" $?
ok "it prints a table of 16 combinations" test "$(grep -c '^| [a-z].*`lagrace' "$T/matrix")" = 16
ok "async DIO hits every time" grep -q '^| io_uring, O_DIRECT (async DIO) | 3/3 | 3/3 |' "$T/matrix"
ok "exit-punt hits every time" grep -q '^| io_uring, direct_io, IOSQE_ASYNC, no async DIO (exit-punt) | 3/3 | 3/3 |' "$T/matrix"
ok "pread never hits" grep -q '^| pread, O_DIRECT | 0/3 | 0/3 |' "$T/matrix"
ok "libaio O_DIRECT never hits (its exit waits for the IO)" grep -q '^| libaio, O_DIRECT | 0/3 | 0/3 |' "$T/matrix"
ok "each row names the command that reproduces it" grep -qF '`lagrace --scenario exit-punt`' "$T/matrix"
[ "$_failed" -eq 0 ] || sed 's/^/# /' "$T/matrix"
# The lane options every row takes alike: each row runs with them, and its
# command says so.
"$LAGRACE" matrix --iterations 2 --jobs 2 --seed 7 --limit 3s >"$T/matrix2" 2>&1
check "matrix --iterations 2 --jobs 2 --seed 7 --limit 3s exits 0" $?
ok "  ... a table of 16 rows, each command with those options" \
	test "$(grep -c '^| [a-z].*`lagrace .* --jobs 2 --seed 7 --limit 3s`' "$T/matrix2")" = 16
ok "  ... async DIO hits in 2/2" grep -q '^| io_uring, O_DIRECT (async DIO) | 2/2 | 2/2 |' "$T/matrix2"
ok "  ... 2 iterations per row, it says" grep -q ', 2 iterations per row' "$T/matrix2"
[ "$(grep -c '^| [a-z]' "$T/matrix2")" = 16 ] || sed 's/^/# /' "$T/matrix2"
"$LAGRACE" matrix --bogus >/dev/null 2>"$T/err"
ok "matrix with a bad option exits 2 with one line" \
	test $? = 2 -a "$(wc -l <"$T/err")" = 1
done_testing
