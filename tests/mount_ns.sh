# Sourced by tests/run, scripts/fstests and by tests that run as root in a
# mount namespace of their own: what they mount there is invisible outside
# and goes with the namespace, and /dev/fuse can be given another mode there
# without changing the machine's.

# own_mount_namespace SCRIPT ARGS...: run SCRIPT ARGS again in a new mount
# namespace with private propagation, unless this is that run already (then
# return 0). Returns 1 when no namespace can be made (not root, no unshare).
own_mount_namespace() {
	if [ "${LAGFS_MOUNT_NS_OF:-}" = "$1" ]; then
		drop_foreign_fuse_mounts
		return 0
	fi
	[ "$(id -u)" -eq 0 ] && unshare --mount --propagation private true 2>/dev/null ||
		return 1
	LAGFS_MOUNT_NS_OF=$1 exec unshare --mount --propagation private -- "$@"
}

# A new mount namespace holds copies of the FUSE mounts that existed when it
# was made, and a copy keeps its FUSE connection alive after the owner
# unmounts it: the owner's daemon (another test's lagfs, a user's sshfs)
# would not exit until this namespace ends. Detach the copies here; the
# originals are not touched.
drop_foreign_fuse_mounts() {
	local m
	awk '/ - fuse(\.[^ ]+)? / { print $5 }' /proc/self/mountinfo | tac |
		while read -r m; do
			# mountinfo writes a space as \040: printf %b wants \0040
			umount -l "$(printf '%b' "${m//\\/\\0}")" 2>/dev/null
		done
}

# dev_fuse_as MODE: in this mount namespace, /dev/fuse becomes a FUSE device
# node of mode MODE of its own, bind-mounted over the machine's (which stays
# as it is). umount /dev/fuse takes it away again.
dev_fuse_as() {
	local d
	d=$(mktemp -d /tmp/lagfs-dev.XXXXXX) || return 1
	if mount -t tmpfs -o mode=0755,size=16k lagfs-dev "$d" &&
	   mknod -m "$1" "$d/fuse" c 10 229 && mount --bind "$d/fuse" /dev/fuse; then
		umount -l "$d"
		rmdir "$d"
		return 0
	fi
	umount -l "$d" 2>/dev/null
	rmdir "$d"
	return 1
}

# namespace_root SCRIPT ARGS...: for a test that must mount and unmount
# (umount2(), tmpfs) and so needs root: an ordinary user runs SCRIPT ARGS
# again as root of a user and mount namespace of its own (unshare -Urm),
# where FUSE and tmpfs mounts and umount2() work as for root, and vanish
# with it. Returns 0 as root (or in that namespace already), 1 when it
# cannot be made (user namespaces disabled).
namespace_root() {
	[ "$(id -u)" -eq 0 ] && return 0
	unshare -Urm true 2>/dev/null || return 1
	LAGFS_MOUNT_NS_OF=$1 exec unshare -Urm -- "$@"
}

# mounts_of_its_own SCRIPT ARGS...: for a test that mounts lagfs (or a
# tmpfs) and needs to see it go: as root it runs SCRIPT ARGS again in a
# mount namespace of its own with private propagation (a namespace that
# another program makes meanwhile, a lagrace lane's, a benchmark's
# unshare, cannot copy our mounts and keep their FUSE connections alive
# after our unmount); an ordinary user runs it as root of a user and mount
# namespace of its own, where tmpfs and FUSE mount just the same. Returns
# 1 when neither can be made.
mounts_of_its_own() { own_mount_namespace "$@" || namespace_root "$@"; }

# on_helper_path DIR: in this mount namespace, the programs in DIR are what
# mount(8)'s FUSE helper runs. mount.fuse3 runs `TYPE SOURCE MNT -o OPTS`
# through /bin/sh with the PATH that mount(8) cleared, so the shell's
# default path decides, whose first directory is /usr/local/sbin: DIR is
# bind-mounted over it. umount /usr/local/sbin takes it away again.
on_helper_path() {
	mount --bind "$1" /usr/local/sbin
}
