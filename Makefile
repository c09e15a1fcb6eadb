# umgmt — user management for shared Linux machines.
#
#   make             build umctl, pam_umgmt.so and libnss_umgmt.so.2 in build/
#   make demo        a sandboxed walk through (root; leaves /etc untouched)
#   make check       install test dependencies, then run every test layer
#   make install     DESTDIR=... PREFIX=/usr
#   make SAN=1 ...   the same with AddressSanitizer + UBSan, in build/san/
#   make fuzz        the snapshot reader under libFuzzer (clang), FUZZ_TIME=600 s
#
# CFLAGS, CPPFLAGS and LDFLAGS given on the command line or in the
# environment are appended to ours, never replace them.

PREFIX    ?= /usr
SBINDIR   ?= $(PREFIX)/sbin
MANDIR    ?= $(PREFIX)/share/man
SYSCONFDIR ?= /etc
MULTIARCH ?= $(shell $(CC) -print-multiarch 2>/dev/null || dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null)
LIBDIR    ?= /usr/lib/$(MULTIARCH)
PAMDIR    ?= $(LIBDIR)/security
NSSDIR    ?= $(LIBDIR)

CC ?= cc
CFLAGS ?= -O2 -g

BUILD ?= build
ifeq ($(SAN),1)
B := $(BUILD)/san
SAN_FLAGS := -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all
OPT := -O1 -g
else
B := $(BUILD)
SAN_FLAGS :=
OPT :=
endif

WARN := -std=gnu11 -Wall -Wextra -Werror -Wformat=2 -Wshadow -Wmissing-prototypes \
	-Wstrict-prototypes -Wwrite-strings
HARDEN := -fstack-protector-strong -fPIC -fvisibility=hidden
ifneq ($(SAN),1)
HARDEN += -D_FORTIFY_SOURCE=2
endif
ALL_CFLAGS = $(WARN) -D_GNU_SOURCE $(HARDEN) -Iinclude -Ilib $(CPPFLAGS) $(CFLAGS) $(OPT) $(SAN_FLAGS)
ALL_LDFLAGS = -Wl,-z,relro,-z,now -Wl,--as-needed $(LDFLAGS) $(SAN_FLAGS)

LIB_SRC   := $(sort $(wildcard lib/*.c))
LIB_OBJ   := $(LIB_SRC:%.c=$(B)/obj/%.o)
UMCTL_SRC := $(sort $(wildcard umctl/*.c))
UMCTL_OBJ := $(UMCTL_SRC:%.c=$(B)/obj/%.o)
PAM_SRC   := $(sort $(wildcard pam_module/*.c))
PAM_OBJ   := $(PAM_SRC:%.c=$(B)/obj/%.o)
NSS_SRC   := $(sort $(wildcard nss_module/*.c))
NSS_OBJ   := $(NSS_SRC:%.c=$(B)/obj/%.o)

LIBUMGMT := $(B)/libumgmt.a
UMCTL    := $(B)/umctl
PAM_SO   := $(B)/pam_umgmt.so
NSS_SO   := $(B)/libnss_umgmt.so.2

CORE_LIBS := -lsqlite3 -lsodium -liniparser -lcrypt
NSS_LIBS  := -lpthread

UNIT_SRC := $(sort $(wildcard tests/unit/test-*.c))
UNIT_BIN := $(UNIT_SRC:%.c=$(B)/%)
NSST_SRC := $(sort $(wildcard tests/nss/test-*.c))
NSST_BIN := $(NSST_SRC:%.c=$(B)/%)
PAMT_SRC := $(sort $(wildcard tests/pam/test-*.c))
PAMT_BIN := $(PAMT_SRC:%.c=$(B)/%)
CLIT_BIN := $(B)/tests/cli/test-output $(B)/tests/cli/test-policy-helper
TEST_BIN := $(UNIT_BIN) $(NSST_BIN) $(PAMT_BIN) $(CLIT_BIN)

.PHONY: all tests check demo install uninstall clean deps bench format format-check \
	check-unit check-nss check-pam check-cli check-abi check-e2e check-san check-private \
	check-valgrind

all: $(UMCTL) $(PAM_SO) $(NSS_SO)

$(B)/obj/%.o: %.c $(wildcard include/umgmt/*.h lib/*.h umctl/*.h pam_module/*.h nss_module/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(LIBUMGMT): $(LIB_OBJ)
	@mkdir -p $(dir $@)
	rm -f $@
	$(AR) rcs $@ $^

$(UMCTL): $(UMCTL_OBJ) $(LIBUMGMT)
	$(CC) $(ALL_CFLAGS) -pie -o $@ $(UMCTL_OBJ) $(LIBUMGMT) $(ALL_LDFLAGS) $(CORE_LIBS)

$(PAM_SO): $(PAM_OBJ) $(LIBUMGMT) pam_module/pam_umgmt.map
	$(CC) $(ALL_CFLAGS) -shared -Wl,--version-script=pam_module/pam_umgmt.map \
		-Wl,-soname,pam_umgmt.so -Wl,--no-undefined -o $@ $(PAM_OBJ) $(LIBUMGMT) \
		$(ALL_LDFLAGS) $(CORE_LIBS) -lpam

# The NSS module links neither libsodium nor iniparser: a core object that
# needs them would fail this link.
$(NSS_SO): $(NSS_OBJ) $(LIBUMGMT) nss_module/nss_umgmt.map
	$(CC) $(ALL_CFLAGS) -shared -Wl,--version-script=nss_module/nss_umgmt.map \
		-Wl,-soname,libnss_umgmt.so.2 -Wl,--no-undefined -o $@ $(NSS_OBJ) $(LIBUMGMT) \
		$(ALL_LDFLAGS) $(NSS_LIBS)

tests: all $(TEST_BIN)

$(B)/tests/unit/%: tests/unit/%.c $(LIBUMGMT) $(wildcard tests/unit/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(LIBUMGMT) $(ALL_LDFLAGS) $(CORE_LIBS) -lcmocka

# The NSS tests lay their snapshots out with the core's own um_snap_build()
# (lib/snapshot-write.c), which needs neither SQLite nor libsodium: only
# the objects it pulls in are taken from the archive.
$(B)/tests/nss/%: tests/nss/%.c tests/nss/nsstest.c $(wildcard tests/nss/*.h) $(LIBUMGMT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/nss -o $@ $< tests/nss/nsstest.c $(LIBUMGMT) $(ALL_LDFLAGS) \
		-ldl -lpthread -lcmocka

# The PAM tests build their stores through the core API; the module under
# test is the real $(PAM_SO), loaded by libpam from the service files.
$(B)/tests/pam/%: tests/pam/%.c $(wildcard tests/pam/*.h) $(LIBUMGMT) $(PAM_SO)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/pam -o $@ $< $(LIBUMGMT) $(ALL_LDFLAGS) -lpamtest -lpam \
		-lcmocka $(CORE_LIBS)

# The CLI scenarios' helper programs (tests/cli/t0051, t0140, t0150): the
# emitter's JSON escaping, and what a login writes to the store.
$(B)/tests/cli/test-output: tests/cli/test-output.c $(B)/obj/umctl/output.o $(B)/obj/umctl/exit.o \
		$(LIBUMGMT) $(wildcard umctl/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Iumctl -o $@ $< $(B)/obj/umctl/output.o $(B)/obj/umctl/exit.o \
		$(LIBUMGMT) $(ALL_LDFLAGS) $(CORE_LIBS)

$(B)/tests/cli/test-policy-helper: tests/cli/test-policy-helper.c $(LIBUMGMT)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< $(LIBUMGMT) $(ALL_LDFLAGS) $(CORE_LIBS)

# ---------------------------------------------------------------- tests
# `make check` is the one test command (README, .ci/run): it installs what
# it needs on a bare Debian 12, builds normally and with sanitizers, and
# runs every layer, then (tests/run.sh private) the layers that other users
# take part in again from a copy of the checkout under a 0700 directory.
# tests/run.sh prints the closing "N passed, N failed".
check: deps
	$(MAKE) format-check
	$(MAKE) tests
	$(MAKE) SAN=1 tests
	$(MAKE) fuzz-build
	BUILD=$(BUILD) tests/run.sh all

deps:
	tests/install-deps.sh

check-unit check-nss check-pam check-cli check-abi check-e2e: tests
	BUILD=$(BUILD) tests/run.sh $(@:check-%=%)

# ---------------------------------------------------------------- fuzzing
# The snapshot reader under libFuzzer (tests/fuzz/): mutated snapshots,
# from a seed corpus that make-seeds lays out with um_snap_build(), each
# also verified (um_snap_verify: what it calls sound, the reader must
# serve). Built by clang from the reader's and the verifier's sources
# (libFuzzer needs them instrumented: $(LIBUMGMT) is gcc's), with ASan
# and UBSan. The fuzz layer of make check is a bounded run
# (tests/fuzz/run.sh, 45 s); make fuzz a long one on a corpus kept in
# $(B)/fuzz/corpus.
FUZZ_CC   ?= clang
FUZZ_TIME ?= 600
FUZZ_CFLAGS := $(WARN) -D_GNU_SOURCE -Iinclude -Ilib -g -O1 -fno-omit-frame-pointer \
	-fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_READER := lib/directory.c lib/util.c
FUZZ_VERIFY := lib/snapshot-verify.c
FUZZ_DEPS := $(FUZZ_READER) $(wildcard include/umgmt/*.h lib/*.h tests/fuzz/*.h)

.PHONY: fuzz fuzz-build check-fuzz

# The harness is compiled without libFuzzer's coverage hooks (a third
# faster): only the branches of the reader and of the verifier steer the
# mutations (the verifier's lead them to snapshots it calls sound).
$(B)/fuzz/fuzz-snapshot: tests/fuzz/fuzz-snapshot.c $(FUZZ_DEPS) $(FUZZ_VERIFY)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -c -o $@.o $<
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer -o $@ $@.o $(FUZZ_READER) $(FUZZ_VERIFY) \
		-lpthread

$(B)/fuzz/make-seeds: tests/fuzz/make-seeds.c lib/snapshot-write.c $(FUZZ_DEPS)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $< lib/snapshot-write.c $(FUZZ_READER) -lpthread

fuzz-build: $(B)/fuzz/fuzz-snapshot $(B)/fuzz/make-seeds

fuzz: deps
	$(MAKE) fuzz-build
	FUZZ_CORPUS=$(B)/fuzz/corpus tests/fuzz/run.sh $(B) $(FUZZ_TIME)

check-fuzz: fuzz-build
	BUILD=$(BUILD) tests/run.sh fuzz

# The layout of every C file is .clang-format's (Debian 12: clang-format 14).
FORMAT_SRC = $(sort $(shell find lib include umctl pam_module nss_module tests bench \
	-name '*.[ch]' -type f))
format-check:
	@command -v clang-format >/dev/null || \
		{ echo "format-check: clang-format is missing (apt-get install clang-format)" >&2; exit 1; }
	@clang-format --dry-run -Werror $(FORMAT_SRC)
	@echo "format-check: $(words $(FORMAT_SRC)) files laid out as .clang-format says"

format:
	clang-format -i $(FORMAT_SRC)

check-san:
	$(MAKE) SAN=1 tests
	BUILD=$(BUILD) tests/run.sh san

check-private: tests
	$(MAKE) SAN=1 tests
	BUILD=$(BUILD) tests/run.sh private

# Layer 4, outside check: memcheck over the unit tests, the NSS suites and
# a umctl session.
check-valgrind: tests
	tests/valgrind.sh $(B)

# The demo is the first command a new user runs on a bare Debian 12: it
# installs what it needs, like check.
demo: deps
	$(MAKE) all
	tests/demo.sh $(B)

bench: all
	UMGMT_BUILD=$(abspath $(B)) bench/run.sh

# ---------------------------------------------------------------- install
install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(PAMDIR) $(DESTDIR)$(NSSDIR) \
		$(DESTDIR)$(SYSCONFDIR)/umgmt $(DESTDIR)$(MANDIR)/man8
	install -m 0755 $(UMCTL) $(DESTDIR)$(SBINDIR)/umctl
	install -m 0644 $(PAM_SO) $(DESTDIR)$(PAMDIR)/pam_umgmt.so
	install -m 0644 $(NSS_SO) $(DESTDIR)$(NSSDIR)/libnss_umgmt.so.2
	test -e $(DESTDIR)$(SYSCONFDIR)/umgmt/umgmt.conf || \
		install -m 0644 etc/umgmt.conf $(DESTDIR)$(SYSCONFDIR)/umgmt/umgmt.conf
	for m in docs/man/*.8; do [ -e "$$m" ] && install -m 0644 "$$m" $(DESTDIR)$(MANDIR)/man8/; done; true
	@# New modules may read another snapshot format than the one the old
	@# umctl published: republish (umctl status does) when installing onto
	@# this machine and a store exists.
	@if [ -z "$(DESTDIR)" ] && [ -e /var/lib/umgmt/umgmt.db ]; then \
		$(SBINDIR)/umctl status >/dev/null && echo "install: the snapshot is current"; \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/umctl $(DESTDIR)$(PAMDIR)/pam_umgmt.so \
		$(DESTDIR)$(NSSDIR)/libnss_umgmt.so.2

clean:
	rm -rf build build-*
