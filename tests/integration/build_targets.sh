#!/usr/bin/env bash
# The build does what is asked: a plain make builds lagfs and lagrace and
# never installs packages; the README's commands do install first; -Werror
# only with DEVELOPER=1; quiet unless V=1; make static links statically.
# Dry runs (make -n) show what each target would do without doing it.
. "$(dirname "$0")/../lib.sh"

cd "$TOP" || exit 1
# dry NAME ARGS...: make -n -B ARGS into $T/NAME (every command it would
# run), as a user would: without CI's or a developer's DEVELOPER=1.
dry() { local n=$1; shift; env -u DEVELOPER make -n -B --no-print-directory B="$T/b" DEVELOPER= "$@" >"$T/$n" 2>&1; }

dry all all
ok "make: builds lagfs and lagrace" grep -q -- "-o $T/b/lagfs " "$T/all"
ok "make: links lagrace" grep -q -- "-o $T/b/lagrace " "$T/all"
# Its forked children would otherwise bind symbols again, each of them.
ok "make: links lagrace with every symbol bound at start (-z now)" \
	grep -qE -- "-Wl,-z,now .*-o $T/b/lagrace " "$T/all"
ok "make: never runs install-deps" bash -c '! grep -q install-deps "$1"' - "$T/all"
ok "make: builds no test program" bash -c '! grep -q "$1/b/tests/" "$2"' - "$T" "$T/all"
ok "make: no -Werror for a user's build" bash -c '! grep -q -- -Werror "$1"' - "$T/all"
dry dev all DEVELOPER=1
ok "make DEVELOPER=1: -Werror" grep -q -- "-Werror" "$T/dev"
ok "make: lagfs links the static libraries" \
	grep -qE -- "-o $T/b/lagfs $T/b/fusefs/main.o $T/b/liblagfs.a $T/b/libcommon.a" "$T/all"
dry check check
ok "make check: installs what the tests need first" grep -q 'scripts/install-deps' "$T/check"
ok "make check: builds the unit tests" grep -q -- "-o $T/b/tests/test_" "$T/check"
ok "make check: -Itests only for test sources" \
	bash -c '! grep -E -- "-c -o [^ ]*/(fusefs|driver|common)/[^ ]*\.o" "$1" | grep -q -- -Itests &&
		grep -E -- "-c -o [^ ]*/tests/" "$1" | grep -q -- -Itests' - "$T/check"
dry static-dry static
ok "make static: a STATIC=1 build in build-static/" grep -q 'B=build-static STATIC=1' "$T/static-dry"
dry repro repro
ok "make repro: installs what is missing first" grep -q 'scripts/install-deps' "$T/repro"

# Quiet by default, the commands with V=1: a real build of one object.
rm -rf "$T/q"
make --no-print-directory B="$T/q" "$T/q/common/duration.o" >"$T/quiet" 2>&1
ok "make: one short line per object" grep -qxE " +CC $T/q/common/duration.o" "$T/quiet"
rm -rf "$T/q"
make --no-print-directory B="$T/q" V=1 "$T/q/common/duration.o" >"$T/loud" 2>&1
ok "make V=1: the compiler command" grep -qE "^cc .* -c -o $T/q/common/duration.o common/duration.c" "$T/loud"

if [ -e /usr/lib/x86_64-linux-gnu/libfuse3.a ] && [ -e /usr/lib/x86_64-linux-gnu/liburing.a ]; then
	rm -rf "$T/s"
	make --no-print-directory B="$T/s" STATIC=1 "$T/s/lagfs" "$T/s/lagrace" >"$T/static" 2>&1
	check "make STATIC=1 builds" $?
	for p in lagfs lagrace; do
		ok "static $p: statically linked" bash -c 'file "$1" | grep -q "statically linked"' - "$T/s/$p"
		ok "static $p: runs (--version)" "$T/s/$p" --version
	done
	ok "static: the only linker warning is libfuse's dlopen" \
		bash -c '! grep -i warning "$1" | grep -vq dlopen' - "$T/static"
else
	skip "no static libfuse3/liburing (libfuse3-dev, liburing-dev)"
fi
done_testing
