#!/usr/bin/env bash
# lagrace --svg, as root or as an ordinary user: the picture of a racing run
# names the actors and the EBUSY and RELEASE marks, is well-formed XML, and
# renders in headless Chromium to something that is not blank; a run
# without hits says "no late release"; an unwritable path is one error line
# and exit status 2, before any iteration runs.
. "$(dirname "$0")/../lib.sh"
need_fuse

. "$TOP/tests/lagrace_runs.sh"
CHROMIUM=/usr/bin/chromium
has() { grep -qF -- "$2" "$1"; }

# well_formed FILE: 0 if FILE parses as XML, 1 if not, 2 if no checker.
well_formed() {
	if command -v xmllint >/dev/null; then
		xmllint --noout "$1"
	elif command -v python3 >/dev/null; then
		python3 -c 'import sys, xml.etree.ElementTree as E; E.parse(sys.argv[1])' "$1"
	else
		return 2
	fi
}
check_xml() {	# check_xml DESC FILE
	local rc
	well_formed "$2"
	rc=$?
	if [ "$rc" -eq 2 ]; then skip "$1: neither xmllint nor python3 is installed"
	else check "$1" "$rc"; fi
}

# shot SVG PNG: a 1200x800 screenshot of SVG by headless Chromium, with a
# profile and HOME of its own under $T.
shot() {
	local prof
	prof=$(mktemp -d "$T/chromium.XXXXXX")
	HOME=$prof timeout -k 5 60 "$CHROMIUM" --headless --no-sandbox \
		--disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update \
		--disable-sync --user-data-dir="$prof" --hide-scrollbars \
		--window-size=1200,800 --screenshot="$2" "file://$1" \
		>"$T/chromium.log" 2>&1
}

lr race --iterations 5 --svg "$T/t.svg"
check "--iterations 5 --svg: exit 0" "$([ "$RC" -eq 0 ]; echo $?)"
[ "$RC" -eq 0 ] || show race
check "--svg: nothing on stderr" "$([ ! -s "$T/race.err" ]; echo $?)"
ok "--svg: the file exists and is not empty" test -s "$T/t.svg"
ok "--svg: it starts with <?xml or <svg" \
	bash -c 'head -c 5 "$1" | grep -qE "^(<\?xml|<svg)"' - "$T/t.svg"
ok "--svg: an SVG root element with its namespace" \
	has "$T/t.svg" '<svg xmlns="http://www.w3.org/2000/svg"'
for word in lagfs lagrace child EBUSY RELEASE; do
	ok "--svg: it says '$word'" has "$T/t.svg" "$word"
done
check_xml "--svg: well-formed XML" "$T/t.svg"

lr clean --iterations 3 --engine sync --svg "$T/c.svg"
check "--engine sync --svg: exit 0" "$([ "$RC" -eq 0 ]; echo $?)"
[ "$RC" -eq 0 ] || show clean
ok "--engine sync --svg: the file exists" test -s "$T/c.svg"
check_xml "--engine sync --svg: well-formed XML" "$T/c.svg"
ok "--engine sync --svg: it says 'no late release'" has "$T/c.svg" "no late release"

lr bad --iterations 1 --svg "$T/no/such/dir/x.svg"
check "--svg into a missing directory: exit 2 (a usage error)" "$([ "$RC" -eq 2 ]; echo $?)"
ok "--svg into a missing directory: one line naming the path and why" \
	test "$(cat "$T/bad.err")" = "lagrace: --svg $T/no/such/dir/x.svg: No such file or directory"
ok "--svg into a missing directory: nothing ran (no output, no temp dir)" \
	test ! -s "$T/bad.out" -a -z "$(ls -A "$LR_TMP")"

# Rendering. "Not blank" without decoding the PNG (no zlib for a C helper,
# python3 may be missing): a blank white SVG of the same size, rendered the
# same way, is the reference. Chromium's PNG of a plain white page is a few
# kB; text, lanes and bars make it many times larger (about 90 kB here), so
# the drawing's PNG must be at least 3 times and 20 kB larger than the
# blank one. A Chromium that rendered nothing would fail both.
if [ ! -x "$CHROMIUM" ]; then
	skip "rendering: chromium is not installed (apt-get install chromium)"
	skip "rendering: blank reference: chromium is not installed"
	skip "rendering: not blank: chromium is not installed"
else
	cat >"$T/blank.svg" <<-'EOF'
	<?xml version="1.0" encoding="UTF-8"?>
	<svg xmlns="http://www.w3.org/2000/svg" version="1.1" width="1200" height="800" viewBox="0 0 1200 800"><rect width="1200" height="800" fill="#fff"/></svg>
	EOF
	shot "$T/t.svg" "$T/shot.png"
	ok "rendering: chromium made a screenshot of the SVG" test -s "$T/shot.png"
	[ -s "$T/shot.png" ] || sed 's/^/# /' "$T/chromium.log" | tail -n 20
	shot "$T/blank.svg" "$T/blank.png"
	ok "rendering: and one of a blank SVG" test -s "$T/blank.png"
	size=$(stat -c %s "$T/shot.png" 2>/dev/null || echo 0)
	blank=$(stat -c %s "$T/blank.png" 2>/dev/null || echo 0)
	check "rendering: not blank (PNG $size bytes, blank $blank bytes)" \
		"$([ "$blank" -gt 0 ] && [ "$size" -ge $((blank * 3)) ] &&
		   [ "$size" -ge $((blank + 20000)) ]; echo $?)"
fi

done_testing
