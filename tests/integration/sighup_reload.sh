#!/usr/bin/env bash
# SIGHUP re-reads the rules file without remounting; a broken file is
# reported and the old rules stay in force.
. "$(dirname "$0")/../lib.sh"

R=$T/x.rules
printf '# first rules\nread delay=1ms\n' >"$R"
# A socket file left by a lagfs that died is replaced, not an error.
mkdir -p "$T/fs"
socat UNIX-LISTEN:"$T/fs/sock",unlink-close=0 /dev/null &
wait_for 10 test -S "$T/fs/sock"
kill $! && wait $! 2>/dev/null
lagfs_start fs --rules "$R" || exit 1
ok "a stale control socket is replaced" grep -q '^ok$' <(ctl fs ping)
ok "the control channel lists the file's rule" grep -q '^ok 1 rules: read delay=1ms$' <(ctl fs rules)

printf 'read delay=2ms\nwrite path=*.dat delay=3ms\n' >"$R"
kill -HUP "$LAGFS_PID"
ok "SIGHUP reloads the rules file" wait_for 10 has_event "$T/fs/log" ev=reload result=0
ok "and the new rules are in force" grep -q '^ok 2 rules: read delay=2ms; write path=\*.dat delay=3ms$' <(ctl fs rules)

printf 'read delay=5ms\nraed delay=1ms\n' >"$R"
kill -HUP "$LAGFS_PID"
ok "a broken rules file is refused" wait_for 10 has_event "$T/fs/log" ev=reload result=-22
ok "the refusal names file, line and problem" \
	test "$(get_field "$T/fs/log" detail ev=reload result=-22)" = "$R:2: unknown op 'raed'"
ok "and the old rules stay in force" grep -q '^ok 2 rules: read delay=2ms;' <(ctl fs rules)
ok "the refusal is on stderr too" grep -q "x.rules:2: unknown op 'raed'" "$T/fs/stderr"
ok "the mount stayed up throughout" is_mounted "$T/fs/mnt"
ok "control 'reload' answers the error too" grep -q "^error: $R:2: unknown op 'raed'$" <(ctl fs reload)
ok "control 'add' appends a rule" grep -q '^ok 3 rules$' <(ctl fs 'add open direct_io')
ok "control 'set' replaces them all" grep -q '^ok 1 rules$' <(ctl fs 'set read delay=1ms')
ok "control rejects a bad rule with its reason" grep -q "^error: unknown op 'raed'$" <(ctl fs 'add raed delay=1ms')
lagfs_stop fs

# In the foreground lagfs stays in the cwd: a relative rules file is found
# again on SIGHUP.
printf 'read delay=1ms\n' >"$R"
cd "$T" || exit 1
lagfs_start rel --rules x.rules || exit 1
cd - >/dev/null || exit 1
printf 'read delay=4ms\n' >"$R"
kill -HUP "$LAGFS_PID"
ok "-f with a relative rules file: SIGHUP reloads it" \
	wait_for 10 has_event "$T/rel/log" ev=reload
ok "  ... and it was found ($(get_field "$T/rel/log" detail ev=reload))" \
	has_event "$T/rel/log" ev=reload result=0
ok "  ... and its rules are in force" grep -q '^ok 1 rules: read delay=4ms$' <(ctl rel rules)
lagfs_stop rel
done_testing
