#!/usr/bin/env bash
# lagrace's mitigations, as root or as an ordinary user (in user
# namespaces), read from its --json document: wait-release and lazy cannot
# fail the unmount by design, so they avoid EBUSY but not the late release;
# --expect race asks for the late release they hide, --expect clean fails
# on it. No run leaves a mount, a process or a temp dir.
. "$(dirname "$0")/../lib.sh"
need_fuse
. "$TOP/tests/lagrace_runs.sh"

lr wait --mitigate wait-release --iterations 10 --expect race --json "$T/wait.json"
check "wait-release --expect race: exit 0" "$([ "$RC" -eq 0 ]; echo $?)"
[ "$RC" -eq 0 ] || show wait
is "wait-release: no EBUSY" wait ebusy -eq 0
is "wait-release: still a late release in 10/10" wait late_release -eq 10
is "wait-release: so nothing reproduced" wait reproduced -eq 0
is "wait-release: unmounted 10/10" wait umount_ok -eq 10
is "wait-release: no errors" wait errors -eq 0
clean_after wait-release

lr lazy --mitigate lazy --iterations 5 --expect race --json "$T/lazy.json"
check "lazy --expect race: exit 0" "$([ "$RC" -eq 0 ]; echo $?)"
is "lazy: no EBUSY" lazy ebusy -eq 0
is "lazy: still a late release in 5/5" lazy late_release -eq 5
is "lazy: nothing reproduced" lazy reproduced -eq 0
lr lazyclean --mitigate lazy --iterations 2 --expect clean
status_is "lazy --expect clean: exit 1 (the late release is there)" lazyclean 1
is "lazy: no errors" lazy errors -eq 0
clean_after lazy

done_testing
