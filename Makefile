# lagfs and lagrace. `make` builds both into build/, `make check` runs every
# test, `make repro` runs the default race reproduction.
CC      ?= cc
PREFIX  ?= /usr/local
BINDIR  ?= $(PREFIX)/bin
MANDIR  ?= $(PREFIX)/share/man
B       := build
# The release version; scripts/version adds the commit in a git work tree.
VERSION := 0.2

PKGS    := fuse3 liburing json-c
# snprintf cutting a message or path short is how we bound them, not a bug.
WARN    := -Wall -Wextra -Werror -Wno-format-truncation
CFLAGS  ?= -O2 -g
# override: the flags the code needs stay even with CFLAGS=... on the command
# line (make check-sanitize passes its own optimisation and sanitizers).
override CFLAGS += -std=gnu11 -D_GNU_SOURCE -DFUSE_USE_VERSION=312 $(WARN) -pthread \
	   -MMD -MP -Icommon -Ifusefs -Idriver -I$(B)/gen \
	   -Itests
# Recursive (=): expanded in recipes, after `deps` has installed pkg-config.
PKG_CFLAGS = $(shell pkg-config --cflags $(PKGS))
PKG_LIBS   = $(shell pkg-config --libs $(PKGS))
LDLIBS  += $(PKG_LIBS) -laio -pthread
override CFLAGS += $(PKG_CFLAGS)

COMMON_SRC := common/lag_event.c common/duration.c
LAGFS_LIB_SRC := fusefs/rules.c fusefs/delay_queue.c fusefs/event_sink.c \
	fusefs/inode_table.c fusefs/open_files.c fusefs/park.c fusefs/lagfs.c \
	fusefs/passthrough.c fusefs/control.c fusefs/session_io.c \
	fusefs/mount_check.c fusefs/deep_path.c fusefs/mono_cond.c \
	fusefs/daemon.c
LAGFS_SRC  := $(LAGFS_LIB_SRC) fusefs/main.c

DRIVER_LIB_SRC := $(filter-out driver/main.c,$(wildcard driver/*.c))
DRIVER_OBJ := $(DRIVER_LIB_SRC:%.c=$(B)/%.o) $(B)/driver/main.o

COMMON_OBJ := $(COMMON_SRC:%.c=$(B)/%.o)
LAGFS_OBJ  := $(LAGFS_SRC:%.c=$(B)/%.o)
LAGFS_LIB_OBJ := $(LAGFS_LIB_SRC:%.c=$(B)/%.o)

UNIT_SRC   := $(wildcard tests/unit/test_*.c)
UNIT_BIN   := $(UNIT_SRC:tests/unit/%.c=$(B)/tests/%)
HELPER_SRC := $(wildcard tests/helpers/*.c)
HELPER_BIN := $(HELPER_SRC:tests/helpers/%.c=$(B)/tests/helpers/%)
BENCH_SRC  := $(wildcard bench/*.c)
BENCH_BIN  := $(BENCH_SRC:bench/%.c=$(B)/bench/%)

.PHONY: all deps deps-test check check-unit check-integration bench install \
	clean repro check-sanitize fuzz

all: deps $(B)/lagfs $(B)/lagrace $(UNIT_BIN) $(HELPER_BIN) $(BENCH_BIN)

# The README's first command: the default reproduction, 20 iterations.
repro: all
	$(B)/lagrace

# Installs missing Debian packages as root, or prints the apt-get command.
deps:
	@scripts/install-deps

# The tests also render lagrace's SVG in headless Chromium and check the man
# pages with groff, and run fio and git on lagfs.
deps-test:
	@scripts/install-deps chromium=/usr/bin/chromium groff=/usr/bin/groff \
		man-db=/usr/bin/man fio=/usr/bin/fio git=/usr/bin/git \
		clang=/usr/bin/clang python3=/usr/bin/python3 strace=/usr/bin/strace \
		libclang-rt-14-dev=/usr/lib/llvm-14/lib/clang/14.0.6/lib/linux/libclang_rt.fuzzer-x86_64.a

# Rewritten only when the version changes, so a rebuild follows a commit
# but not every make.
$(B)/gen/version.h: FORCE
	@mkdir -p $(dir $@)
	@echo '#define LAG_VERSION "'"$$(scripts/version $(VERSION))"'"' >$@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv -f $@.tmp $@
FORCE:

$(B)/%.o: %.c | deps $(B)/gen/version.h
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -c -o $@ $<

$(B)/lagfs: $(LAGFS_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/lagrace: $(DRIVER_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/%: $(B)/tests/unit/%.o $(LAGFS_LIB_OBJ) \
		$(DRIVER_LIB_SRC:%.c=$(B)/%.o) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/tests/helpers/%: $(B)/tests/helpers/%.o $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/bench/%: $(B)/bench/%.o $(LAGFS_LIB_OBJ) $(COMMON_OBJ)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

check: all deps-test
	@tests/run

# The whole suite again, lagfs and lagrace built with AddressSanitizer,
# UndefinedBehaviorSanitizer and LeakSanitizer, into build-san/.
SAN := -fsanitize=address,undefined -fno-sanitize-recover=all
check-sanitize: deps deps-test
	@$(MAKE) --no-print-directory B=build-san \
		CFLAGS="-O1 -g -fno-omit-frame-pointer $(SAN)" \
		LDFLAGS="$(SAN)" all
	@LAGFS_BUILD=build-san tests/run

# libFuzzer on the rules parser and the event-log reader, 10 minutes each
# (make check runs 15 s each through tests/integration/fuzz_short.sh).
fuzz: deps deps-test
	@scripts/fuzz 600

check-unit: all
	@tests/run unit

check-integration: all deps-test
	@tests/run integration

bench: all
	@scripts/install-deps fio=/usr/bin/fio
	@scripts/bench

install: all
	install -d $(DESTDIR)$(BINDIR) $(DESTDIR)$(MANDIR)/man1
	install -m 0755 $(B)/lagfs $(B)/lagrace $(DESTDIR)$(BINDIR)/
	install -m 0644 man/lagfs.1 man/lagrace.1 $(DESTDIR)$(MANDIR)/man1/

clean:
	rm -rf build build-san

-include $(shell find $(B) -name '*.d' 2>/dev/null)
