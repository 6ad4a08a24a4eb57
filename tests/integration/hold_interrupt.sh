#!/usr/bin/env bash
# A held read returns EINTR as soon as the reader gets a signal: the kernel
# sends FUSE_INTERRUPT, lagfs answers EINTR and logs the interrupt. The open
# gets direct_io so that read(2) itself waits for the READ (a buffered read
# waits on a page lock that only a fatal signal breaks).
. "$(dirname "$0")/../lib.sh"

lagfs_start fs --rule 'open direct_io' --rule 'read hold max=60s' || exit 1
M=$T/fs/mnt B=$T/fs/back
echo data >"$B/f"

"$H/hold_reader" "$M/f" >"$T/out" &
reader=$!
ok "the read is parked as a hold" wait_for 10 has_event "$T/fs/log" ev=park op=read hold=1
kill -USR1 "$reader"
wait "$reader" 2>/dev/null
ok "the reader's read(2) returned EINTR" test "$(cat "$T/out")" = "error EINTR"
ok "lagfs logged the interrupt" has_event "$T/fs/log" ev=interrupt op=read
ok "and answered the read with EINTR because of it" \
	has_event "$T/fs/log" ev=read how=interrupt result=-4
held=$(get_field "$T/fs/log" delay_ns ev=read how=interrupt)
echo "# held for $((held / 1000000)) ms of max 60000 ms"
ok "long before the hold's maximum" test "$held" -lt 10000000000

# SIGKILL: the kernel interrupts too, and the reader is reaped.
"$H/hold_reader" "$M/f" >/dev/null &
reader=$!
wait_for 10 eval '[ "$(count_events "$T/fs/log" ev=park op=read)" -ge 2 ]'
kill -KILL "$reader"
wait "$reader" 2>/dev/null
ok "a SIGKILLed reader is interrupted and reaped" \
	test "$(count_events "$T/fs/log" ev=read how=interrupt)" = 2
lagfs_stop fs

# keep: the interrupt is logged but does not end the hold; a release does.
lagfs_start keep --rule 'open direct_io' --rule 'read hold keep max=60s' || exit 1
echo data >"$T/keep/back/f"
"$H/hold_reader" "$T/keep/mnt/f" >"$T/out2" &
reader=$!
wait_for 10 has_event "$T/keep/log" ev=park op=read hold=1
kill -USR1 "$reader"
ok "with keep, the interrupt is logged" wait_for 10 has_event "$T/keep/log" ev=interrupt op=read
ok "but the read stays parked" grep -q '"parked_now":1,' <(ctl keep stats)
ok "until the control channel releases it" grep -q '^ok released 1$' <(ctl keep release)
wait "$reader"
ok "then it is served normally" test "$(cat "$T/out2")" = "read 5"
ok "and logged as ended by the release" has_event "$T/keep/log" ev=read how=release result=0
lagfs_stop keep
done_testing
