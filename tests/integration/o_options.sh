#!/usr/bin/env bash
# Every lagfs option works in its -o spelling too (-o rules=FILE,log=FILE,
# as mount(8) would pass them), a value takes libfuse's "\," for a comma,
# and a bad -o option is refused with one line and exit status 2.
. "$(dirname "$0")/../lib.sh"

# start_o NAME LAGFS_ARGS...: lagfs -f ARGS $T/NAME/back $T/NAME/mnt, with
# no long options of ours; waits for the "start" event in $T/NAME/log
# (which ARGS must name). Sets LAGFS_PID.
start_o() {
	local name=$1 d=$T/$1; shift
	mkdir -p "$d/back" "$d/mnt"
	"$LAGFS" -f "$@" "$d/back" "$d/mnt" 2>"$d/stderr" &
	LAGFS_PID=$!
	_pids+=("$LAGFS_PID")
	_mnts+=("$d/mnt")
	wait_for 10 has_event "$d/log" ev=start ||
		{ echo "# lagfs did not start: $(cat "$d/stderr")"; return 1; }
}

# One -o carries rules=, log=, control= and workers=; a second one a rule
# whose glob has an escaped comma.
D=$T/a
mkdir -p "$D"
printf 'read path=*.dat delay=50ms\n' >"$D/x.rules"
if start_o a -o "rules=$D/x.rules,log=$D/log,control=$D/sock,workers=3" \
	-o 'rule=read path=b\,c.txt delay=1ms'; then
	head -c 4096 /dev/urandom >"$D/back/a.dat"
	head -c 4096 /dev/urandom >"$D/back/b,c.txt"
	cat "$D/mnt/a.dat" "$D/mnt/b,c.txt" >/dev/null
	ok "-o rules=FILE,log=FILE: the file's delay applies and is logged" \
		has_event "$D/log" ev=read how=delay path=/a.dat
	d=$(get_field "$D/log" delay_ns ev=read path=/a.dat)
	ok "  ... for its 50 ms (delay_ns ${d:-none})" test "${d:-0}" -ge 50000000
	ok "-o control=PATH: the control socket answers" grep -qx ok <(ctl a ping)
	ok "-o 'rule=... b\\,c.txt ...': the comma is part of the rule" \
		grep -qx 'ok 2 rules: read path=b,c.txt delay=1ms; read path=\*.dat delay=50ms' \
		<(ctl a rules)
	ok "  ... and the rule matches b,c.txt" has_event "$D/log" ev=park op=read path=/b,c.txt
	n=$(grep -cx lagfs-dq /proc/"$LAGFS_PID"/task/*/comm | awk -F: '{s += $2} END {print s}')
	ok "-o workers=3: three delay-queue workers ($n)" test "$n" = 3
	lagfs_stop a
	check "and it stops cleanly" "$LAGFS_STATUS"
else
	check "lagfs -o rules=,log=,control=,workers=,rule= starts" 1
fi

# -o log_fd=N: the log goes to an inherited descriptor.
mkdir -p "$T/b"
exec 5>"$T/b/log"
if start_o b -o log_fd=5; then
	ok "-o log_fd=N: the log goes to descriptor N" has_event "$T/b/log" ev=start
	lagfs_stop b
else
	check "lagfs -o log_fd=5 starts" 1
fi
exec 5>&-

# -o no_xattr: the kernel's getxattr before each write never reaches lagfs
# (no_xattr.sh shows it does without the option).
mkdir -p "$T/c"
if start_o c -o "log=$T/c/log,no_xattr,rule=getxattr delay=1us"; then
	dd if=/dev/zero of="$T/c/mnt/f" bs=4k count=20 oflag=direct status=none
	ok "-o no_xattr: 20 writes and no getxattr reaches the rules" \
		test "$(count_events "$T/c/log" ev=park op=getxattr)" = 0
	ok "  ... and the data is written" test "$(stat -c %s "$T/c/back/f")" = 81920
	lagfs_stop c
else
	check "lagfs -o no_xattr starts" 1
fi

# -o remount: an unmount ends only the session (remount.sh has more).
mkdir -p "$T/d"
if start_o d -o "remount,log=$T/d/log"; then
	umount "$T/d/mnt" 2>/dev/null || fusermount3 -u "$T/d/mnt"
	ok "-o remount: lagfs mounts again after an unmount" \
		wait_for 10 eval '[ "$(count_events "$T/d/log" ev=start)" = 2 ]'
	kill -TERM "$LAGFS_PID"
	wait "$LAGFS_PID"
	check "  ... and SIGTERM stops it" $?
else
	check "lagfs -o remount starts" 1
fi

# The long spelling with "=" still works.
mkdir -p "$T/e"
if start_o e "--log=$T/e/log" '--rule=read delay=1ms'; then
	ok "--log=FILE --rule=RULE: the long options with '='" has_event "$T/e/log" ev=start
	lagfs_stop e
else
	check "lagfs --log=FILE --rule=RULE starts" 1
fi

# --help shows both spellings of each of lagfs's options, and a line for
# each key of a rule.
"$LAGFS" --help >"$T/help"
check "--help exits 0" $?
miss=()
for o in 'rule=RULE' 'rules=FILE' 'log=FILE' 'log_fd=N' 'control=PATH' \
	 'workers=N' remount no_xattr; do
	long=--${o%%=*}; long=${long//_/-}
	[[ $o == *=* ]] && long="$long ${o#*=}"
	grep -qE -- "^  $long, -o $o\$" "$T/help" || miss+=("$long / -o $o")
done
check "--help: each option as --NAME and -o NAME" "${#miss[@]}"
[ "${#miss[@]}" -eq 0 ] || printf '# missing: %s\n' "${miss[@]}"
miss=()
for k in path=GLOB delay=DUR jitter=DUR prob=P hold max=DUR keep direct_io eintr; do
	grep -qE -- "^  $k +[a-z]" "$T/help" || miss+=("$k")
done
check "--help: a line for each rule key" "${#miss[@]}"
[ "${#miss[@]}" -eq 0 ] || echo "# missing: ${miss[*]}"
ok "--help: libfuse's -o max_threads= too" grep -q -- '-o max_threads=N' "$T/help"

R=$T/r
refused "-o unknown_opt is refused" "unknown option" \
	-o unknown_opt "$R/back" "$R/mnt"
refused "-o workers=x is checked as --workers is" \
	"-o workers 'x': need a number from 1 to 64" -o workers=x "$R/back" "$R/mnt"
refused "-o rule=RULE is checked as --rule is" "rule 'raed': unknown op 'raed'" \
	-o rule=raed "$R/back" "$R/mnt"
refused "-o rule without a value" "option '-o rule' needs a value (-o rule=RULE)" \
	-o rule "$R/back" "$R/mnt"
refused "-o remount with a value" "option '-o remount' takes no value" \
	-o remount=yes "$R/back" "$R/mnt"
refused "--remount with a value" "option '--remount' takes no value" \
	--remount=yes "$R/back" "$R/mnt"
refused "-o log= and -o log_fd= exclude each other" "exclude each other" \
	-o "log=$T/x.log,log_fd=1" "$R/back" "$R/mnt"
refused "-o log_fd=99 (not open)" "-o log_fd '99': not an open file descriptor" \
	-o log_fd=99 "$R/back" "$R/mnt"
refused "-o rules=FILE that is missing" "rules file $T/nope.rules: No such file" \
	-o "rules=$T/nope.rules" "$R/back" "$R/mnt"
done_testing
