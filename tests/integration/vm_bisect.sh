#!/usr/bin/env bash
# Bisecting in both directions. lagrace's exit status: --bisect, a hit is
# bad (1) and a clean run good (0); --bisect-fix the other way round (0 on
# a hit, the old "broken", 1 on a clean run, the new "fixed"); 125 for a
# run that could not run, either way. Then the README's two git bisect run
# recipes, word for word but for the paths and --iterations 5, on a toy
# kernel repository whose commits build fake kernels
# (tests/helpers/fake-kernel) that tests/helpers/fake-qemu plays in qemu's
# place: each must name the commit that changed the behaviour, past commits
# that do not build, do not boot or lack FUSE (git bisect's skip, 125).
. "$(dirname "$0")/../lib.sh"
need_fuse
LR=$LAGRACE_BIN

status() {	# status CMD...: the exit status, as text
	"$@" >/dev/null 2>&1
	echo $?
}
is() {		# is DESC WANT GOT
	[ "$2" = "$3" ] || echo "# want exit $2, got $3"
	check "$1" "$([ "$2" = "$3" ] && echo 0 || echo 1)"
}
# A hit in 3 iterations of async-dio is certain (lagfs holds the read until
# lagrace lets go); --engine sync never hits (the reap waits for the read).
is "--bisect, the race reproduced: 1 (bad)" 1 \
	"$(status "$LR" --bisect --iterations 3)"
is "--bisect, a clean run: 0 (good)" 0 \
	"$(status "$LR" --bisect --engine sync --iterations 2)"
is "--bisect-fix, the race reproduced: 0 (old: broken)" 0 \
	"$(status "$LR" --bisect-fix --iterations 3)"
is "--bisect-fix, a clean run: 1 (new: fixed)" 1 \
	"$(status "$LR" --bisect-fix --engine sync --iterations 2)"
is "--bisect-fix, could not run: 125 (skip)" 125 \
	"$(status "$LR" --bisect-fix --iterations 2 --lagfs /bin/false)"
is "--bisect-fix --tap: a usage error" 2 \
	"$(status "$LR" --bisect-fix --tap)"

command -v git >/dev/null || { skip "no git"; done_testing; exit; }
if why=$(guest_tools_missing); then skip "$why"; done_testing; exit; fi
export VM_RUN_QEMU=$TOP/tests/helpers/fake-qemu
export LAGFS_CACHE=$T/cache
export FAKE_KERNEL=$TOP/tests/helpers/fake-kernel

# toy_repo DIR BEHAVIOUR...: one commit per behaviour. `make bzImage`
# builds arch/x86/boot/bzImage from the file "behaviour" (and fails for
# build-fails); `make olddefconfig` writes a .config with FUSE and io_uring.
toy_repo() {
	local dir=$1 b i=0; shift
	mkdir -p "$dir" && cd "$dir" || return 1
	git init -q && git config user.email t@t && git config user.name t
	printf 'arch/\n.config\n' >.gitignore
	touch Kconfig
	cat >Makefile <<'EOF'
olddefconfig:
	printf 'CONFIG_FUSE_FS=y\nCONFIG_IO_URING=y\n' >.config
bzImage:
	test "$$(cat behaviour)" != build-fails
	mkdir -p arch/x86/boot
	"$(FAKE_KERNEL)" arch/x86/boot/bzImage "$$(cat behaviour)" 6.0.0-toy
modules:
.PHONY: olddefconfig bzImage modules
EOF
	for b in "$@"; do
		echo "$b" >behaviour
		git add -A && git commit -q --allow-empty -m "c$i $b"
		i=$((i + 1))
	done
	cd - >/dev/null
}
# commit DIR N: the hash of commit "cN ..."
commit() { git -C "$1" log --all --format='%H %s' | awk -v n="c$2" '$2 == n { print $1 }'; }

# The README's recipes, with this tree's vm-run and --accel tcg (the
# fake qemu knows no KVM).
vm_run="$TOP/scripts/vm-run --accel tcg"
regress="make olddefconfig && make -j\$(nproc) bzImage modules || exit 125; $vm_run --kernel . -- --bisect --scenario exit-punt --iterations 5"
fix="make olddefconfig && make -j\$(nproc) bzImage modules || exit 125; $vm_run --kernel . -- --bisect-fix --scenario exit-punt --iterations 5"

# The fake "broken" kernel is this machine's: exit-punt must hit here.
if [ "$(status "$LR" --bisect --scenario exit-punt --iterations 20)" != 1 ]; then
	skip "exit-punt does not reproduce on this kernel ($(uname -r)); the toy kernels' broken commits are this kernel"
	done_testing; exit
fi

# A regression: c6 brings the race. Commits that do not build, lack FUSE or
# panic are skipped, none next to c6 (else git cannot tell c5 from c6).
toy_repo "$T/regress" fixed nofuse panic fixed fixed fixed broken broken build-fails broken
(
	cd "$T/regress" &&
	git bisect start HEAD "$(commit . 0)" >/dev/null &&
	git bisect run sh -c "$regress" >"$T/regress.log" 2>&1
	echo $? >"$T/regress.st"
	git bisect reset >/dev/null 2>&1
)
ok "regression: git bisect run names the commit that brought the race" \
	grep -q "^$(commit "$T/regress" 6) is the first bad commit" "$T/regress.log"
# Whichever commits the bisection visited: each kind of broken commit is
# a skip, and each kind of good and bad commit what it is.
for c in 1:nofuse:125 2:panic:125 8:build-fails:125 0:fixed:0 6:broken:1; do
	IFS=: read -r n what want <<<"$c"
	git -C "$T/regress" checkout -q "$(commit "$T/regress" "$n")"
	is "regression recipe at a commit that is $what: $want" "$want" \
		"$(cd "$T/regress" && status sh -c "$regress")"
done

# A fix: the race goes away at c5, with skips as above.
toy_repo "$T/fix" broken panic broken broken broken fixed fixed nofuse build-fails fixed
(
	cd "$T/fix" &&
	git bisect start --term-old=broken --term-new=fixed HEAD "$(commit . 0)" >/dev/null &&
	git bisect run sh -c "$fix" >"$T/fix.log" 2>&1
	echo $? >"$T/fix.st"
	git bisect reset >/dev/null 2>&1
)
ok "fix: git bisect run with --bisect-fix names the commit that fixed it" \
	grep -q "^$(commit "$T/fix" 5) is the first fixed commit" "$T/fix.log"
for c in 0:broken:0 5:fixed:1 1:panic:125; do
	IFS=: read -r n what want <<<"$c"
	git -C "$T/fix" checkout -q "$(commit "$T/fix" "$n")"
	is "fix recipe at a commit that is $what: $want" "$want" \
		"$(cd "$T/fix" && status sh -c "$fix")"
done
if ! grep -q "is the first" "$T/regress.log" "$T/fix.log" || [ "$_failed" -gt 0 ]; then
	sed 's/^/# /' "$T/regress.log" "$T/fix.log" | grep -v '^# *\(#[0-9]\|[a-z ]*ms\|release\|busy\)' | head -80
fi
done_testing
