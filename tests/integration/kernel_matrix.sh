#!/usr/bin/env bash
# scripts/kernel-matrix: one table with a column per kernel and a row per
# row of lagrace matrix, cells "reproduced/iterations"; a kernel that cannot
# run its matrix keeps its column, says why below the table, and makes the
# exit status 1. With tests/helpers/fake-qemu in qemu's place (a fake
# kernel that plays this machine's, one without FUSE) and this kernel
# natively.
. "$(dirname "$0")/../lib.sh"
need_fuse
need_guest_tools
export VM_RUN_QEMU=$TOP/tests/helpers/fake-qemu LAGFS_CACHE=$T/cache
"$TOP/tests/helpers/fake-kernel" "$T/broken.img" broken 6.0.0-one
"$TOP/tests/helpers/fake-kernel" "$T/nofuse.img" nofuse 6.0.0-two
mkdir -p "$T/o"
"$TOP/scripts/kernel-matrix" --iterations 1 --accel tcg --out "$T/o" "$T/broken.img" \
	"$T/nofuse.img" native >"$T/out" 2>"$T/err"
st=$?
sed 's/^/# /' "$T/out"
check "exit 1: one kernel had no matrix" "$([ "$st" = 1 ] && echo 0 || echo 1)"
rows=$("$LAGRACE_BIN" matrix --iterations 1 2>/dev/null | grep -c '^| [^-c]')
re() { sed 's/[.+]/\\&/g' <<<"$1"; }
ok "the header names the kernels: the fake one (this one's lagrace), the one without FUSE, this one" \
	grep -qE "^\| child IO \| $(re "$(uname -r)") \(HZ [0-9]+\) \| $(re "$T")/nofuse\.img: no matrix \| $(re "$(uname -r)") \(HZ [0-9]+\) \|$" "$T/out"
table=$(grep '^| ' "$T/out" | grep -v '^| child IO \|^| --- ')
ok "a line per row of lagrace matrix ($rows)" eval '[ "$(grep -c . <<<"$table")" = "$rows" ]'
ok "each row: its name, hits/1 (and what else) for the two kernels that ran, - for the other" \
	eval '! grep -vE "^\| [^|]+ \| [01]/1( \([^|]+\))? \| - \| [01]/1( \([^|]+\))? \|$" <<<"$table" | grep -q .'
ok "async DIO reproduced in both" \
	grep -qxF '| io_uring, O_DIRECT (async DIO) | 1/1 | - | 1/1 |' "$T/out"
ok "below: why the kernel without FUSE had no matrix" \
	grep -q "^- .*nofuse.img: no matrix: 6.0.0-two: no FUSE" "$T/out"
ok "below: how the others ran" eval 'grep -q "^- .* (HZ [0-9]*): 6.0.0-one under TCG: /init after [0-9.]* s, matrix [0-9.]* s; [0-9]* s in all$" "$T/out" &&
	grep -q "this machine.s kernel, natively" "$T/out"'
whole_matrices() {
	local f
	ls "$T/o" | tr "\n" " " | grep -qx "0-.*broken.img.md 1-.*nofuse.img.md 2-native.md " || return 1
	for f in "$T/o/0-"*broken.img.md "$T/o/2-native.md"; do
		grep -q "^| child IO | reproduced | late release | EBUSY |" "$f" || return 1
	done
}
ok "--out: each kernel's whole matrix, all its columns" whole_matrices
ok "vm-run's progress went to stderr" grep -q '^vm-run: 6.0.0-one: /init after' "$T/err"
done_testing
