#!/usr/bin/env bash
# lagrace [options] -- CMD: the user's own workload under the user's rules.
# fio (io_uring, O_DIRECT) under 'read hold' reproduces in 20/20; a
# workload whose readers are grandchildren in sessions of their own
# (tests/helpers/fork_readers) is killed whole: every grandchild is dead
# before the reap (a FIFO they hold sees EOF between the kill and the
# reap) and the verdict counts all their files; --kill-on park:N,
# --kill-after and --kill-at kill when they say, read from the run's own
# timestamps and lagfs's events; {mnt}, LAGRACE_MNT, LAGRACE_ITERATION and
# the working directory; a fresh --populate'd backing directory each
# iteration. Nothing is left behind.
. "$(dirname "$0")/../lib.sh"
need_fuse
. "$TOP/tests/lagrace_runs.sh"
J=$H/jsonget
it() { "$J" "$T/$1.json" "iterations.$2.$3" 2>/dev/null; }

mkdir -p "$T/pop"
for i in 0 1 2; do head -c 8192 /dev/urandom >"$T/pop/r$i"; done

if command -v fio >/dev/null; then
	lr fio --iterations 20 --rule 'read hold' --expect race --json "$T/fio.json" \
		-- fio --name=r --filename=f --size=1M --rw=read \
		--ioengine=io_uring --direct=1
	status_is "fio under 'read hold' --expect race: exit 0" fio 0
	is "fio: reproduced in 20/20" fio reproduced -eq 20
	is "fio: no errors" fio errors -eq 0
	check "fio: the run says engine command" \
		"$([ "$("$J" "$T/fio.json" run.engine)" = command ]; echo $?)"
	check "fio: and scenario none" \
		"$([ "$("$J" "$T/fio.json" run.scenario)" = none ]; echo $?)"
	check "fio: its only lagfs rule is the user's" \
		"$([ "$("$J" "$T/fio.json" run.lagfs_rules)" = '["read hold"]' ]; echo $?)"
	clean_after "fio"
else
	skip "fio is not installed (Debian package fio)"
fi

# Grandchildren in sessions of their own, killed whole: a dying process
# closes its files, and close sends FLUSH and waits for lagfs's answer, so
# lagfs's flush of a grandchild's file comes before that grandchild is
# dead. One that escaped the kill would never close it.
lr gc --iterations 1 --rule 'read hold' --kill-on park:3 --populate "$T/pop" \
	--json "$T/gc.json" -- "$H/fork_readers" 3 uring
status_is "fork_readers 3 uring: exit 0" gc 0
flushes=$("$J" "$T/gc.json" iterations.0.events | python3 -c 'import json, sys
ev = json.load(sys.stdin)
print(" ".join(str(e["t_ns"]) for e in ev if e["ev"] == "flush"))')
reap=$(it gc 0 times_ns.reap)
set -- $flushes
between=0
for f in $flushes; do [ "$f" -gt 0 ] && [ "$f" -lt "$reap" ] || between=1; done
check "each of the 3 grandchildren closed its file after the kill and before the reap ($flushes; reap $reap)" \
	"$([ $# = 3 ] && [ $between = 0 ]; echo $?)"
check "the verdict counts the 3 grandchildren's files" \
	"$([ "$(it gc 0 child_opens)" = 3 ]; echo $?)"
check "all 3 released after the reap" "$([ "$(it gc 0 releases_after_reap)" = 3 ]; echo $?)"
check "it reproduced" "$([ "$(it gc 0 verdict)" = reproduced ]; echo $?)"
check "the first unmount came after the reap" \
	"$([ "$(it gc 0 times_ns.first_umount)" -gt "$(it gc 0 times_ns.reap)" ]; echo $?)"
# --kill-on park:3: the kill came after the third park, and io_arrived is it
parks=$("$J" "$T/gc.json" iterations.0.events | python3 -c 'import json, sys
ev = json.load(sys.stdin)
print(" ".join(str(e["t_ns"]) for e in ev if e["ev"] == "park"))')
set -- $parks
check "--kill-on park:3: three parks, all before the kill ($parks)" \
	"$([ $# = 3 ] && [ "$1" -lt 0 ] && [ "$2" -lt 0 ] && [ "$3" -lt 0 ]; echo $?)"
check "--kill-on park:3: the third park is the trigger" \
	"$([ "$(it gc 0 times_ns.io_arrived)" = "$3" ]; echo $?)"
"$LR" explain --json "$T/gc.json" --iteration 0 >"$T/gc.story" 2>&1
ok "its story names the parks' senders as the workload's processes" \
	grep -qE 'read of /r[0-2] arrived from pid [0-9]+ of the workload' "$T/gc.story"
ok "and calls none of them an io-wq worker" eval '! grep -q "io-wq worker" "$T/gc.story"'
clean_after "grandchildren"

# --kill-after: the parks come at once, the kill 300 ms after the start.
# (The rule from a --rules file, with a comment and a blank line.)
printf '# held until lagrace lets go\n\n  read hold   # all reads\n' >"$T/r.rules"
lr after --iterations 2 --rules "$T/r.rules" --kill-after 300ms --populate "$T/pop" \
	--json "$T/after.json" -- "$H/fork_readers" 1 uring
status_is "--kill-after 300ms: exit 0" after 0
check "--rules: its one rule, without the comments and blanks" \
	"$([ "$("$J" "$T/after.json" run.lagfs_rules)" = '["read hold"]' ]; echo $?)"
for i in 0 1; do
	f=$(( -$(it after $i times_ns.fork) ))
	a=$(( -$(it after $i times_ns.io_arrived) ))
	check "--kill-after 300ms, #$i: the kill $((f / 1000)) us after the fork, >= 300 ms, < 1 s" \
		"$([ "$f" -ge 300000000 ] && [ "$f" -lt 1000000000 ]; echo $?)"
	check "--kill-after, #$i: not at the park ($((a / 1000)) us before the kill)" \
		"$([ "$a" -gt 0 ] && [ $((f - a)) -lt 300000000 ]; echo $?)"
done

# --kill-at: within MIN..MAX, at moments that differ, the same for a seed.
kat() {
	lr "$1" --iterations 4 --seed "$2" --rule 'read hold' --kill-at 100ms..600ms \
		--populate "$T/pop" --json "$T/$1.json" -- "$H/fork_readers" 1 uring
	for i in 0 1 2 3; do echo $(( -$(it "$1" $i times_ns.fork) )); done
}
at1=$(kat at1 7)
at2=$(kat at2 7)
at3=$(kat at3 8)
inside=0
for f in $at1; do [ "$f" -ge 100000000 ] && [ "$f" -lt 1000000000 ] || inside=1; done
check "--kill-at 100ms..600ms: each kill 100 ms or more after the fork ($(echo $at1))" $inside
ms() { for f in $1; do echo $((f / 1000000)); done | tr '\n' ' '; }
# same: every moment within 5 ms of the other run's
same() { python3 -c 'import sys; a, b = (list(map(int, x.split())) for x in sys.argv[1:])
sys.exit(0 if all(abs(x - y) < 5000000 for x, y in zip(a, b)) else 1)' "$1" "$2"; }
check "--kill-at: the moments differ from one iteration to the next" \
	"$([ "$(printf '%s\n' $at1 | sort -u | wc -l)" -gt 1 ]; echo $?)"
check "--kill-at: --seed 7 twice gives the same moments, to 5 ms ($(ms "$at1")/ $(ms "$at2")ms)" \
	"$(same "$at1" "$at2"; echo $?)"
check "--kill-at: --seed 8 other ones ($(ms "$at3")ms)" "$(! same "$at1" "$at3"; echo $?)"
clean_after "kill-after, kill-at"

# {mnt}, the environment, the working directory; a fresh backing
# directory: the file made in iteration 0 is gone in iteration 1.
cat >"$T/env.sh" <<'SH'
#!/bin/sh
[ -e made ] && echo "stale: made is there in iteration $LAGRACE_ITERATION" >>"$2/log"
echo "arg=$1 mnt=$LAGRACE_MNT cwd=$(pwd) it=$LAGRACE_ITERATION" >>"$2/log"
: >made
exec "$3" 1 uring
SH
chmod +x "$T/env.sh"
mkdir -p "$T/envout"
lr env --iterations 2 --rule 'read hold' --populate "$T/pop" \
	-- "$T/env.sh" "at:{mnt}:{mnt}" "$T/envout" "$H/fork_readers"
status_is "a script as the workload: exit 0" env 0
ok "{mnt} in an argument is the mountpoint, cwd too, iteration 0" \
	grep -qE '^arg=at:(/[^:]*/mnt):\1 mnt=\1 cwd=\1 it=0$' "$T/envout/log"
ok "iteration 1 has LAGRACE_ITERATION=1" grep -q ' it=1$' "$T/envout/log"
ok "each iteration has a fresh backing directory" eval '! grep -q stale "$T/envout/log"'
clean_after "env"

# A relative CMD is found from lagrace's working directory, not the
# mountpoint's.
(cd "$H" && lr rel --iterations 1 --rule 'read hold' --populate "$T/pop" \
	-- ./fork_readers 1 uring; exit "$RC")
check "-- ./fork_readers from its directory: exit 0" $?

# The workload's standard output goes to lagrace's standard error: --json -
# and --tap keep standard output theirs.
lr noisy --iterations 1 --rule 'read hold' --populate "$T/pop" --json - \
	-- sh -c 'echo noise-from-the-workload; exec "$1" 1 uring' - "$H/fork_readers"
status_is "a workload that prints, with --json -: exit 0" noisy 0
ok "standard output is the JSON document alone" "$J" "$T/noisy.out" summary.reproduced
ok "the workload's line is on standard error" grep -qx noise-from-the-workload "$T/noisy.err"
done_testing
