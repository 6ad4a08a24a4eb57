# lagfs and lagrace.
#   make            builds build/lagfs and build/lagrace, nothing else
#   make repro      installs what is missing (make deps), builds, and runs
#                   the default race reproduction
#   make check      installs what the tests need, builds them, runs them all
#   make deps       installs missing Debian packages (as root), or prints the
#                   apt-get command
#   make static     statically linked lagfs and lagrace in build-static/
#   make kernel-matrix  lagrace matrix on Debian's 6.1 and 6.12 under qemu
#                   and on this kernel, one table (KERNELS=..., ITERATIONS=N)
#   make V=1        shows the commands; DEVELOPER=1 (or a line DEVELOPER=1 in
#                   config.mak) adds -Werror, as CI does
CC      ?= cc
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
B       := build
# The release version; scripts/version adds the commit in a git work tree.
VERSION := 0.2

-include config.mak

PKGS    := fuse3 liburing json-c
# snprintf cutting a message or path short is how we bound them, not a bug.
WARN    := -Wall -Wextra -Wno-format-truncation
# -Werror for developers and CI only: a user's newer compiler may warn
# where ours does not, and must still build.
ifdef DEVELOPER
WARN    += -Werror
endif
CFLAGS  ?= -O2 -g
# override: the flags the code needs stay even with CFLAGS=... on the command
# line (make check-sanitize passes its own optimisation and sanitizers).
override CFLAGS += -std=gnu11 -D_GNU_SOURCE -DFUSE_USE_VERSION=312 $(WARN) \
	   -pthread -MMD -MP -Icommon -I$(B)/gen
ifdef STATIC
PKG_STATIC := --static
override LDFLAGS += -static
endif
# Recursive (=): expanded in recipes, after `make deps` has installed
# pkg-config and the libraries.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config $(PKG_STATIC) --libs $(PKGS))
LDLIBS  += $(PKG_LIBS) -laio -pthread
override CFLAGS += $(PKG_CFLAGS)

ifeq ($(V),1)
QUIET_CC =
QUIET_AR =
QUIET_LINK =
QUIET_GEN =
else
QUIET_CC   = @echo '   CC $@';
QUIET_AR   = @echo '   AR $@';
QUIET_LINK = @echo ' LINK $@';
QUIET_GEN  = @echo '  GEN $@';
endif

# Three static libraries: the shared base, lagfs without its main(), and
# lagrace without its main(). A program links its own objects and the
# libraries, and the linker takes from them only the members it uses.
COMMON_LIB := $(B)/libcommon.a
LAGFS_LIB  := $(B)/liblagfs.a
DRIVER_LIB := $(B)/libdriver.a
COMMON_OBJ := $(patsubst %.c,$(B)/%.o,$(wildcard common/*.c))
LAGFS_OBJ  := $(patsubst %.c,$(B)/%.o,$(filter-out fusefs/main.c,$(wildcard fusefs/*.c)))
DRIVER_OBJ := $(patsubst %.c,$(B)/%.o,$(filter-out driver/main.c,$(wildcard driver/*.c)))

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(B)/tests/helpers/%)
BENCH_SRC  := $(wildcard bench/*.c)
BENCH_BIN  := $(BENCH_SRC:bench/%.c=$(B)/bench/%)
TEST_PROGS := $(B)/lagfs $(B)/lagrace $(UNIT_BIN) $(HELPER_BIN)

# What the tests need besides the build: lagrace's SVG in headless
# Chromium, the man pages with groff, fio and git on lagfs, clang for the
# fuzzers, strace for killing lagfs mid-start, prove for TAP, file for the
# static build; qemu, a static busybox and cpio for scripts/vm-run (other
# kernels). busybox-static by its dpkg list: Debian's dynamic busybox
# also has /bin/busybox.
VM_DEPS := qemu-system-x86=/usr/bin/qemu-system-x86_64 cpio=/bin/cpio \
	busybox-static=/var/lib/dpkg/info/busybox-static.list
TEST_DEPS := chromium=/usr/bin/chromium groff=/usr/bin/groff \
	man-db=/usr/bin/man fio=/usr/bin/fio git=/usr/bin/git \
	clang=/usr/bin/clang python3=/usr/bin/python3 strace=/usr/bin/strace \
	perl=/usr/bin/prove file=/usr/bin/file $(VM_DEPS) \
	libclang-rt-14-dev=/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a

.PHONY: all deps deps-test check check-unit check-integration test-progs \
	bench install clean repro check-sanitize fuzz static kernel-matrix FORCE

all: $(B)/lagfs $(B)/lagrace

# Installs missing Debian packages as root, or prints the apt-get command.
deps:
	@scripts/install-deps

deps-test:
	@scripts/install-deps $(TEST_DEPS)

# The README's two commands install what is missing before they build:
# the install runs alone, then a second make builds with pkg-config's
# answers (never in parallel with a compile that needs the headers).
repro: deps
	@$(MAKE) --no-print-directory all
	$(B)/lagrace

check: deps-test
	@$(MAKE) --no-print-directory test-progs
	@tests/run

check-unit: deps-test
	@$(MAKE) --no-print-directory test-progs
	@tests/run unit

check-integration: deps-test
	@$(MAKE) --no-print-directory test-progs
	@tests/run integration

test-progs: $(TEST_PROGS)

# The whole suite again, lagfs and lagrace built with AddressSanitizer,
# UndefinedBehaviorSanitizer and LeakSanitizer, into build-san/.
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
check-sanitize: deps-test
	@$(MAKE) --no-print-directory B=build-san \
		CFLAGS="-O1 -g -fno-omit-frame-pointer $(SAN)" \
		LDFLAGS="$(SAN)" test-progs
	@LAGFS_BUILD=build-san tests/run

# libFuzzer on the rules parser and the event-log reader, 10 minutes each
# (make check runs 15 s each through tests/integration/fuzz_short.sh).
fuzz: deps-test
	@scripts/fuzz 600

# Statically linked lagfs and lagrace (for an initramfs, say). Debian ships
# the .a files of libfuse3, liburing, libaio and json-c; the linker warns
# once about dlopen in libfuse's high-level API, which lagfs does not use.
static: deps
	@$(MAKE) --no-print-directory B=build-static STATIC=1 \
		build-static/lagfs build-static/lagrace

# scripts/kernel-matrix: each kernel's lagrace matrix in one table (README:
# "Other kernels"). KERNELS: anything scripts/vm-run takes, or native.
ITERATIONS ?= 20
KERNELS    ?= 6.1 6.12 native
kernel-matrix: deps
	@scripts/install-deps $(VM_DEPS)
	@$(MAKE) --no-print-directory all static >&2
	@scripts/kernel-matrix --iterations $(ITERATIONS) $(KERNELS)

bench: deps
	@scripts/install-deps fio=/usr/bin/fio
	@$(MAKE) --no-print-directory all $(BENCH_BIN)
	@scripts/bench

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(B)/lagfs $(B)/lagrace $(DESTDIR)$(BINDIR)/
	install -m 0644 man/lagfs.1 man/lagrace.1 $(DESTDIR)$(MANDIR)/man1/

clean:
	rm -rf build build-san build-static

# Rewritten only when the version changes, so a rebuild follows a commit
# but not every make.
$(B)/gen/version.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define LAG_VERSION "'"$$(scripts/version $(VERSION))"'"' >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || { mv -f $@.tmp $@; echo '  GEN $@'; }
FORCE:

# Test sources also see tests/ (the harness); nothing else does.
$(B)/tests/%.o $(B)/bench/%.o: override CFLAGS += -Itests
# Each part sees its own headers and those below it: the driver and the
# tests see lagfs's too (unit tests, benchmarks).
$(B)/fusefs/%.o: override CFLAGS += -Ifusefs
$(B)/driver/%.o: override CFLAGS += -Idriver
$(B)/tests/%.o $(B)/bench/%.o: override CFLAGS += -Ifusefs -Idriver

$(B)/%.o: %.c | $(B)/gen/version.h
	@mkdir -p $(dir $@)
	$(QUIET_CC)$(CC) $(CFLAGS) -c -o $@ $<

$(COMMON_LIB): $(COMMON_OBJ)
$(LAGFS_LIB): $(LAGFS_OBJ)
$(DRIVER_LIB): $(DRIVER_OBJ)
$(COMMON_LIB) $(LAGFS_LIB) $(DRIVER_LIB):
	@rm -f $@
	$(QUIET_AR)$(AR) rcs $@ $^

$(B)/lagfs: $(B)/fusefs/main.o $(LAGFS_LIB) $(COMMON_LIB)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Every symbol bound at start: each iteration's forked child calls
# functions the parent never did (the engines'), and lazy binding then
# looked them up again in every child and wrote the GOT, a copy-on-write
# fault each time (perf, issue 17).
$(B)/lagrace: override LDFLAGS += -Wl,-z,now
$(B)/lagrace: $(B)/driver/main.o $(DRIVER_LIB) $(COMMON_LIB)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: $(B)/tests/unit/%.o $(DRIVER_LIB) $(LAGFS_LIB) $(COMMON_LIB)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/helpers/%: $(B)/tests/helpers/%.o $(COMMON_LIB)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bench/%: $(B)/bench/%.o $(LAGFS_LIB) $(COMMON_LIB)
	$(QUIET_LINK)$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

# Keep the objects: the libraries and programs are made from them.
.SECONDARY:

-include $(shell find $(B) -name '*.d' 2>/dev/null)
