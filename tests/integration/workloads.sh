#!/usr/bin/env bash
# Real workloads through lagfs: a random operation mix (opmix) checked
# against its own model of the files, with and without delay rules; fio
# random read/write with data verification through psync and io_uring; a
# git repository built, checked and cloned inside the mount. Every open
# must get its release.
. "$(dirname "$0")/../lib.sh"

# CMD... under a time limit, so a lagfs that stops answering fails the
# test instead of hanging it.
limit() { timeout -k 5 "$@"; }

# comment TEXT: TAP comment lines.
comment() { sed 's/^/# /' <<<"$1"; }

# same_tree A B: no difference, symlinks compared as symlinks; shows some.
same_tree() {
	local out
	out=$(diff -r --no-dereference "$1" "$2" 2>&1) && return 0
	comment "$(head -n 20 <<<"$out")"
	return 1
}

# run_opmix DESC DIR ARGS...: opmix in DIR; shows its summary line.
run_opmix() {
	local desc=$1 dir=$2 out st
	shift 2
	mkdir "$dir" || { check "$desc" 1; return; }
	out=$(limit 60 "$H/opmix" "$dir" "$@" 2>&1); st=$?
	comment "$(tail -n 25 <<<"$out")"
	check "$desc" "$st"
}

# stopped NAME: unmount, lagfs exits 0, and every open had its release.
stopped() {
	local out st
	lagfs_stop "$1"
	check "$1: lagfs exits 0 after unmount" "$LAGFS_STATUS"
	out=$("$H/logcheck" "$T/$1/log" pairs 2>&1); st=$?
	comment "$out"
	# "release of fh F without open (line N)": the events of F around N
	if [[ $out =~ fh\ ([0-9]+)\ .*line\ ([0-9]+) ]]; then
		comment "$(awk -v fh="\"fh\":${BASH_REMATCH[1]}," \
			-v n="${BASH_REMATCH[2]}" \
			'NR >= n - 4 && NR <= n + 4 && index($0, fh) { print NR ": " substr($0, 1, 180) }' \
			"$T/$1/log")"
	fi
	check "$1: every open/create in the log has its release" "$st"
}

# ---- opmix, fio and git on a lagfs without rules ----

lagfs_start plain || exit 1
M=$T/plain/mnt B=$T/plain/back

run_opmix "opmix: 3000 random ops, no unexpected errors, files match its model" \
	"$M/mix" -n 3000 -s 42
ok "after opmix the mount and the backing dir are identical" \
	same_tree "$M" "$B"

# fio_job NAME ENGINE [ARGS...]: 4k random read/write of 16 MiB that writes
# checksummed blocks and reads them all back (--verify=crc32c).
fio_job() {
	local name=$1 engine=$2 out st
	shift 2
	out=$(limit 120 fio --name="$name" --directory="$M/fio" \
		--ioengine="$engine" --rw=randrw --bs=4k --size=16M \
		--direct=0 --runtime=30 --verify=crc32c --verify_fatal=1 \
		--verify_state_save=0 \
		--output-format=terse --terse-version=3 "$@" 2>&1); st=$?
	# terse v3: field 3 is the job name, 5 the error, 6/47 read/write KiB
	comment "$(awk -F';' 'NF > 50 { printf "fio %s: error %s, read %s KiB, wrote %s KiB\n", $3, $5, $6, $47; next } { print }' <<<"$out")"
	return "$st"
}

if ! command -v fio >/dev/null; then
	skip "fio is not installed"
	skip "fio is not installed"
else
	mkdir "$M/fio"
	ok "fio 4k randrw, psync, --verify=crc32c" fio_job psync psync
	# io_uring may be disabled (kernel.io_uring_disabled, seccomp): try it
	# outside lagfs first.
	mkdir "$T/uring"
	if quiet limit 30 fio --name=probe --directory="$T/uring" \
		--ioengine=io_uring --rw=read --bs=4k --size=64k; then
		ok "fio 4k randrw, io_uring depth 16, --verify=crc32c" \
			fio_job io_uring io_uring --iodepth=16
	else
		skip "io_uring does not work here, even outside lagfs"
	fi
fi

# git -C the repository, with an identity and no user or system config.
g() {
	HOME=$T GIT_CONFIG_NOSYSTEM=1 limit 60 git -C "$1" \
		-c user.name=lagfs -c user.email=lagfs@example.invalid \
		-c init.defaultBranch=main "${@:2}"
}

if ! command -v git >/dev/null; then
	skip "git is not installed"
else
	R=$M/repo
	mkdir -p "$R/src/sub"
	for i in $(seq 1 40); do
		seq -f "line %g of file $i" 1 "$i" >"$R/src/file$i.txt"
	done
	head -c 300000 /dev/urandom >"$R/src/sub/blob.bin"
	ln -s file1.txt "$R/src/link"
	ok "git init" quiet g "$R" init
	ok "git add" quiet g "$R" add -A
	ok "git commit" quiet g "$R" commit -q -m "first"
	for i in $(seq 1 40 | sed -n '1~3p'); do echo "changed" >>"$R/src/file$i.txt"; done
	ok "git mv" quiet g "$R" mv src/file2.txt src/sub/moved.txt
	ok "git rm" quiet g "$R" rm -q src/file3.txt
	ok "git commit of changes, a move and a removal" \
		quiet g "$R" commit -q -a -m "second"
	ok "git fsck --full --strict" quiet g "$R" fsck --full --strict
	ok "git log lists both commits" \
		test "$(g "$R" log --format=%s | tr '\n' ' ')" = "second first "
	ok "git status is clean" test -z "$(g "$R" status --porcelain 2>&1)"
	ok "git gc packs the objects" quiet g "$R" gc -q
	ok "git fsck after gc" quiet g "$R" fsck --full --strict
	ok "git clone inside the mount" quiet g "$M" clone -q repo clone
	ok "the clone's work tree equals the original's" \
		same_tree "$R/src" "$M/clone/src"
fi
ok "the mount and the backing dir are still identical" same_tree "$M" "$B"
stopped plain

# ---- opmix under delay rules ----

lagfs_start lag --rule 'read delay=1ms jitter=1ms prob=0.3' \
	--rule 'write delay=1ms prob=0.3' \
	--rule 'getattr delay=200us prob=0.2' || exit 1
run_opmix "opmix under read/write/getattr delays: no unexpected errors, files match" \
	"$T/lag/mnt/mix" -n 3000 -s 4242
ok "the log shows requests were delayed" has_event "$T/lag/log" ev=park
ok "after opmix the mount and the backing dir are identical" \
	same_tree "$T/lag/mnt" "$T/lag/back"
stopped lag

# ---- opmix with holds that its own signals end ----
# SIGALRM every 700 us cuts opmix's syscalls short: the kernel sends
# FUSE_INTERRUPT, lagfs ends a parked hold with EINTR without serving it,
# and opmix's model must agree that nothing happened.
lagfs_start intr --rule 'write hold max=2ms prob=0.2' \
	--rule 'rename hold max=2ms prob=0.2' --rule 'create hold max=2ms prob=0.1' \
	--rule 'setattr hold max=1ms prob=0.2' --rule 'unlink hold max=1ms prob=0.2' \
	--rule 'read delay=500us prob=0.2 eintr' --rule 'fsync hold max=1ms prob=0.3' \
	--rule 'fallocate hold max=1ms prob=0.3' --rule 'open hold max=1ms prob=0.1' \
	--rule 'flush hold max=1ms prob=0.2' --rule 'mkdir hold max=1ms prob=0.2' \
	--rule 'link hold max=1ms prob=0.2' || exit 1
run_opmix "opmix with holds ended by interrupts: no unexpected errors, files match" \
	"$T/intr/mnt/mix" -n 5000 -s 99 -i 700
n=$(count_events "$T/intr/log" how=interrupt)
comment "$n parked requests ended by an interrupt"
ok "interrupts ended some holds (the log has how=interrupt answers)" \
	test "${n:-0}" -gt 0
ok "after opmix the mount and the backing dir are identical" \
	same_tree "$T/intr/mnt" "$T/intr/back"
stopped intr

done_testing
