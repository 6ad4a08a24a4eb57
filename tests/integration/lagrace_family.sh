#!/usr/bin/env bash
# The family of ways the last fput outlives the reap without any hold:
# uring-fixed-file (a file registered with an io_uring, its descriptor
# closed; sqpoll-fixed-file the same on an SQPOLL ring) and scm-rights-cycle (a file in flight over a unix socket in a
# reference cycle) reproduce the late release and EBUSY in 20/20 under
# --expect race; --explain names the holder of each, from the child's
# close to the RELEASE; the JSON keeps it, so `lagrace explain --json`
# tells the same. With --fs tmpfs (and --fs-dir, a bind mount of a user's
# directory) the same EBUSY 20/20, judged from the kernel's probe alone.
# No run leaves a mount or a process behind.
. "$(dirname "$0")/../lib.sh"
need_fuse
. "$TOP/tests/lagrace_runs.sh"
# holders FILE: the holders the narration names, "a|b|".
joined() { awk '/^      / && NR > 1 { sub(/^ +/, " "); printf "%s", $0; next } NR > 1 { print "" } { printf "%s", $0 } END { print "" }' "$1"; }
export -f joined
holders() { joined "$1" | grep -o 'now held by [^:(]*' | sed 's/^now held by //; s/ *$//' | tr '\n' '|'; }

family() {	# family SCENARIO HOLDERS WORK
	local s=$1 want=$2 work=$3 got
	lr "$s" --scenario "$s" --iterations 20 --expect race --json "$T/$s.json"
	status_is "$s --expect race: exit 0" "$s" 0
	is "$s: late release in 20/20" "$s" late_release -eq 20
	is "$s: EBUSY in 20/20" "$s" ebusy -eq 20
	is "$s: no errors" "$s" errors -eq 0
	clean_after "$s"
	lr "$s-x" --scenario "$s" --explain --json "$T/$s-x.json"
	got=$(holders "$T/$s-x.out")
	check "$s --explain: the holders are $want" "$([ "$got" = "$want" ]; echo $?)"
	[ "$got" = "$want" ] || { echo "# got: $got"; show "$s-x"; }
	# As root lagrace traces: the kernel shows the work that holds it.
	if [ "$(id -u)" -eq 0 ] && grep -q '^kernel trace: tracepoint' "$T/$s-x.out"; then
		ok "$s --trace: the kernel shows $work holding the file" \
			bash -c 'joined "$1" | grep -q "now held by [^:]*: the kernel.s trace shows it: $2 runs in"' - "$T/$s-x.out" "$work"
	else
		skip "$s --trace: root's, with the kernel's fuse events"
	fi
	as_user "$LR" explain --json "$T/$s-x.json" --iteration 0 >"$T/$s-re.out" 2>&1
	got=$(holders "$T/$s-re.out")
	check "$s: explain --json names the same holders" "$([ "$got" = "$want" ]; echo $?)"
	clean_after "$s --explain"
}

family uring-fixed-file "the child|an io_uring ring's registered files|io_uring ring teardown|nobody|" io_ring_exit_work
family scm-rights-cycle "the child|a message in flight on a unix socket|the unix garbage collector|nobody|" __unix_gc
family sqpoll-fixed-file "the child|an io_uring ring's registered files|io_uring ring teardown|nobody|" io_ring_exit_work

# Not FUSE's doing: the same on a tmpfs of lagrace's own, where the
# kernel's EBUSY and the MNT_EXPIRE probe are all there is to see.
other_fs() {	# other_fs SCENARIO NAME N ARGS...
	local s=$1 n=$2 k=$3; shift 3
	lr "$n" --scenario "$s" --iterations "$k" --expect race --json "$T/$n.json" "$@"
	status_is "$s $*: --expect race: exit 0" "$n" 0
	is "$s $*: EBUSY in $k/$k" "$n" ebusy -eq "$k"
	is "$s $*: busy after the reap, free later, in $k/$k" "$n" late_release -eq "$k"
	is "$s $*: no errors" "$n" errors -eq 0
	ok "$s $*: no RELEASE event, and it says why" \
		grep -q "no RELEASE to see on" "$T/$n.out"
	clean_after "$s $*"
}
other_fs uring-fixed-file fixed-tmpfs 20 --fs tmpfs
other_fs scm-rights-cycle scm-tmpfs 20 --fs tmpfs
other_fs sqpoll-fixed-file sqpoll-tmpfs 20 --fs tmpfs
# --fs-dir: a directory of the user's, bind-mounted; lagrace's files in it
# are gone afterwards and the directory is not a mount point.
mkdir -p "$T/userdir"
chmod 0777 "$T/userdir"
other_fs uring-fixed-file fixed-dir 5 --fs-dir "$T/userdir"
check "--fs-dir: nothing of lagrace's left in the directory" \
	"$([ -z "$(ls -A "$T/userdir")" ]; echo $?)"
check "--fs-dir: the directory is not left a mount point" \
	"$(! grep -qF " $T/userdir " /proc/self/mountinfo; echo $?)"

done_testing
