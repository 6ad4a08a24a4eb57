#!/bin/sh
# judge-harness.sh DIR CMD...: run CMD in DIR/mnt, a lagfs over DIR/back that
# holds reads; SIGKILL it once a read is held, reap it, mark the reap in the
# log, unmount, and let lagrace judge the log. See README "Judging a log".
d=$1; shift; ctl() { echo "$1" | socat - "UNIX-CONNECT:$d/sock" >/dev/null; }
lagfs --log "$d/log" --control "$d/sock" --rule 'read hold' "$d/back" "$d/mnt" || exit 2
# in a PID namespace of its own: its init's death kills all it started
unshare -pf sh -c 'cd "$0" && exec "$@"' "$d/mnt" "$@" & pid=$!
until grep -q '"ev":"park"' "$d/log"; do sleep 0.01; done
kill -KILL $(pgrep -P $pid); wait $pid; ctl 'mark reaped'  # all reaped
if umount "$d/mnt" 2>/dev/null; then ebusy=; else ebusy=--ebusy; ctl release
	until sed '1,/"ev":"mark"/d' "$d/log" | grep -q '"ev":"release"'; do sleep 0.01; done
	umount "$d/mnt"; fi
until grep -q '"ev":"exit"' "$d/log"; do sleep 0.01; done
exec lagrace judge "$d/log" --mark reaped $ebusy --expect race
