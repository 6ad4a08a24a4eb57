#!/usr/bin/env bash
# The control channel's "help" lists its commands from the table that runs
# them, and the README's table of commands names the same commands with
# the same arguments, so neither can fall behind the other silently.
. "$(dirname "$0")/../lib.sh"

lagfs_start fs || exit 1
help=$(ctl fs help)
ok "help answers one line listing the commands ($help)" \
	grep -qx 'ok commands: ping, .*help \[COMMAND\]' <<<"$help"
mapfile -t cmds < <(sed 's/^ok commands: //; s/, /\n/g' <<<"$help")
check "help lists 10 commands (${#cmds[@]})" "$([ "${#cmds[@]}" -eq 10 ]; echo $?)"

bad=()
for c in "${cmds[@]}"; do
	a=$(ctl fs "help ${c%% *}")
	[[ $a == "ok $c: "?* ]] || bad+=("$c -> $a")
done
check "help COMMAND says what each one does" "${#bad[@]}"
[ "${#bad[@]}" -eq 0 ] || printf '# %s\n' "${bad[@]}"
ok "help of an unknown command is an error" \
	grep -qx "error: unknown command 'nope'" <(ctl fs 'help nope')
ok "an unknown command still answers as before" \
	grep -qx "error: unknown command 'nope'" <(ctl fs nope)

# The README's "Control channel" table: | `COMMAND ARGS` | effect |
sed -n '/^### Control channel/,/^### /p' "$TOP/README.md" |
	sed -n 's/^| `\([^`]*\)` |.*/\1/p' >"$T/readme"
printf '%s\n' "${cmds[@]}" >"$T/help"
ok "the README's control table lists exactly help's commands" \
	diff -u "$T/help" "$T/readme"
lagfs_stop fs
done_testing
