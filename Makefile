# SPDX-License-Identifier: GPL-2.0-or-later
# pptp: a PPTP client.  GNU make.
#
#   make                  build ./pptp and ./pptpsetup
#   make check            build and run every test (SANITIZE=1: ASan+UBSan)
#   make install          PREFIX=/usr/local, DESTDIR honoured
#   make uninstall        removes what make install put there
#   make deb              build/pptp_VERSION_ARCH.deb (dpkg-dev, offline)
#   make clean

VERSION    := 0.1.0
PREFIX     ?= /usr/local
SBINDIR    ?= $(PREFIX)/sbin
MANDIR     ?= $(PREFIX)/share/man
PPPDIR     ?= /etc/ppp
# the pppd that launch mode runs (never looked up on PATH); --pppd overrides
PPPD_PATH  ?= /usr/sbin/pppd
CC         ?= cc
PKG_CONFIG ?= pkg-config

CFLAGS   ?= -O2 -g
CFLAGS   += -std=gnu11 -Wall -Wextra -Wshadow -Wstrict-prototypes \
            -Wmissing-prototypes -Wimplicit-fallthrough -Wformat=2 \
            -Wpointer-arith -Wcast-qual -Wvla
CPPFLAGS += -Iinclude -MMD -MP -D_GNU_SOURCE -DPPTP_VERSION='"$(VERSION)"' \
            -DPPPD_PATH='"$(PPPD_PATH)"'

ifeq ($(WERROR),1)
CFLAGS  += -Werror
endif

# Sanitized objects live apart, so the two builds never mix.
ifeq ($(SANITIZE),1)
CFLAGS  += -fsanitize=address,undefined -fno-omit-frame-pointer \
           -fno-sanitize-recover=all
CPPFLAGS += -DPPTP_SANITIZED	# sandbox.c lets the leak checker work
LDFLAGS += -fsanitize=address,undefined
B       := build/san
else
B       := build/std
endif

# The pure codecs and helpers, shared by the program and the unit tests.
LIB_SRCS := pptp_msg.c
LIB_SRCS += gre_hdr.c
LIB_SRCS += hdlc.c
LIB_SRCS += accm.c
LIB_SRCS += util.c
LIB_SRCS += ipc.c
LIB_SRCS += cm_msg.c
LIB_SRCS += status.c
LIB_SRCS += pqueue.c
LIB_SRCS += pptp_ctrl.c
LIB_SRCS += pptp_quirks.c
LIB_SRCS += orckit_quirks.c
LIB_SRCS += addr.c
LIB_SRCS += conntrack.c
LIB_SRCS += diagnose_pure.c

PROG_SRCS := pptp.c
PROG_SRCS += launch.c
PROG_SRCS += pptp_callmgr.c
PROG_SRCS += callmgr_status.c
PROG_SRCS += callmgr_ids.c
PROG_SRCS += rendezvous.c
PROG_SRCS += pptp_gre.c
PROG_SRCS += gre_tx.c
PROG_SRCS += gre_sock.c
PROG_SRCS += gre_stats.c
PROG_SRCS += gre_pppd.c
PROG_SRCS += route.c
PROG_SRCS += keeper.c
PROG_SRCS += sandbox.c
PROG_SRCS += watchdog.c
PROG_SRCS += relay.c
PROG_SRCS += logrelay.c
PROG_SRCS += pptp_status.c
PROG_SRCS += diagnose.c
PROG_SRCS += diagnose_local.c
PROG_SRCS += diagnose_report.c

TEST_SRCS := tests/check_main.c
TEST_SRCS += tests/check_msg.c
TEST_SRCS += tests/check_gre.c
TEST_SRCS += tests/check_hdlc.c
TEST_SRCS += tests/check_util.c
TEST_SRCS += tests/check_ctrl.c
TEST_SRCS += tests/check_quirks.c
TEST_SRCS += tests/check_ipc.c
TEST_SRCS += tests/check_cm.c
TEST_SRCS += tests/check_pqueue.c
TEST_SRCS += tests/check_accm.c
TEST_SRCS += tests/check_status.c
TEST_SRCS += tests/check_addr.c
TEST_SRCS += tests/check_conntrack.c
TEST_SRCS += tests/check_diagnose.c

LIB_OBJS  := $(LIB_SRCS:%.c=$(B)/%.o)
PROG_OBJS := $(PROG_SRCS:%.c=$(B)/%.o)
TEST_OBJS := $(TEST_SRCS:%.c=$(B)/%.o)

CHECK_CFLAGS := $(shell $(PKG_CONFIG) --cflags check 2>/dev/null)
CHECK_LIBS   := $(shell $(PKG_CONFIG) --libs check 2>/dev/null)

.PHONY: all check unit integration e2e demo bench fuzz install clean \
    uninstall deb pptpsetup-test package-test FORCE \
        deps-test chaos

# Each target first checks that all it runs is installed, and stops with
# one line per missing program and its package (tests/deps.txt).
need-%:
	@CC='$(CC)' sh tests/need $*

all: pptp pptpsetup

pptp: $(B)/pptp
ifneq ($(SANITIZE),1)
	cp $< $@
else
	@:	# the sanitized build stays in $(B): no make built-in rule here
endif

$(B)/pptp: $(PROG_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

pptpsetup: $(B)/pptpsetup
ifneq ($(SANITIZE),1)
	cp $< $@
else
	@:	# the sanitized build stays in $(B): no make built-in rule here
endif

# pptpsetup names the pptp installed beside it; rebuilt when SBINDIR moves.
$(B)/pptpsetup: $(B)/pptpsetup.o $(B)/util.o $(B)/addr.o
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/pptpsetup.o: CPPFLAGS += -DPPTPSETUP_PPTP='"$(SBINDIR)/pptp"'
$(B)/pptpsetup.o: $(B)/sbindir.stamp | need-build

$(B)/sbindir.stamp: FORCE
	@mkdir -p $(dir $@)
	@echo '$(SBINDIR)' | cmp -s - $@ || echo '$(SBINDIR)' > $@

# pptp with test_pause() at named stages (util.h), for the signal tests
HOOK_OBJS := $(PROG_SRCS:%.c=$(B)/hooks/%.o) $(LIB_SRCS:%.c=$(B)/hooks/%.o)

$(B)/pptp-hooks: $(HOOK_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/hooks/%.o: %.c | need-build
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) -DPPTP_TEST_HOOKS $(CFLAGS) -c -o $@ $<

# The pid-reuse attack on pppd's watchdog (as root, in a pid namespace).
$(B)/watchdog_reuse: $(B)/tests/watchdog_reuse.o $(B)/watchdog.o \
    $(B)/sandbox.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/fakepptpd: $(B)/tests/fakepptpd.o $(B)/tests/fakepptpd_chaos.o \
    $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/pptpbench: $(B)/tests/bench/pptpbench.o \
    $(B)/tests/bench/pptpbench_multi.o $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(LDLIBS)

$(B)/check_pptp: $(TEST_OBJS) $(LIB_OBJS)
	$(CC) $(LDFLAGS) -o $@ $^ $(CHECK_LIBS) $(LDLIBS)

$(B)/tests/%.o: tests/%.c | need-build
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CHECK_CFLAGS) $(CFLAGS) -c -o $@ $<

$(B)/%.o: %.c | need-build
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(CFLAGS) -c -o $@ $<

# Under SANITIZE=1 the end-to-end run is left out, and says so: ASan
# cannot map its shadow memory inside User-Mode Linux.
ifeq ($(SANITIZE),1)
check: need-check-sanitized unit integration pptpsetup-test package-test \
    deps-test
	@echo "e2e: not run with SANITIZE=1 (ASan cannot map its shadow" \
	    "memory inside User-Mode Linux); make e2e runs it"
else
check: need-check unit integration pptpsetup-test package-test e2e deps-test
endif

unit: need-unit $(B)/check_pptp $(B)/pptp $(B)/watchdog_reuse
	$(B)/watchdog_reuse
	CK_FORK=yes PPTP_BIN=$(CURDIR)/$(B)/pptp $(B)/check_pptp

# Client and test server in network namespaces (root, iproute2, python3):
# the harness's own checks, then the tests (tests/integration/, by topic).
integration: need-integration $(B)/pptp $(B)/fakepptpd $(B)/pptp-hooks \
    $(B)/sysprobe.so
	python3 tests/harness_selftest.py
	python3 tests/integration/run.py --pptp $(CURDIR)/$(B)/pptp \
	    --server $(CURDIR)/$(B)/fakepptpd \
	    --pptp-hooks $(CURDIR)/$(B)/pptp-hooks \
	    --probe $(CURDIR)/$(B)/sysprobe.so \
	    $(if $(filter 1,$(SANITIZE)),--sanitized) $(TESTS)

# Preloaded by a test: a forbidden system call on SIGUSR2 (see the file).
$(B)/sysprobe.so: tests/sysprobe.c | need-build
	@mkdir -p $(dir $@)
	$(CC) $(CFLAGS) -shared -fPIC -o $@ $<

# Faults at random moments, seeded (tests/chaos.py): ROUNDS= (default
# 300), SEED= replays a run, ONLY=N its round N alone.
chaos: need-chaos $(B)/pptp $(B)/fakepptpd
	python3 tests/chaos.py --pptp $(CURDIR)/$(B)/pptp \
	    --server $(CURDIR)/$(B)/fakepptpd $(if $(ROUNDS),--rounds $(ROUNDS)) \
	    $(if $(SEED),--seed $(SEED)) $(if $(ONLY),--only $(ONLY))

# Real pppd and pptpd, in User-Mode Linux (see tests/e2e/run.py).
# CLIENT=/usr/sbin/pptp runs the same scenarios against another client.
CLIENT ?= $(CURDIR)/$(B)/pptp
e2e: need-e2e $(B)/pptp $(B)/pptpsetup build/uml_xstate.so
	python3 tests/e2e/run.py --client $(CLIENT) \
	    --pptpsetup $(CURDIR)/$(B)/pptpsetup \
	    --preload $(CURDIR)/build/uml_xstate.so \
	    $(if $(COMPARE),--compare $(COMPARE)) $(SCENARIOS)

# Throughput, CPU per packet and memory, client vs a minimal server in
# namespaces; CLIENT=path measures another client, COMPARE=path runs two
# side by side (A B A B ...) and prints their ratios; COMPARE="path null"
# adds the benchmark's null client as a third.
bench: need-bench $(B)/pptp $(B)/pptpbench
	python3 tests/bench/bench.py --bench $(CURDIR)/$(B)/pptpbench \
	    --client $(CLIENT) $(if $(COMPARE),--compare "$(COMPARE)") \
	    $(if $(ROUNDS),--rounds $(ROUNDS)) $(if $(ONLY),--only "$(ONLY)") \
	    $(if $(STATUS_READER),--status-reader) \
	    $(if $(NOSANDBOX),--nosandbox) \
	    $(if $(PARTS),--parts "$(PARTS)") \
	    $(if $(SCALE_N),--scale-n "$(SCALE_N)") \
	    $(if $(SECONDS),--scale-seconds $(SECONDS) --lat-seconds $(SECONDS)) \
	    $(if $(PICTURES),--pictures $(PICTURES))

# Long runs, not in make check.  soak: two tunnels' traffic with loss and
# reordering for MINUTES; memory and descriptors must not grow.  scale:
# TUNNELS at once, three ways; their memory, idle CPU and timings (the
# integration test full_call_manager_answers_status_and_says_why runs 64
# tunnels in make check).
.PHONY: soak scale
MINUTES ?= 10
soak: need-soak $(B)/pptp $(B)/fakepptpd
	python3 tests/soak.py --pptp $(CURDIR)/$(B)/pptp \
	    --server $(CURDIR)/$(B)/fakepptpd --minutes $(MINUTES)

TUNNELS ?= 64
scale: need-scale $(B)/pptp $(B)/fakepptpd
	python3 tests/scale.py --pptp $(CURDIR)/$(B)/pptp \
	    --server $(CURDIR)/$(B)/fakepptpd --tunnels $(TUNNELS) $(TESTS)

# libFuzzer over every decoder and the control state machine (clang).
FUZZ_SECONDS ?= 60
fuzz: need-fuzz
	mkdir -p build/fuzz/corpus
	clang -g -O1 -std=gnu11 -D_GNU_SOURCE -Iinclude \
	    -DPPTP_VERSION='"$(VERSION)"' -fsanitize=fuzzer,address,undefined \
	    -o build/fuzz/fuzz_codecs tests/fuzz/fuzz_codecs.c $(LIB_SRCS)
	build/fuzz/fuzz_codecs -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
	    build/fuzz/corpus tests/fuzz/corpus

# One tunnel, narrated: the README's first command.
demo: need-demo $(B)/pptp build/uml_xstate.so
	@python3 tests/e2e/run.py --demo --client $(CURDIR)/$(B)/pptp \
	    --preload $(CURDIR)/build/uml_xstate.so

# Lets User-Mode Linux 6.1 run on a host with AVX-512 (see the file).
build/uml_xstate.so: tests/e2e/uml_xstate.c | need-build
	@mkdir -p build
	$(CC) $(filter-out -fsanitize=% -fno-sanitize-recover=%,$(CFLAGS)) \
	    -shared -fPIC -o $@ $< -ldl

# Every program the scripts run is in tests/deps.txt, and .ci/deps
# installs it; each package there has its program.
deps-test: need-deps-test
	python3 tests/deps_test.py

# pptpsetup's hostile input, its files read back by the real pppd.
pptpsetup-test: need-pptpsetup-test $(B)/pptpsetup
	python3 tests/pptpsetup.py --pptpsetup $(CURDIR)/$(B)/pptpsetup \
	    --options $(CURDIR)/etc/options.pptp $(TESTS)

# make install/uninstall into a DESTDIR, make deb, the package's contents.
package-test: need-package-test
	python3 tests/package.py $(TESTS)

# The example options.pptp is installed only where none exists, and
# removed only while it is still the one installed.
install: $(B)/pptp $(B)/pptpsetup
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(MANDIR)/man8 \
	    $(DESTDIR)$(PPPDIR)
	install -m 0755 $(B)/pptp $(DESTDIR)$(SBINDIR)/pptp
	install -m 0755 $(B)/pptpsetup $(DESTDIR)$(SBINDIR)/pptpsetup
	install -m 0644 man/pptp.8 $(DESTDIR)$(MANDIR)/man8/pptp.8
	install -m 0644 man/pptpsetup.8 $(DESTDIR)$(MANDIR)/man8/pptpsetup.8
	@if [ -e $(DESTDIR)$(PPPDIR)/options.pptp ]; then \
	    echo "kept the existing $(DESTDIR)$(PPPDIR)/options.pptp"; \
	else \
	    echo "install -m 0644 etc/options.pptp" \
	        "$(DESTDIR)$(PPPDIR)/options.pptp"; \
	    install -m 0644 etc/options.pptp $(DESTDIR)$(PPPDIR)/options.pptp; \
	fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/pptp $(DESTDIR)$(SBINDIR)/pptpsetup \
	    $(DESTDIR)$(MANDIR)/man8/pptp.8 $(DESTDIR)$(MANDIR)/man8/pptpsetup.8
	@f=$(DESTDIR)$(PPPDIR)/options.pptp; \
	if cmp -s etc/options.pptp $$f; then echo "rm -f $$f"; rm -f $$f; \
	elif [ -e $$f ]; then echo "kept $$f: not the one make install" \
	    "writes"; fi

deb: need-deb
	@sh debian/mkdeb $(VERSION)

clean:
	rm -rf build pptp pptpsetup

-include $(LIB_OBJS:.o=.d) $(PROG_OBJS:.o=.d) $(TEST_OBJS:.o=.d) \
    $(HOOK_OBJS:.o=.d) \
    $(B)/tests/fakepptpd.d $(B)/tests/fakepptpd_chaos.d \
    $(B)/tests/bench/pptpbench.d $(B)/tests/bench/pptpbench_multi.d \
    $(B)/pptpsetup.d \
    $(B)/tests/watchdog_reuse.d
