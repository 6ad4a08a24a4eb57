#!/usr/bin/env bash
# Bad input to lagrace: exit status 2, exactly one line on stderr that names
# the problem, nothing on stdout, nothing started and no temp dir made.
. "$(dirname "$0")/../lib.sh"

LR=$BUILD/lagrace
mkdir -p "$T/tmp"

# bad DESC PATTERN ARGS...: lagrace ARGS exits 2 with one stderr line that
# matches the extended regex PATTERN ("lagrace: ..." or "lagrace matrix:
# ..."), and prints nothing on stdout.
bad() {
	local desc=$1 pat=$2 rc lines; shift 2
	TMPDIR=$T/tmp timeout -k 5 20 "$LR" "$@" >"$T/out" 2>"$T/err"
	rc=$?
	lines=$(wc -l <"$T/err")
	if [ "$rc" -eq 2 ] && [ "$lines" -eq 1 ] && [ ! -s "$T/out" ] &&
	   grep -qE "^lagrace( matrix)?: .*$pat" "$T/err"; then
		check "$desc: exit 2, '$(cat "$T/err")'" 0
	else
		check "$desc: exit 2 and one line naming the problem" 1
		echo "# lagrace $*: status $rc, $lines stderr line(s), want /$pat/"
		sed 's/^/# stderr: /' "$T/err"
		head -n 5 "$T/out" | sed 's/^/# stdout: /'
	fi
}

bad "unknown engine" "unknown engine 'nope'" --engine nope
bad "--sqpoll without io_uring" "--sqpoll: engine 'sync' has no io_uring" --engine sync --sqpoll
bad "--fs tmpfs with a hold" "--fs tmpfs: scenario 'async-dio' needs lagfs's holds" --fs tmpfs
bad "--fs tmpfs with exit-punt" "--fs tmpfs: scenario 'exit-punt' needs lagfs's holds" --scenario exit-punt --fs tmpfs
bad "--fs tmpfs with chance" "--fs tmpfs: engine 'mixed' needs lagfs's events" --scenario chance --fs tmpfs
bad "unknown --fs" "unknown filesystem 'ext4'" --scenario uring-fixed-file --fs ext4
bad "--fs-dir that is not there" "--fs-dir /nonexistent: No such file" --scenario uring-fixed-file --fs-dir /nonexistent
bad "--fs-dir of a file" "--fs-dir /etc/passwd: Not a directory" --scenario uring-fixed-file --fs-dir /etc/passwd
bad "--fs and --fs-dir" "--fs and --fs-dir exclude each other" --scenario uring-fixed-file --fs tmpfs --fs-dir /tmp
bad "--fs tmpfs --mitigate wait-release" "--fs tmpfs: --mitigate wait-release waits for lagfs's release events" --scenario uring-fixed-file --fs tmpfs --mitigate wait-release
bad "--fs tmpfs with -- CMD" "--fs tmpfs: the family's scenarios only" --fs tmpfs --kill-after 10ms -- /bin/true
bad "--fs-dir --mitigate lazy" "--fs-dir: --mitigate lazy waits for lagfs's release events" --scenario uring-fixed-file --fs-dir /tmp --mitigate lazy
bad "--fs tmpfs --trace" "--fs tmpfs: --trace records FUSE requests" --scenario uring-fixed-file --fs tmpfs --trace
bad "unknown mitigation" "unknown mitigation 'nope'" --mitigate nope
bad "unknown scenario" "unknown scenario 'nope'" --scenario nope
bad "unknown --expect" "--expect 'maybe'" --expect maybe
bad "--iterations 0" "--iterations '0'" --iterations 0
bad "--iterations x" "--iterations 'x'" --iterations x
bad "--iterations -1" "--iterations '-1'" --iterations -1
bad "--iterations empty" "--iterations ''" --iterations ''
bad "--iterations too big" "--iterations '99999999999999999999'" --iterations 99999999999999999999
bad "--jobs 100" "--jobs '100'" --jobs 100
bad "--jobs 0" "--jobs '0'" --jobs 0
bad "--hold without a unit" "--hold '5'" --hold 5
bad "--limit not a number" "--limit 'xs'" --limit xs
bad "--hold inf" "--hold 'inf'" --hold inf
bad "--limit 0s (nothing could finish in no time)" "--limit '0s': must be more than 0" --limit 0s
bad "--limit 0ms" "--limit '0ms'" --limit 0ms
bad "--mount without --log/--control" "--mount" --mount "$T"
bad "--mount with --log but no --control" "--control" --mount "$T" --log "$T/log"
bad "--log without --mount" "--log" --log "$T/log"
bad "unknown long option" "unknown option '--bogus'" --bogus
bad "unknown short option" "unknown option '-x'" -x
bad "unknown short option in a cluster" "unknown option '-x'" -xy
bad "missing option argument (--iterations)" "'--iterations' needs an argument" --iterations
bad "missing option argument (--json)" "'--json' needs an argument" --json
bad "a stray argument" "unexpected argument 'extra'" extra
bad "--close-in-flight with an engine that cannot" "engine 'aio' cannot close" --engine aio --close-in-flight
bad "--close-in-flight without a held IO" "--close-in-flight needs IO that lagfs holds" --scenario chance --engine uring --close-in-flight
bad "--lagfs /nonexistent" "--lagfs /nonexistent: No such file" --lagfs /nonexistent
echo 'not a program' >"$T/notexec"
chmod 0644 "$T/notexec"
bad "--lagfs not executable" "--lagfs $T/notexec: Permission denied" --lagfs "$T/notexec"
ok "bad input made no temp dir" test -z "$(ls -A "$T/tmp")"

# lagfs nowhere: not next to lagrace, not in $PATH, no $LAGFS.
mkdir -p "$T/alone"
cp "$LR" "$T/alone/lagrace"
(cd "$T/alone" && env -u LAGFS PATH=/usr/bin:/bin TMPDIR="$T/tmp" \
	timeout -k 5 20 ./lagrace --iterations 1 >"$T/out" 2>"$T/err")
rc=$?
check "lagfs not found: exit 2 (got $rc)" "$([ "$rc" -eq 2 ]; echo $?)"
ok "lagfs not found: one line on stderr" test "$(wc -l <"$T/err")" -eq 1
ok "lagfs not found: it says 'lagfs not found'" grep -q '^lagrace: lagfs not found' "$T/err"
[ "$(wc -l <"$T/err")" -eq 1 ] || sed 's/^/# stderr: /' "$T/err"
ok "lagfs not found: nothing on stdout" test ! -s "$T/out"
ok "lagfs not found: no temp dir made" test -z "$(ls -A "$T/tmp")"
ok "lagfs not found: only lagrace in its dir" test "$(ls -A "$T/alone")" = lagrace
# A $LAGFS that is not there is no way out either.
(cd "$T/alone" && env LAGFS=/nonexistent PATH=/usr/bin:/bin TMPDIR="$T/tmp" \
	timeout -k 5 20 ./lagrace --iterations 1 >"$T/out" 2>"$T/err")
rc=$?
check "a \$LAGFS that does not exist: exit 2, 'lagfs not found' (got $rc)" \
	"$([ "$rc" -eq 2 ] && grep -q 'lagfs not found' "$T/err"; echo $?)"

# lagrace matrix checks its options as lagrace does: one line naming the
# bad value, exit 2, before any row runs.
bad "matrix --iterations abc" "--iterations 'abc': need a whole number" matrix --iterations abc
bad "matrix --iterations=abc" "--iterations 'abc'" matrix --iterations=abc
bad "matrix --iterations 0" "--iterations '0'" matrix --iterations 0
bad "matrix --jobs 0" "--jobs '0'" matrix --jobs 0
bad "matrix --limit 0s" "--limit '0s': must be more than 0" matrix --limit 0s
bad "matrix --hold 5" "--hold '5'" matrix --hold 5
bad "matrix --seed x" "--seed 'x'" matrix --seed x
bad "matrix --lagfs /nonexistent" "--lagfs /nonexistent: No such file" matrix --lagfs /nonexistent
bad "matrix with an unknown option" "unknown option '--bogus' \(try 'lagrace matrix --help'\)" matrix --bogus
bad "matrix with an option it does not take" "unknown option '--tap'" matrix --tap
bad "matrix --jobs without its value" "option '--jobs' needs an argument" matrix --jobs
bad "matrix with a stray argument" "unexpected argument 'x'" matrix x
ok "bad matrix input made no temp dir" test -z "$(ls -A "$T/tmp")"
"$LR" matrix --help >"$T/out" 2>"$T/err"
rc=$?
check "matrix --help: exit 0 (got $rc)" "$([ "$rc" -eq 0 ]; echo $?)"
for o in --iterations --jobs --fusermount --no-namespace --lagfs --limit --hold --seed; do
	ok "matrix --help names $o" grep -qe "$o" "$T/out"
done
ok "matrix --help: every line fits 80 columns" \
	test -z "$(awk 'length > 80' "$T/out")"

# -- CMD: found and runnable, or refused before anything is mounted.
printf 'not a program\n' >"$T/noexec"
mkdir -p "$T/dir"
bad "-- an unknown command" "-- nosuchcmd-lagrace: command not found" -- nosuchcmd-lagrace
bad "-- a file that is not executable" "-- $T/noexec: Permission denied" -- "$T/noexec"
bad "-- a directory" "-- $T/dir: Is a directory" -- "$T/dir"
bad "-- a missing path" "-- ./nope/x: No such file or directory" -- ./nope/x
bad "-- without a command" "-- needs a command" --rule 'read hold' --
bad "-- CMD with no rule that parks and no kill" "no hold rule parks its requests" -- true
bad "--engine command without --" "--engine command: give the command after --" --engine command
bad "--kill-on something else" "--kill-on 'open': park or park:N" --rule 'read hold' --kill-on open -- true
bad "--kill-on park:0" "--kill-on 'park:0': N is a whole number" --rule 'read hold' --kill-on park:0 -- true
bad "--kill-on park without a rule that parks" "--kill-on park: no rule makes lagfs park" --kill-on park -- true
bad "--kill-after and --kill-at" "exclude each other" --kill-after 1s --kill-at 1s..2s -- true
bad "--kill-at without .." "--kill-at '1s': MIN..MAX" --kill-at 1s -- true
bad "--kill-at MAX < MIN" "--kill-at '2s..1s': MAX is less than MIN" --kill-at 2s..1s -- true
bad "--kill-at without a unit" "--kill-at '1..2s': missing unit" --kill-at 1..2s -- true
bad "--kill-after 0" "--kill-after '0s': must be more than 0" --kill-after 0s -- true
bad "--populate of no directory" "--populate $T/noexec: Not a directory" --populate "$T/noexec" --kill-after 1s -- true
bad "--populate without -- CMD" "--populate goes with -- CMD" --populate "$T/dir"
bad "--rules of a missing file" "--rules $T/none: No such file or directory" --rules "$T/none" -- true
check "the refused runs made no temp dir" "$([ -z "$(ls -A "$T/tmp")" ]; echo $?)"

# --help is no error: usage on stdout, exit 0.
"$LR" --help >"$T/out" 2>"$T/err"
rc=$?
check "--help: exit 0 (got $rc)" "$([ "$rc" -eq 0 ]; echo $?)"
ok "--help: usage on stdout, nothing on stderr" \
	bash -c 'grep -q "^usage: lagrace" "$1" && test ! -s "$2"' - "$T/out" "$T/err"
ok "--help: every line fits 80 columns" test -z "$(awk 'length > 80' "$T/out")"
done_testing
