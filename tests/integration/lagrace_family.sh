#!/usr/bin/env bash
# The family of ways the last fput outlives the reap without any hold:
# uring-fixed-file (a file registered with an io_uring, its descriptor
# closed) and scm-rights-cycle (a file in flight over a unix socket in a
# reference cycle) reproduce the late release and EBUSY in 20/20 under
# --expect race; --explain names the holder of each, from the child's
# close to the RELEASE; the JSON keeps it, so `lagrace explain --json`
# tells the same. No run leaves a mount or a process behind.
. "$(dirname "$0")/../lib.sh"
need_fuse
. "$TOP/tests/lagrace_runs.sh"
# holders FILE: the holders the narration names, "a|b|".
joined() { awk '/^      / && NR > 1 { sub(/^ +/, " "); printf "%s", $0; next } NR > 1 { print "" } { printf "%s", $0 } END { print "" }' "$1"; }
holders() { joined "$1" | grep -o 'now held by [^:(]*' | sed 's/^now held by //; s/ *$//' | tr '\n' '|'; }

family() {	# family SCENARIO HOLDERS
	local s=$1 want=$2 got
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
	as_user "$LR" explain --json "$T/$s-x.json" --iteration 0 >"$T/$s-re.out" 2>&1
	got=$(holders "$T/$s-re.out")
	check "$s: explain --json names the same holders" "$([ "$got" = "$want" ]; echo $?)"
	clean_after "$s --explain"
}

family uring-fixed-file "the child|an io_uring ring's registered files|io_uring ring teardown|nobody|"
family scm-rights-cycle "the child|a message in flight on a unix socket|the unix garbage collector|nobody|"

done_testing
