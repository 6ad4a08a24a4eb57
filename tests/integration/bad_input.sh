#!/usr/bin/env bash
# Every bad input: one line on stderr naming the problem, exit status 2, and
# nothing mounted.
. "$(dirname "$0")/../lib.sh"

mkdir -p "$T/back" "$T/mnt" "$T/busy"
printf 'read delay=1ms\n\nraed delay=1ms\n' >"$T/x.rules"

# bad_input DESC EXPECTED_TEXT ARGS...
bad_input() {
	local desc=$1 want=$2; shift 2
	local st
	timeout 10 "$LAGFS" -f "$@" >"$T/out" 2>"$T/err"
	st=$?
	if [ $st -ne 2 ]; then
		echo "# exit status $st, stderr: $(cat "$T/err")"
		check "$desc" 1
	elif [ "$(wc -l <"$T/err")" -ne 1 ] || ! grep -qF -- "$want" "$T/err"; then
		echo "# stderr: $(cat "$T/err")"
		check "$desc" 1
	elif is_mounted "$T/mnt"; then
		check "$desc (left a mount)" 1
	else
		check "$desc: $(cat "$T/err")" 0
	fi
}

bad_input "unknown option" "unknown option '--bogus'" --bogus "$T/back" "$T/mnt"
bad_input "unknown mount option" "unknown option" -o bogus_opt "$T/back" "$T/mnt"
bad_input "unknown op" "unknown op 'raed'" --rule 'raed delay=1ms' "$T/back" "$T/mnt"
bad_input "duration without unit" "bad delay '10'" --rule 'read delay=10' "$T/back" "$T/mnt"
bad_input "malformed duration" "bad delay 'tenms': not a number" --rule 'read delay=tenms' "$T/back" "$T/mnt"
bad_input "probability out of range" "bad prob '1.5'" --rule 'read delay=1ms prob=1.5' "$T/back" "$T/mnt"
bad_input "a --rule longer than a rules file's line" "line longer than 4096 bytes" \
	--rule "read path=/$(printf 'x%.0s' $(seq 5000)) delay=1ms" "$T/back" "$T/mnt"
ok "  ... and the message is short (the rule is cut)" test "$(wc -c <"$T/err")" -lt 200
bad_input "rules file with a bad line" "x.rules:3: unknown op 'raed'" --rules "$T/x.rules" "$T/back" "$T/mnt"
bad_input "missing rules file" "nope.rules" --rules "$T/nope.rules" "$T/back" "$T/mnt"
bad_input "missing backing dir" "backing directory $T/nothere: No such file" "$T/nothere" "$T/mnt"
bad_input "backing dir is a file" "backing directory $T/x.rules: Not a directory" "$T/x.rules" "$T/mnt"
bad_input "missing mountpoint" "mountpoint $T/nomnt: No such file" "$T/back" "$T/nomnt"
bad_input "missing arguments" "need BACKING_DIR and MOUNTPOINT" "$T/back"
bad_input "an extra argument is named" "unexpected argument 'extra' (try 'lagfs --help')" \
	"$T/back" "$T/mnt" extra
bad_input "option without its argument" "option '--rule' needs an argument" "$T/back" "$T/mnt" --rule
bad_input "bad --log-fd" "--log-fd '99'" --log-fd 99 "$T/back" "$T/mnt"

lagfs_start busy || exit 1
bad_input "mountpoint already mounted" "already mounted" "$T/back" "$T/busy/mnt"
lagfs_stop busy
done_testing
