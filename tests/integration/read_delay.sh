#!/usr/bin/env bash
# A "read delay=100ms" rule makes an uncached read take at least 100 ms, and
# the log records the delayed read with the delay applied.
. "$(dirname "$0")/../lib.sh"

lagfs_start fs --rule 'read path=*.dat delay=100ms' || exit 1
M=$T/fs/mnt B=$T/fs/back
# Written to the backing dir directly, so lagfs's page cache is cold.
head -c 8192 /dev/urandom >"$B/slow.dat"
head -c 8192 /dev/urandom >"$B/fast.txt"

t0=$(now_ns); cat "$M/slow.dat" >/dev/null; t1=$(now_ns)
elapsed=$(( (t1 - t0) / 1000000 ))
echo "# read of slow.dat took $elapsed ms"
ok "a read under 'read delay=100ms' takes at least 100 ms" test "$elapsed" -ge 100
ok "the log has the delayed read, ended by its delay" \
	has_event "$T/fs/log" ev=read how=delay path=/slow.dat
d=$(get_field "$T/fs/log" delay_ns ev=read path=/slow.dat)
ok "its delay_ns is at least 100 ms" test "${d:-0}" -ge 100000000
ok "a park event came first, with the planned delay" \
	has_event "$T/fs/log" ev=park op=read delay_ns=100000000
cat "$M/fast.txt" >/dev/null
ok "a file the rule's glob does not match is not delayed" \
	test "$(count_events "$T/fs/log" ev=park path=/fast.txt)" = 0
ok "stats count the parked request" grep -q '"parked":1,' <(ctl fs stats)
lagfs_stop fs
done_testing
