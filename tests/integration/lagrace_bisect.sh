#!/usr/bin/env bash
# lagrace --bisect's exit statuses, for git bisect run: 1 (bad) when the
# race reproduced, 0 (good) when nothing was late (the sync engine); (125,
# could not run, is lagrace_could_not_run's). No run leaves a mount, a
# process or a temp dir.
. "$(dirname "$0")/../lib.sh"
need_fuse
. "$TOP/tests/lagrace_runs.sh"

lr bisect_bad --bisect --iterations 3
status_is "--bisect, the race reproduced: exit 1 (bad)" bisect_bad 1
clean_after "--bisect"
lr bisect_good --bisect --engine sync --iterations 2
status_is "--bisect --engine sync, no late release: exit 0 (good)" bisect_good 0
clean_after "--bisect --engine sync"

done_testing
