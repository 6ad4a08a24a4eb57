#!/usr/bin/env bash
# lagfs --version and lagrace --version print one version string, the one
# scripts/version gives for this tree (git describe, or the Makefile's).
. "$(dirname "$0")/../lib.sh"

fs=$("$LAGFS" --version 2>&1); fs_rc=$?
lr=$("$LAGRACE_BIN" --version 2>&1); lr_rc=$?
check "lagfs --version exits 0" "$fs_rc"
check "lagrace --version exits 0" "$lr_rc"
ok "lagfs --version: 'lagfs VERSION' ($fs)" grep -qE '^lagfs [^ ]+$' <<<"$fs"
ok "lagrace --version: 'lagrace VERSION' ($lr)" grep -qE '^lagrace [^ ]+$' <<<"$lr"
check "the same version string" "$([ "${fs#lagfs }" = "${lr#lagrace }" ]; echo $?)"
base=$(sed -n 's/^VERSION *:= *//p' "$TOP/Makefile")
want=$("$TOP/scripts/version" "$base")
check "it is scripts/version's ($want)" "$([ "${fs#lagfs }" = "$want" ]; echo $?)"
ok "lagfs -V is --version" bash -c '[ "$("$1" -V)" = "$2" ]' - "$LAGFS" "$fs"
done_testing
