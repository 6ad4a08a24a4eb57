#!/usr/bin/env bash
# -o max_threads=N caps lagfs's request threads, as it does for any FUSE
# filesystem; without it lagfs runs up to 8. A bad value is refused.
#
# To keep request threads busy, lagfs serves a backing directory that is
# itself a lagfs (the inner one) holding every open: each open through the
# outer one then blocks one of its request threads in open(2) until the
# inner one lets it go. Five opens at once need five threads; with
# -o max_threads=3 three are in flight and two wait in the kernel.
. "$(dirname "$0")/../lib.sh"

# loop_workers PID: libfuse's request threads (the other threads of lagfs
# have names of their own, lagfs-ctl, lagfs-dq, lagfs-log; the main thread
# waits for the loop to end).
loop_workers() {
	local t n=0
	for t in /proc/"$1"/task/*; do
		[ "${t##*/}" != "$1" ] && [ "$(cat "$t/comm" 2>/dev/null)" = lagfs ] &&
			n=$((n + 1))
	done
	echo "$n"
}

# held_at_least NAME N: NAME has held N opens.
held_at_least() { [ "$(count_events "$T/$1/log" ev=park op=open)" -ge "$2" ]; }

# five_opens NAME WANT_IN_FLIGHT [LAGFS ARGS...]: mount NAME over an inner
# lagfs (NAME-in) that holds opens, open five files through NAME at once
# and wait until the inner one holds WANT_IN_FLIGHT of them; then let them
# all go. Sets HELD (opens held at once) and WORKERS (NAME's request
# threads then).
five_opens() {
	local name=$1 want=$2 in=$1-in i pids=(); shift 2
	HELD=0 WORKERS=0 ALL=0 STATUS=1
	lagfs_start "$in" --rule 'open hold' || return 1
	for i in 1 2 3 4 5; do echo "$i" >"$T/$in/back/f$i"; done
	mkdir -p "$T/$name"
	ln -s "$T/$in/mnt" "$T/$name/back"
	lagfs_start "$name" "$@" || return 1
	for i in 1 2 3 4 5; do
		cat "$T/$name/mnt/f$i" >/dev/null &
		pids+=($!)
	done
	if wait_for 10 held_at_least "$in" "$want"; then
		HELD=$(count_events "$T/$in/log" ev=park op=open)
		WORKERS=$(loop_workers "$LAGFS_PID")
	fi
	echo "# $name: $HELD opens held at once, $WORKERS request threads"
	# Let them go; capped, the last two come in only then.
	ctl "$in" release >/dev/null
	wait_for 10 held_at_least "$in" 5 &&
		ctl "$in" release >/dev/null
	wait "${pids[@]}"
	lagfs_stop "$name"
	STATUS=$LAGFS_STATUS
	ALL=$(count_events "$T/$in/log" ev=park op=open)
	umount "$T/$in/mnt" 2>/dev/null || fusermount3 -u "$T/$in/mnt"
}

five_opens capped 3 -o max_threads=3
ok "-o max_threads=3: three opens in flight ($HELD)" test "$HELD" = 3
ok "  ... on three request threads, no more ($WORKERS)" test "$WORKERS" = 3
ok "  ... and the two others were served after ($ALL in all)" test "$ALL" = 5
check "  ... and lagfs stops cleanly" "$STATUS"

five_opens default 5
ok "without it, all five opens in flight ($HELD)" test "$HELD" = 5
ok "  ... on more than five request threads ($WORKERS)" test "$WORKERS" -gt 5

refused "-o max_threads=x: libfuse refuses it" "invalid parameter in option \`max_threads=x'" \
	-o max_threads=x "$T/r/back" "$T/r/mnt"
refused "-o max_threads=0 is refused" "-o max_threads=0: need a number from 1 to 100000" \
	-o max_threads=0 "$T/r/back" "$T/r/mnt"
done_testing
