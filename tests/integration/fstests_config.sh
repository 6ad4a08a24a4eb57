#!/usr/bin/env bash
# scripts/fstests's config writer: the config it gives fstests for each
# filesystem, checked as fstests reads it; and, as root, the mount and
# unmount commands fstests builds from the lagfs config (common/rc:
# _test_mount, _check_mounted_on, _test_unmount) work on this build's
# lagfs. fstests itself is not run here (it takes long and is not
# packaged): scripts/fstests does that.
. "$(dirname "$0")/../mount_ns.sh"
if [ "$(id -u)" -eq 0 ]; then
	own_mount_namespace "$0" "$@"
fi
. "$(dirname "$0")/../lib.sh"

F=$TOP/scripts/fstests W=$T/w
printf 'read delay=1ms prob=0.2\n' >"$T/d.rules"
# cfg FS [ARGS...]: the config for FS, read as fstests reads it (sourced),
# printed as VAR=VALUE lines.
cfg() {
	local fs=$1; shift
	"$F" --print-config "$fs" --work "$W" "$@" >"$T/$fs.config" || return 1
	(set +u; . "$T/$fs.config" && for v in FSTYP FUSE_SUBTYP TEST_DEV TEST_DIR \
		SCRATCH_DEV SCRATCH_MNT TEST_FS_MOUNT_OPTS MOUNT_OPTIONS RESULT_BASE; do
		echo "$v=${!v}"; done)
}
has() { grep -qxF -- "$2" <<<"$1"; }

c=$(cfg lagfs)
check "--print-config lagfs: fstests reads it" $?
ok "  FSTYP=fuse, FUSE_SUBTYP=.lagfs (mount -t fuse.lagfs)" \
	eval 'has "$c" FSTYP=fuse && has "$c" FUSE_SUBTYP=.lagfs'
ok "  TEST_DEV and SCRATCH_DEV are names, the mounts' fsnames" \
	eval 'has "$c" TEST_DEV=lagfs-test && has "$c" SCRATCH_DEV=lagfs-scratch'
ok "  the mount points are under --work" \
	eval 'has "$c" "TEST_DIR=$W/lagfs/mnt/test" && has "$c" "SCRATCH_MNT=$W/lagfs/mnt/scratch"'
ok "  the test mount: backing directory as source=, for all users, fsname= its name" \
	has "$c" "TEST_FS_MOUNT_OPTS=-o source=$W/lagfs/fs/test,allow_other,default_permissions,fsname=lagfs-test"
ok "  the scratch mount likewise" \
	has "$c" "MOUNT_OPTIONS=-o source=$W/lagfs/fs/scratch,allow_other,default_permissions,fsname=lagfs-scratch"
ok "  the results go under --work" has "$c" "RESULT_BASE=$W/lagfs/results"
c=$(cfg lagfs-rules --rules "$T/d.rules")
ok "--print-config lagfs-rules --rules FILE: lagfs with the rules file" \
	has "$c" "TEST_FS_MOUNT_OPTS=-o source=$W/lagfs-rules/fs/test,allow_other,default_permissions,rules=$T/d.rules,fsname=lagfs-rules-test"
c=$(cfg passthrough_ll)
ok "--print-config passthrough_ll: its helper's type, -o xattr, no fsname= (its helper gives it)" \
	eval 'has "$c" FUSE_SUBTYP=.passthrough_ll &&
		has "$c" "MOUNT_OPTIONS=-o source=$W/passthrough_ll/fs/scratch,allow_other,default_permissions,xattr"'
# refused DESC ARGS...: exit status 2 and one line.
refused_cfg() {
	local desc=$1; shift
	"$F" "$@" >/dev/null 2>"$T/err"
	local st=$?
	[ $st -eq 2 ] && [ "$(wc -l <"$T/err")" -eq 1 ]
	check "$desc: exit $st, $(cat "$T/err")" $?
}
refused_cfg "lagfs-rules without --rules" --print-config lagfs-rules --work "$W"
refused_cfg "an unknown filesystem" --print-config ext4 --work "$W"
refused_cfg "a --work path with a blank" --print-config lagfs --work "$T/a b"

if [ "$(id -u)" -ne 0 ] || [ "${LAGFS_MOUNT_NS_OF:-}" != "$0" ]; then
	skip "fstests' mount commands need root and a mount namespace"
	done_testing
	exit
fi
need_fuse
# What fstests does with the config (common/rc): mount, check the type
# and source, unmount by TEST_DEV.
mkdir -p "$T/sbin"
ln -s "$LAGFS" "$T/sbin/lagfs"
on_helper_path "$T/sbin" || skip_all "cannot bind over /usr/local/sbin"
_mnts+=(/usr/local/sbin)
cfg lagfs >/dev/null
. "$T/lagfs.config"
mkdir -p "$W/lagfs/fs/test" "$TEST_DIR"
_mnts+=("$TEST_DIR")
# shellcheck disable=SC2086
mount -t "$FSTYP$FUSE_SUBTYP" $TEST_FS_MOUNT_OPTS "$TEST_DEV" "$TEST_DIR" 2>"$T/err"
check "fstests' _test_mount: mount -t fuse.lagfs \$TEST_FS_MOUNT_OPTS \$TEST_DEV \$TEST_DIR $(cat "$T/err")" $?
ok "  _check_if_dev_already_mounted: findmnt -S \$TEST_DEV is \$TEST_DIR" \
	test "$(findmnt -rncv -S "$TEST_DEV" -o SOURCE,TARGET)" = "$TEST_DEV $TEST_DIR"
ok "  _fs_type: df -T says $FSTYP" \
	test "$(df -T 2>/dev/null | awk -v d="$TEST_DEV" '$1 == d { print $2 }')" = "$FSTYP"
echo x >"$TEST_DIR/f"
ok "  the backing directory is the source= one" test -f "$W/lagfs/fs/test/f"
umount "$TEST_DEV"
check "  _test_unmount: umount \$TEST_DEV" $?
ok "  ... nothing left mounted" bash -c '! grep -qF " $1 " /proc/self/mountinfo' - "$TEST_DIR"
umount /usr/local/sbin
done_testing
