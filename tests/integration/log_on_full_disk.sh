#!/usr/bin/env bash
# The event log on a full filesystem: requests never wait for the log,
# whatever is written is whole events, the drops are counted (control
# channel stats) and reported at exit, and the exit event is written once
# there is room again. 64 KiB of tmpfs, a 24 KiB filler (removed before the
# unmount), a few thousand events.
. "$(dirname "$0")/../mount_ns.sh"
mounts_of_its_own "$0" "$@"
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root or a user namespace, to mount a small tmpfs (unprivileged user namespaces are disabled)"
need_fuse
# lagfs keeps a descriptor per inode and does not raise its own limit;
# 1500 files are more than a login's usual soft limit of 1024.
ulimit -n "$(ulimit -Hn)"

# The tmpfs sits under $T: stop what writes to it, unmount it, then let
# lib.sh's _cleanup unmount and remove the rest.
cleanup_small() {
	local m p
	for m in "${_mnts[@]}"; do
		is_mounted "$m" && { umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null; }
	done
	for p in "${_pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	for p in "${_pids[@]}"; do wait "$p" 2>/dev/null; done
	is_mounted "$T/small" && umount -l "$T/small"
	_cleanup
}
trap cleanup_small EXIT

mkdir -p "$T/small" "$T/full"
mount -t tmpfs -o size=64k,mode=0755 tmpfs "$T/small"
head -c 24576 /dev/zero >"$T/small/filler"
ln -s "$T/small/log" "$T/full/log"	# lagfs_start logs to $T/full/log
lagfs_start full || exit 1
M=$T/full/mnt
start=${EPOCHREALTIME/./}
timeout 60 bash -c 'for i in $(seq 1500); do : >"$1/f$i"; done &&
	for i in $(seq 1500); do : <"$1/f$i"; done' _ "$M"
rc=$?
ms=$(( (${EPOCHREALTIME/./} - start) / 1000 ))
check "1500 creates and 1500 opens (~9000 events) on a full log finish (${ms} ms, status $rc)" "$rc"
ok "the log's filesystem is full" test "$(df --output=avail -k "$T/small" | tail -1 | tr -d ' ')" -eq 0
stats=$(ctl full stats)
dropped=$(sed -n 's/.*"events_dropped":\([0-9]*\).*/\1/p' <<<"$stats")
echo "# stats: $stats"
check "stats counts the dropped events (events_dropped=${dropped:-none})" \
	"$([ "${dropped:-0}" -gt 0 ]; echo $?)"
ok "the log holds only whole events (every line parses)" "$H/logcheck" "$T/small/log" valid
echo "# the log ends in: $(tail -c 120 "$T/small/log" | tail -n 1)"
rm -f "$T/small/filler"
lagfs_stop full
check "lagfs exits 0 after the unmount (status $LAGFS_STATUS)" "$LAGFS_STATUS"
# (the torn line above, if any, runs into the first line written after it:
# take the exit event from its own '{')
grep -a '"ev":"exit"' "$T/small/log" | tail -n 1 | sed 's/.*{"t_ns"/{"t_ns"/' >"$T/exitline"
ok "the exit event is written once there is room again" "$H/logcheck" "$T/exitline" valid
detail=$(get_field "$T/exitline" detail ev=exit)
echo "# exit detail: $detail"
echo "# stderr: $(tr '\n' ' ' <"$T/full/stderr")"
ok "lagfs reports the dropped events at exit (exit event's detail or stderr)" \
	bash -c 'grep -qiE "drop[a-z]*[=: ]+[1-9]" <<<"$1" ||
		grep -qiE "drop[a-z]*[=: ]+[1-9]|[1-9][0-9]* (events? )?dropped" "$2"' \
	_ "$detail" "$T/full/stderr"
nothing_left
done_testing
