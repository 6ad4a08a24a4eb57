#!/usr/bin/env bash
# The control channel's "mark TEXT" writes a "mark" event into lagfs's log,
# TEXT in its detail and t_ns at lagfs's clock (CLOCK_MONOTONIC, taken
# while the command runs), in order with the requests' events; the answer
# gives the same t_ns. An empty or too long text is refused, and nothing
# is logged for it.
. "$(dirname "$0")/../lib.sh"
mono_ns() { python3 -c 'import time; print(time.monotonic_ns())'; }

lagfs_start fs || exit 1
log=$T/fs/log
echo data >"$T/fs/back/a"
cat "$T/fs/mnt/a" >/dev/null
before=$(mono_ns)
answer=$(ctl fs 'mark reaped "fio" at  two  spaces')
after=$(mono_ns)
ok "mark answers ok marked T_NS ($answer)" grep -qx 'ok marked [0-9]\+' <<<"$answer"
check "one mark event in the log" "$([ "$(count_events "$log" ev=mark)" = 1 ]; echo $?)"
text=$(get_field "$log" detail ev=mark)
check "its detail is the text, as given ($text)" \
	"$([ "$text" = 'reaped "fio" at  two  spaces' ]; echo $?)"
t=$(get_field "$log" t_ns ev=mark)
check "its t_ns is the one answered ($t)" "$([ "ok marked $t" = "$answer" ]; echo $?)"
check "its t_ns is lagfs's CLOCK_MONOTONIC while the command ran" \
	"$([ "$before" -le "$t" ] && [ "$t" -le "$after" ]; echo $?)"
topen=$(get_field "$log" t_ns ev=flush path=/a)
check "it comes after the events before it (the flush of /a, from close)" \
	"$([ -n "$topen" ] && [ "$topen" -le "$t" ]; echo $?)"
check "its pid is lagfs's" "$([ "$(get_field "$log" pid ev=mark)" = "$LAGFS_PID" ]; echo $?)"

ok "mark without a text is refused" \
	grep -qx 'error: mark needs a text' <(ctl fs 'mark   ')
long=$(printf 'x%.0s' $(seq 256))
ok "a text of 256 bytes is refused" \
	grep -qx 'error: mark text too long (256 bytes, at most 255)' <(ctl fs "mark $long")
ok "one of 255 is taken" grep -qx 'ok marked [0-9]\+' <(ctl fs "mark ${long:1}")
check "the refused marks logged nothing" "$([ "$(count_events "$log" ev=mark)" = 2 ]; echo $?)"
lagfs_stop fs
ok "the log still parses" "$H/logcheck" "$log" valid
done_testing
