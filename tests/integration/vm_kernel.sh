#!/usr/bin/env bash
# One real kernel under qemu: Debian's newest 6.12 (downloaded once into
# the cache, ${XDG_CACHE_HOME:-$HOME/.cache}/lagfs/kernels), through
# scripts/vm-run. The default scenario reproduces there (--expect race) and
# the sync engine does not (--expect clean), the --json and --svg files come
# back, a kernel that panics is one line and 125, and SIGTERM leaves no
# qemu. Skipped, with the reason, where qemu, busybox-static, cpio or the
# kernel package cannot be had.
. "$(dirname "$0")/../lib.sh"
# vm-run boots build-static's lagrace whatever LAGFS_BUILD says: once is
# enough (make check-sanitize runs the suite again on build-san).
[ "$BUILD" -ef "$TOP/build" ] ||
	skip_all "boots build-static's lagrace, not $BUILD's; make check boots it"
command -v qemu-system-x86_64 >/dev/null ||
	skip_all "no qemu-system-x86_64 (Debian package qemu-system-x86)"
need_guest_tools
VMRUN=$TOP/scripts/vm-run
KERNEL=${LAGFS_TEST_KERNEL:-6.12}
rel=$("$VMRUN" --kernel "$KERNEL" --fetch 2>"$T/fetch.err") ||
	skip_all "Debian's $KERNEL kernel cannot be had here: $(tail -n1 "$T/fetch.err")"

# vm NAME ARGS...: vm-run in $T/NAME/, output in NAME.out and NAME.err,
# exit status in NAME.st
vm() {
	local n=$1; shift
	mkdir -p "$T/$n"
	(cd "$T/$n" && "$VMRUN" --kernel "$KERNEL" --console "$T/$n.console" \
		"$@" >"$T/$n.out" 2>"$T/$n.err")
	echo $? >"$T/$n.st"
	# vm-run's last line: how long the boot and lagrace took
	grep '^vm-run: ' "$T/$n.err" | sed 's/^/# /'
}
st() { cat "$T/$1.st"; }
# show NAME STATUS: when the exit status is not STATUS, what vm-run and
# lagrace said, and the guest's console from its first oops or panic
show() {
	[ "$(st "$1")" != "$2" ] || return 0
	echo "# exit $(st "$1"):"
	sed 's/^/#   /' "$T/$1.err" "$T/$1.out" | tail -n 30
	echo "# the guest's console:"
	sed -n '/Oops\|BUG:\|panic\|WARNING:/,$p' "$T/$1.console" | head -n 60 | sed 's/^/#   /'
}

vm race -- --iterations 5 --expect race --json race.json
show race 0
check "$rel: the default scenario reproduces in 5 of 5 (--expect race)" "$(st race)"
ok "its --json came back, from kernel $rel" python3 -c '
import json, sys
d = json.load(open(sys.argv[1]))
assert d["run"]["kernel"] == sys.argv[2], d["run"]["kernel"]
assert d["summary"]["reproduced"] == 5' "$T/race/race.json" "$rel"
ok "the guest knows its HZ from the package's config" \
	grep -q "^lagrace .*, kernel $rel, HZ 250\$" "$T/race.out"

vm sync -- --engine sync --iterations 3 --expect clean --svg sync.svg
show sync 0
check "$rel: the sync engine never reproduces (--expect clean)" "$(st sync)"
ok "its --svg came back" grep -q '</svg>' "$T/sync/sync.svg"

# rdinit= names no /init: the kernel panics, finding no root either.
vm panic --quiet --append rdinit=/no-such-init -- --iterations 1
show panic 125
check "a kernel that panics: 125" "$([ "$(st panic)" = 125 ] && echo 0 || echo 1)"
ok "and one line that says so" eval '[ "$(grep -c "^vm-run: " "$T/panic.err")" -eq 1 ] &&
	grep -q "^vm-run: .*: kernel panic: not syncing: " "$T/panic.err"'

# SIGTERM while the guest boots: vm-run stops qemu and exits 143.
"$VMRUN" --kernel "$KERNEL" -- --iterations 1 >/dev/null 2>"$T/term.err" &
pid=$!
qemu_of() { pgrep -P "$pid" -f qemu-system; }
if wait_for 60 quiet qemu_of; then
	q=$(qemu_of)
	kill -TERM "$pid"
	wait "$pid"
	rc=$?
	check "SIGTERM: vm-run exits 143" "$([ "$rc" = 143 ] && echo 0 || echo 1)"
	ok "SIGTERM: its qemu ($q) is gone" eval '! kill -0 "$q" 2>/dev/null'
else
	check "SIGTERM: qemu started" 1
	kill -TERM "$pid"; wait "$pid"
fi
done_testing
