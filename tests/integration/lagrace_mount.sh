#!/usr/bin/env bash
# lagrace --mount DIR --log FILE --control SOCK: a lagfs that somebody else
# mounted, with nothing hidden in its backing directory. With a rule that
# holds reads, the built-in engine reproduces (lagrace makes
# its lag-0.lag through the mount); with -- CMD, the user's program
# reproduces on the files that are there; a lagfs without a rule that
# parks, a log that cannot be read or a socket that does not answer is
# refused before anything runs. lagrace never unmounts that lagfs.
. "$(dirname "$0")/../mount_ns.sh"
namespace_root "$0" "$@"
. "$(dirname "$0")/../lib.sh"
[ "$(id -u)" -eq 0 ] || skip_all "needs root or a user namespace, for MNT_EXPIRE"
need_fuse
. "$TOP/tests/lagrace_runs.sh"
use() { echo --mount "$T/$1/mnt" --log "$T/$1/log" --control "$T/$1/sock"; }

lagfs_start m --rule 'read hold' || exit 1
m_pid=$LAGFS_PID
lr eng $(use m) --iterations 3 --expect race --json "$T/eng.json"
status_is "the built-in engine on a lagfs mounted by hand: exit 0" eng 0
is "it reproduced in 3/3" eng reproduced -eq 3
ok "lagrace made lag-0.lag through the mount" test -s "$T/m/back/lag-0.lag"
ok "and left the lagfs mounted" is_mounted "$T/m/mnt"

# -- CMD on it: the files are the ones in its backing directory.
head -c 8192 /dev/urandom >"$T/m/back/r0"
lr cmd $(use m) --iterations 3 --expect race --json "$T/cmd.json" \
	-- "$H/fork_readers" 1 uring
status_is "-- CMD on a lagfs mounted by hand: exit 0" cmd 0
is "it reproduced in 3/3" cmd reproduced -eq 3
ok "the lagfs is still mounted" is_mounted "$T/m/mnt"

# Refused before anything runs: exit 2, one line.
refuse() {
	local desc=$1 want=$2; shift 2
	lr bad "$@"
	check "$desc: exit 2, one line ($(head -c 300 "$T/bad.err"))" \
		"$([ "$RC" = 2 ] && [ "$(wc -l <"$T/bad.err")" = 1 ] &&
		   grep -qF -- "$want" "$T/bad.err"; echo $?)"
}
lagfs_start n || exit 1
refuse "a lagfs without a rule that parks" "its lagfs has no rule that parks a request" $(use n)
refuse "-- CMD on it" "its lagfs has no rule that parks a request" $(use n) -- true
refuse "a log that is not there" "--log $T/none: No such file or directory" \
	--mount "$T/n/mnt" --log "$T/none" --control "$T/n/sock"
refuse "a socket that is not there" "--control $T/none" \
	--mount "$T/n/mnt" --log "$T/n/log" --control "$T/none"
refuse "--rule with --mount" "--rule and --rules go with a lagfs that lagrace mounts" \
	$(use m) --rule 'read hold' -- true
lagfs_stop n
LAGFS_PID=$m_pid lagfs_stop m   # lagfs_stop waits for LAGFS_PID
clean_after "--mount"
done_testing
