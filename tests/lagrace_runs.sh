# Sourced after lib.sh by the tests that run lagrace: lr runs it and keeps
# what it printed, show prints that after a failure, sum, is and status_is
# read the run's --json summary and exit status, clean_after checks that it
# left nothing behind. Before sourcing, a test may set
#   LR             the lagrace to run (default $BUILD/lagrace)
#   LR_TMP         its TMPDIR, made here (default $T/tmp)
#   LR_TIMEOUT     seconds before timeout stops a run (default 60)
#   LR_JSON        where sum finds NAME.json (default $T)
#   LR_SHOW_LINES  the lines show prints at most (default 40)
# and define as_user CMD..., which runs lagrace as another user (default:
# as this one).
LR=${LR:-$BUILD/lagrace}
LR_TMP=${LR_TMP:-$T/tmp}
LR_TIMEOUT=${LR_TIMEOUT:-60}
LR_JSON=${LR_JSON:-$T}
LR_SHOW_LINES=${LR_SHOW_LINES:-40}
declare -F as_user >/dev/null || as_user() { "$@"; }
J=$H/jsonget
mkdir -p "$LR_TMP"

# Our runs' FUSE mounts and processes all name $T (mountpoints, lagfs's
# arguments, lagrace's --json): others running tests at the same time do
# not disturb these checks.
our_fuse_mounts() { grep -E ' - fuse(\.[^ ]+)? ' /proc/self/mountinfo | grep -F "$T/"; }
our_procs() { pgrep -f "$T/"; }
fuse_before=$(our_fuse_mounts)

# lr NAME ARGS...: run lagrace, out/err in $T/NAME.*, exit status in RC.
lr() {
	local name=$1; shift
	as_user env TMPDIR="$LR_TMP" timeout -k 5 "$LR_TIMEOUT" "$LR" "$@" \
		>"$T/$name.out" 2>"$T/$name.err"
	RC=$?
}
# show NAME: its output as TAP comments (after a failure).
show() { sed 's/^/# /' "$T/$1.out" "$T/$1.err" | tail -n "$LR_SHOW_LINES"; }
# sum NAME KEY: summary.KEY of NAME's --json document.
sum() { "$J" "$LR_JSON/$1.json" "summary.$2" 2>/dev/null; }
# is DESC NAME KEY OP WANT: summary.KEY OP WANT (test's -eq, -ge ...).
is() {
	local desc=$1 name=$2 key=$3 op=$4 want=$5 got
	got=$(sum "$name" "$key")
	if [ -n "$got" ] && [ "$got" "$op" "$want" ] 2>/dev/null; then
		check "$desc" 0
	else
		check "$desc" 1
		echo "# summary.$key is '$got', want $op $want"
		show "$name"
	fi
}
status_is() {	# status_is DESC NAME WANT
	check "$1" "$([ "$RC" -eq "$3" ]; echo $?)"
	[ "$RC" -eq "$3" ] || { echo "# exit status $RC, want $3"; show "$2"; }
}
# clean_after NAME: nothing of the run is left.
clean_after() {
	local m p
	m=$(our_fuse_mounts)
	p=$(our_procs)
	check "$1: no FUSE mount left" "$([ "$m" = "$fuse_before" ]; echo $?)"
	[ -z "$m" ] || echo "# $m"
	check "$1: no lagfs/lagrace process left" "$([ -z "$p" ]; echo $?)"
	[ -z "$p" ] || ps -o pid,args -p "$(echo $p | tr ' ' ,)" | sed 's/^/# /'
	check "$1: its temp dir is removed" "$([ -z "$(ls -A "$LR_TMP")" ]; echo $?)"
}
