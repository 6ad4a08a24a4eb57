#!/usr/bin/env bash
# scripts/vm-run's promises, with tests/helpers/fake-qemu in qemu's place
# (fast and exact; vm_kernel.sh boots a real kernel): lagrace's stdout,
# stderr, files and exit status come back; a guest that cannot run lagrace
# (no FUSE, a panic, a timeout) is one line and 125; bad input is one line
# and 2 before anything boots; KVM that does not work falls back to TCG,
# says so, and is remembered; no qemu is left after a timeout, SIGINT or
# SIGTERM.
. "$(dirname "$0")/../lib.sh"
need_fuse
need_guest_tools
VMRUN=$TOP/scripts/vm-run
export VM_RUN_QEMU=$TOP/tests/helpers/fake-qemu
export LAGFS_CACHE=$T/cache
export FAKE_QEMU_LOG=$T/qemu.log
fk() { "$TOP/tests/helpers/fake-kernel" "$T/$1.img" "$1"; }
for b in broken fixed nofuse panic hang kvm-hang kvm-abort; do fk "$b"; done

# vm NAME VM-RUN-ARGS...: runs vm-run in $T/NAME/ (a directory of its own
# for lagrace's files); NAME.out, NAME.err, and NAME.st the exit status.
vm() {
	local n=$1; shift
	mkdir -p "$T/$n"
	: >"$FAKE_QEMU_LOG"
	(cd "$T/$n" && timeout 120 "$VMRUN" "$@" >"$T/$n.out" 2>"$T/$n.err")
	echo $? >"$T/$n.st"
}
st() { cat "$T/$1.st"; }
says() { grep -qF -- "$2" "$T/$1.err"; }
# one_line NAME STATUS WANT: exit STATUS and, of vm-run's own lines, one
# that contains WANT.
one_line() {
	local lines
	lines=$(grep -c '^vm-run: ' "$T/$1.err")
	if [ "$(st "$1")" = "$2" ] && [ "$lines" -eq 1 ] && says "$1" "$3"; then
		return 0
	fi
	echo "# exit $(st "$1"), stderr: $(head -c 400 "$T/$1.err")"
	return 1
}
no_qemu_left() {
	local pid
	for pid in $(awk '{ print $2 }' "$FAKE_QEMU_LOG"); do
		kill -0 "$pid" 2>/dev/null && { echo "# fake-qemu $pid still runs"; return 1; }
	done
	return 0
}

# lagrace's output, files and status come back
vm plain --kernel "$T/broken.img" --accel tcg -- --iterations 2 \
	--json r.json --svg=pic.svg
check "a run: lagrace's exit status 0" "$(st plain)"
ok "its stdout is ours, as lagrace printed it" \
	grep -q '^verdict: RACE REPRODUCED in every iteration$' "$T/plain.out"
ok "--json r.json came back and parses" \
	python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["summary"]["reproduced"] == 2' \
	"$T/plain/r.json"
ok "--svg=pic.svg came back" grep -q '</svg>' "$T/plain/pic.svg"
ok "lagrace's header names the files as given" \
	grep -q 'command: lagrace --iterations 2 --json r.json --svg=pic.svg$\|--json r.json --svg pic.svg$' "$T/plain.out"
ok "it says how long the boot and the run took" \
	grep -q '^vm-run: 6.0.0-fake: /init after [0-9.]* s, lagrace [0-9.]* s (tcg), exit 0$' "$T/plain.err"

cp "$T/plain/r.json" "$T/earlier.json"
vm explain --kernel "$T/broken.img" --accel tcg -- explain --json "$T/earlier.json" --iteration 1
ok "lagrace explain reads its --json file, which goes into the guest" \
	eval '[ "$(st explain)" = 0 ] && grep -q "iteration #1" "$T/explain.out"'

vm quote --kernel "$T/broken.img" --accel tcg -- --iterations 1 --quiet \
	--json "it's a \"name\".json"
ok "a file name with quotes and spaces comes back as given" \
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/quote/it's a \"name\".json"

vm expect --kernel "$T/broken.img" --accel tcg -- --iterations 1 --expect clean
check "lagrace's exit status 1 (--expect clean, the race reproduced) is ours" \
	"$([ "$(st expect)" = 1 ] && echo 0 || echo 1)"

vm usage --kernel "$T/broken.img" --accel tcg -- --bogus
ok "lagrace's stderr is ours (its usage error, exit 2)" \
	eval '[ "$(st usage)" = 2 ] && says usage "lagrace: unknown option '"'"'--bogus'"'"'" && [ ! -s "$T/usage.out" ]'

vm jsonout --kernel "$T/broken.img" --accel tcg -- --iterations 1 --json -
ok "--json -: our stdout is the JSON document alone" \
	python3 -c 'import json,sys; json.load(open(sys.argv[1]))' "$T/jsonout.out"
ok "--json -: the text went to stderr" grep -q '^verdict: ' "$T/jsonout.err"

vm fixed --kernel "$T/fixed.img" --accel tcg -- --iterations 1 --quiet
ok "a kernel without the late release: lagrace says so" \
	grep -q '^verdict: not reproduced' "$T/fixed.out"

# a guest that cannot run lagrace: one line, 125
vm nofuse --kernel "$T/nofuse.img" --accel tcg -- --iterations 1
ok "no FUSE in the guest: 125, one line" one_line nofuse 125 \
	"vm-run: 6.0.0-fake: no FUSE"
vm panic --kernel "$T/panic.img" --accel tcg -- --iterations 1
ok "a kernel panic: 125, one line" one_line panic 125 \
	"vm-run: 6.0.0-fake: kernel panic: not syncing: fake panic"
vm hang --kernel "$T/hang.img" --accel tcg --timeout 2 -- --iterations 1
ok "a guest that never answers: 125 after --timeout, one line" one_line hang 125 \
	"vm-run: 6.0.0-fake: timed out after 2 s (tcg) before /init"
ok "no qemu left after the timeout" no_qemu_left

# KVM that does not work: TCG, said and remembered
: >"$T/kvm"
export VM_RUN_KVM=$T/kvm VM_RUN_KVM_PROBE=1
vm kvm1 --kernel "$T/kvm-hang.img" -- --iterations 1 --quiet
ok "a KVM guest that shows nothing: TCG instead, and vm-run says so" \
	eval '[ "$(st kvm1)" = 0 ] && says kvm1 "TCG (a KVM guest did not reach /init in 1 s)" && [ "$(awk "{print \$3}" "$FAKE_QEMU_LOG" | tr "\n" " ")" = "kvm tcg " ]'
vm kvm2 --kernel "$T/kvm-hang.img" -- --iterations 1 --quiet
ok "the next run goes to TCG at once, and says why" \
	eval '[ "$(st kvm2)" = 0 ] && says kvm2 "TCG (KVM failed once since this host booted, as $LAGFS_CACHE/kvm-hung remembers: a KVM guest did not reach /init in 1 s)" && [ "$(awk "{print \$3}" "$FAKE_QEMU_LOG")" = tcg ]'
LAGFS_CACHE=$T/cache2 vm kvm-abort --kernel "$T/kvm-abort.img" -- --iterations 1 --quiet
ok "a qemu -accel kvm that aborts: TCG, with qemu's reason, and no word of the abort from bash" \
	eval '[ "$(st kvm-abort)" = 0 ] && says kvm-abort "TCG (qemu -accel kvm: qemu-system-x86_64: error: failed to set MSR 0x10a to 0x69)" && ! grep -q Aborted "$T/kvm-abort.err"'
vm kvm3 --kernel "$T/broken.img" --accel kvm -- --iterations 1 --quiet
ok "--accel kvm: KVM, as asked" \
	eval '[ "$(st kvm3)" = 0 ] && [ "$(awk "{print \$3}" "$FAKE_QEMU_LOG")" = kvm ]'
unset VM_RUN_KVM VM_RUN_KVM_PROBE

# bad input: one line, 2, nothing booted
bad() {
	local desc=$1 want=$2; shift 2
	vm bad --accel tcg "$@"
	ok "$desc: exit 2, one line" one_line bad 2 "$want"
	check "$desc: nothing booted" "$([ -s "$FAKE_QEMU_LOG" ] && echo 1 || echo 0)"
}
bad "a file that is not a kernel" "is not a Linux x86 kernel image" --kernel /etc/hostname
bad "an unknown kernel name" "no such file, and not a Debian kernel package, release or series" \
	--kernel no-such-kernel
bad "a series Debian does not have" "apt knows no linux-image-9.99.*-amd64" --kernel 9.99
mkdir -p "$T/notree"
bad "a directory that is no kernel tree" "no kernel tree" --kernel "$T/notree"
bad "no --kernel" "--kernel KERNEL is required"
bad "an unknown option" "unknown option '--kernal'" --kernal x
bad "--mem without a size" "--mem 'lots'" --kernel "$T/broken.img" --mem lots
bad "--json into a missing directory" "--json no/such/r.json: No such file or directory" \
	--kernel "$T/broken.img" -- --json no/such/r.json
mkdir -p "$T/tree" && touch "$T/tree/Makefile" "$T/tree/Kconfig"
vm tree --kernel "$T/tree" --accel tcg
ok "a kernel tree without a built bzImage: 125, one line" one_line tree 125 \
	"no arch/x86/boot/bzImage: not built"

# SIGINT and SIGTERM: vm-run stops qemu and exits 128+signal
for sig in INT TERM; do
	: >"$FAKE_QEMU_LOG"
	# Job control: else a background job ignores SIGINT, and so would
	# the shell in it.
	set -m
	"$VMRUN" --kernel "$T/hang.img" --accel tcg -- --iterations 1 \
		>/dev/null 2>"$T/sig.err" &
	pid=$!
	set +m
	wait_for 30 test -s "$FAKE_QEMU_LOG"
	kill -"$sig" "$pid"
	wait "$pid"
	rc=$?
	want=$([ "$sig" = INT ] && echo 130 || echo 143)
	check "SIG$sig: vm-run exits $want" "$([ "$rc" = "$want" ] && echo 0 || echo 1)"
	ok "SIG$sig: no qemu left" no_qemu_left
done
done_testing
