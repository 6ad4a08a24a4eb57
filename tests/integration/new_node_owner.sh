#!/usr/bin/env bash
# lagfs run as root for several users (-o allow_other,default_permissions)
# makes every new file, directory, node and symlink as its caller: owned by
# the caller's uid and gid, or the parent's gid where the parent is setgid
# (and a new directory then setgid too), with the caller's supplementary
# groups deciding what the backing filesystem allows.
. "$(dirname "$0")/../lib.sh"
need_fuse
[ "$(id -u)" -eq 0 ] || skip_all "lagfs makes nodes as their caller only when it runs as root"

G=4242          # a group nobody is in but by --groups
lagfs_start o -o allow_other,default_permissions || exit 1
M=$T/o/mnt B=$T/o/back
chmod 0777 "$B"
mkdir "$B/sg" "$B/grp"
chown root:$G "$B/sg" "$B/grp"
chmod 2777 "$B/sg"
chmod 0770 "$B/grp"
# as_nobody [GROUPS] CMD...: run CMD as nobody:nogroup with GROUPS (a
# comma list) as supplementary groups, in the mount.
as_nobody() {
	local groups=--clear-groups
	[ -z "$1" ] || groups=--groups=$1
	shift
	(cd "$M" && setpriv --reuid=nobody --regid=nogroup "$groups" -- "$@")
}
owner() { stat -c %u:%g "$1"; }
nobody=$(id -u nobody):$(getent group nogroup | cut -d: -f3)

as_nobody "" sh -c 'touch f && mkdir d && mkfifo p && ln -s f l'
for n in f d p l; do
	ok "nobody's new $(stat -c %F "$B/$n") belongs to nobody ($(owner "$B/$n"))" \
		test "$(owner "$B/$n")" = "$nobody"
done
ok "  ... and the mount shows the same owner" test "$(owner "$M/f")" = "$nobody"

as_nobody "" sh -c 'touch sg/f && mkdir sg/d'
ok "in a setgid directory: the file takes the directory's group ($(owner "$B/sg/f"))" \
	test "$(owner "$B/sg/f")" = "$(id -u nobody):$G"
ok "  ... and a new directory its group ($(owner "$B/sg/d"))" \
	test "$(owner "$B/sg/d")" = "$(id -u nobody):$G"
ok "  ... and its setgid bit ($(stat -c %A "$B/sg/d"))" test -g "$B/sg/d"

# A directory only group $G may write to: nobody with $G as a
# supplementary group may create there, as on a local filesystem.
as_nobody $G touch grp/f
ok "supplementary groups apply: nobody in group $G creates in a 0770 directory of $G" \
	test -e "$B/grp/f"
ok "  ... and owns the file ($(owner "$B/grp/f" 2>/dev/null))" \
	test "$(owner "$B/grp/f" 2>/dev/null)" = "$nobody"
# A setgid bit asked for stays when the caller is in the file's group.
as_nobody $G /usr/bin/python3 -c 'import os; os.close(os.open("sg/x", os.O_CREAT | os.O_WRONLY, 0o2755))'
ok "a member of the group keeps the setgid bit of a new file ($(stat -c %A "$B/sg/x"))" \
	test -g "$B/sg/x"
as_nobody "" sh -c 'touch grp/g 2>/dev/null'
ok "without the group, the 0770 directory refuses nobody" test ! -e "$B/grp/g"

touch "$M/root-file"
ok "root's new file stays root's ($(owner "$B/root-file"))" \
	test "$(owner "$B/root-file")" = 0:0
lagfs_stop o
check "lagfs stops cleanly" "$LAGFS_STATUS"
done_testing
