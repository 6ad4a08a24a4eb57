#!/usr/bin/env bash
# fstests' fsstress, generic/388's workload, run unmodified under lagrace
# with examples/fsstress.rules and the README's options: the late release
# and EBUSY in every one of 20 iterations. fsstress is not in Debian: the
# test uses $FSSTRESS, else fsstress in $PATH, else an fstests build in
# /work/fstests, and is skipped without one.
. "$(dirname "$0")/../lib.sh"
need_fuse
. "$TOP/tests/lagrace_runs.sh"

fss=${FSSTRESS:-$(command -v fsstress || echo /work/fstests/ltp/fsstress)}
[ -x "$fss" ] || skip_all "no fsstress (build ltp/fsstress of fstests; FSSTRESS=PATH)"
"$fss" -H 2>&1 | grep -qw uring_read ||
	skip_all "$fss has no uring_read op (built without liburing)"

lr fss --iterations 20 --rules "$TOP/examples/fsstress.rules" --expect race \
	--json "$T/fss.json" -- "$fss" -d '{mnt}/d' -z -f creat=2 -f write=4 \
	-f uring_read=8 -n 1000 -p 4
status_is "fsstress under examples/fsstress.rules --expect race: exit 0" fss 0
is "fsstress: reproduced in 20/20" fss reproduced -eq 20
is "fsstress: no errors" fss errors -eq 0
clean_after "fsstress"
done_testing
