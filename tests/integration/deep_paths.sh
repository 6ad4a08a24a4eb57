#!/usr/bin/env bash
# Files whose backing path is longer than PATH_MAX, where /proc cannot name
# them: lagfs still logs their path below the mount, exactly, in every
# event (cut at 4096 bytes, and then says so), path= rules match them, and
# after a rename of the file or of a directory above it the new path is
# what lagfs logs.
. "$(dirname "$0")/../lib.sh"

lagfs_start deep --rule 'read path=target.dat delay=30ms' || exit 1
M=$T/deep/mnt B=$T/deep/back L=$T/deep/log

# deep_dir ROOT LEN: make directories of 250-byte names (and a shorter last
# one) under ROOT, one at a time, until the path below ROOT is LEN bytes
# ("/ddd.../eee"); print that path.
deep_dir() {
	local root=$1 len=$2 rel='' c
	c=$(printf 'd%.0s' $(seq 250))
	while [ $(( ${#rel} + 251 )) -le "$len" ]; do rel=$rel/$c; done
	[ $(( len - ${#rel} )) -ge 2 ] && rel=$rel/$(printf 'e%.0s' $(seq $(( len - ${#rel} - 1 ))))
	( cd "$root" && for c in ${rel//\// }; do
		{ [ -d "$c" ] || mkdir "$c"; } && cd "$c" || exit 1
	done ) || return 1
	printf '%s\n' "$rel"
}
path_of_open() {	# path_of_open PID: the path of the open event of PID
	get_field "$L" path ev=open pid="$1"
}

# A file whose path below the mount is LEN bytes, in every event.
create_deep() {
	local desc=$1 len=$2 rel
	if ! rel=$(deep_dir "$M" $(( len - 2 ))); then
		check "$desc: mkdir the chain" 1
		return
	fi
	create_and_open "$desc" "$L" "$M" "$rel" f
}
b=${#B}
create_deep "path of $((4095 - b - 8)) bytes (backing path just under PATH_MAX)" $((4095 - b - 8))
# readlink(/proc/self/fd/N) cannot name these (BACKING_DIR plus the path
# reaches PATH_MAX): lagfs walks up the backing tree instead (deep_path.c).
create_deep "path of 4090 bytes (backing path over PATH_MAX)" 4090
create_deep "path of 4300 bytes, logged cut with path_cut" 4300

# 17 levels of 251 bytes: 4267 bytes below the mount, more with BACKING_DIR.
rel=$(deep_dir "$M" 4267) || { check "make a 17-level chain of 250-byte names" 1; done_testing; exit; }
echo "# chain of ${#rel} bytes below the mount, $(( ${#B} + ${#rel} )) in the backing dir"
# Written in the backing dir, so lagfs's page cache is cold for the read.
in_dir "$B" "$rel" sh -c 'head -c 4096 /dev/urandom >target.dat'
check "the file exists in the backing dir" $?

pid=$(in_dir "$M" "$rel" open_as r target.dat)
want=$rel/target.dat
got=$(path_of_open "$pid")
ok "open: the event has the path below the mount (${#want} bytes), cut at 4096" \
	test "$got" = "${want:0:4096}"
ok "  ... and says it was cut" has_event "$L" ev=open pid="$pid" path_cut=1

in_dir "$M" "$rel" cat target.dat >/dev/null
ok "a path= rule matches the deep file: its read was parked" \
	has_event "$L" ev=park op=read
d=$(get_field "$L" delay_ns ev=read how=delay)
ok "  ... and delayed by the rule (delay_ns ${d:-none} >= 30 ms)" test "${d:-0}" -ge 30000000

# Renames, with paths that still fit in an event (4096 bytes) but not in
# PATH_MAX with BACKING_DIR in front: 16 levels and a last directory, so
# the file is "$dir/a" at 4092 bytes below the mount.
dir=$(deep_dir "$M" 4016)
last=$(printf 'e%.0s' $(seq $(( 4096 - 4 - ${#dir} - 1 ))))
other=$(printf 'f%.0s' $(seq ${#last}))
in_dir "$M" "$dir" mkdir "$last" "$other"
echo "# rename tests: $(( ${#dir} + ${#last} + 3 )) bytes below the mount, $(( ${#B} + ${#dir} + ${#last} + 3 )) in the backing dir"
in_dir "$M" "$dir/$last" sh -c 'echo x >a'
pid=$(in_dir "$M" "$dir/$last" open_as r a)
ok "a file created there is named in full" \
	test "$(path_of_open "$pid")" = "$dir/$last/a"
in_dir "$M" "$dir/$last" mv a b
pid=$(in_dir "$M" "$dir/$last" open_as r b)
ok "after renaming the file, its open logs the new name" \
	test "$(path_of_open "$pid")" = "$dir/$last/b"
in_dir "$M" "$dir" mv "$last/b" "$other/b"
pid=$(in_dir "$M" "$dir/$other" open_as r b)
ok "after moving it to another directory, its open logs that directory" \
	test "$(path_of_open "$pid")" = "$dir/$other/b"
top=${dir#/}; top=${top%%/*}	# the first directory of the chain
new=$(printf 'r%.0s' $(seq ${#top}))
mv "$M/$top" "$M/$new"
moved=/$new${dir#/"$top"}
pid=$(in_dir "$M" "$moved/$other" open_as r b)
ok "after renaming a directory above it, the open logs the new path" \
	test "$(path_of_open "$pid")" = "$moved/$other/b"

ok "every line of the log parses" "$H/logcheck" "$L" valid
ok "every open and create has its release" quiet "$H/logcheck" "$L" pairs
lagfs_stop deep
ok "lagfs exits cleanly" test "$LAGFS_STATUS" = 0
done_testing
