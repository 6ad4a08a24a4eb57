#!/usr/bin/env bash
# Every open and create in the log is matched by exactly one release of the
# same file handle, and lagfs reports opens that never got one.
. "$(dirname "$0")/../lib.sh"

lagfs_start fs || exit 1
M=$T/fs/mnt
for i in 1 2 3 4 5; do echo "$i" >"$M/f$i"; done
cat "$M"/f* >/dev/null
exec 7<"$M/f1" 8<"$M/f2"
exec 7<&- 8<&-
cp "$M/f3" "$M/f6"
lagfs_stop fs
ok "the log parses" "$H/logcheck" "$T/fs/log" valid
out=$("$H/logcheck" "$T/fs/log" pairs); st=$?
echo "# $out"
check "every open/create has exactly one release with its fh" $st
ok "creates were logged" test "$(count_events "$T/fs/log" ev=create)" -ge 6
ok "flushes were logged with the closer's pid" has_event "$T/fs/log" ev=flush
ok "no unreleased opens at exit" test "$(count_events "$T/fs/log" ev=unreleased)" = 0

# An open whose release cannot arrive: lagfs is stopped while a reader holds
# the file, and reports it at exit.
lagfs_start fs2 || exit 1
echo x >"$T/fs2/mnt/held"
exec 9<"$T/fs2/mnt/held"
kill -TERM "$LAGFS_PID"
wait "$LAGFS_PID"
exec 9<&-
ok "an open still held at exit is reported as unreleased" \
	has_event "$T/fs2/log" ev=unreleased path=/held
ok "and on stderr" grep -q 'open never released: /held' "$T/fs2/stderr"
done_testing
