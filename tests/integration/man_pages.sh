#!/usr/bin/env bash
# The man pages man/lagfs.1 and man/lagrace.1 render without warnings, and
# each names every long option its program's --help prints (and lagrace's
# page every scenario and engine), so a new option cannot leave the pages
# out of date silently.
. "$(dirname "$0")/../lib.sh"

# rendered PAGE: the page as plain text, one long line per paragraph.
rendered() {
	if command -v col >/dev/null 2>&1; then
		MANWIDTH=1000 man -l "$1" 2>/dev/null | col -bx
	else	# man strips the overstriking itself when writing to a pipe
		MANWIDTH=1000 man -l "$1" 2>/dev/null
	fi
}

# names_every DESC WORDS...: the check that $T/text, man/$prog.1's, has
# every word as a whole word (so --rule is not satisfied by --rules); the
# missing ones are printed.
names_every() {
	local desc=$1 w miss=(); shift
	for w in "$@"; do
		grep -qE -- "(^|[^a-z_-])$w([^a-z_-]|$)" "$T/text" || miss+=("$w")
	done
	check "$desc" "${#miss[@]}"
	[ "${#miss[@]}" -eq 0 ] || echo "# not in man/$prog.1: ${miss[*]}"
}

for prog in lagfs lagrace; do
	page=$TOP/man/$prog.1
	bin=$BUILD/$prog
	if [ ! -f "$page" ]; then
		check "man/$prog.1 exists" 1
		continue
	fi
	if ! command -v man >/dev/null 2>&1; then
		skip "man/$prog.1: man is not installed"
		continue
	fi

	if command -v groff >/dev/null 2>&1; then
		w=$(groff -man -ww -z "$page" 2>&1)
		check "man/$prog.1: groff -man -ww -z gives no warnings" \
			"$([ -z "$w" ]; echo $?)"
		[ -z "$w" ] || sed 's/^/# /' <<<"$w"
	else
		skip "man/$prog.1: groff is not installed"
	fi
	w=$(man --warnings -l "$page" 2>&1 >/dev/null)
	check "man/$prog.1: man --warnings gives no warnings" \
		"$([ -z "$w" ]; echo $?)"
	[ -z "$w" ] || sed 's/^/# /' <<<"$w"

	rendered "$page" >"$T/text"
	ok "man/$prog.1: renders to text" test -s "$T/text"
	miss=()
	for sec in NAME SYNOPSIS DESCRIPTION OPTIONS 'EXIT STATUS' EXAMPLES 'SEE ALSO'; do
		grep -qx "$sec" "$T/text" || miss+=("$sec")
	done
	check "man/$prog.1: has the usual sections" "${#miss[@]}"
	[ "${#miss[@]}" -eq 0 ] || echo "# sections missing: ${miss[*]}"

	if [ ! -x "$bin" ]; then
		check "build/$prog exists (run make first)" 1
		continue
	fi
	"$bin" --help >"$T/help" 2>&1
	mapfile -t opts < <(grep -o -- '--[a-z][a-z-]*' "$T/help" | sort -u)
	check "$prog --help prints long options (${#opts[@]})" \
		"$([ "${#opts[@]}" -gt 5 ]; echo $?)"
	names_every "man/$prog.1 names every long option of $prog --help" \
		"${opts[@]}"

	if [ "$prog" = lagrace ]; then
		# The "Scenarios:" and "Engines:" lists: "  NAME  summary".
		mapfile -t names < <(sed -n \
			'/^Scenarios:/,/^Exit status/s/^  \([a-z][a-z-]*\)  .*/\1/p' "$T/help")
		check "lagrace --help lists scenarios and engines (${#names[@]})" \
			"$([ "${#names[@]}" -ge 7 ]; echo $?)"
		names_every "man/lagrace.1 names every scenario and engine of --help" \
			"${names[@]}"
	fi
done
done_testing
