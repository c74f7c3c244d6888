# Makefile - oauth-fcgi. One plain GNU make file.
#
#   make                      cgi/oauth.fcgi (production: no debug output)
#   make DEV=1                cgi/oauth-dev.fcgi (-DOAUTH_DEV=1, build/dev/)
#   make SANITIZE=address,undefined [DEV=1]
#                             cgi/oauth-san.fcgi (cgi/oauth-dev-san.fcgi)
#   make unit                 build and run tests/unit/test_*.c
#   make run [PORT=8080] [DEV=1]   install packages, build, start an instance
#   make stop [PORT=8080]     stop it (data stays in var/PORT/)
#   make test                 tests/run.sh: everything, ends "N passed, N failed"
#   make valgrind             only the valgrind stage of tests/run.sh
#   make fuzz [FUZZ_SECONDS=30]   libFuzzer drivers tests/fuzz/fuzz_*.c
#   make format | format-check    clang-format over src/ and tests/unit/
#   make clean
#
# Every variant has its own build directory and binary, so building one
# never replaces another (a production and a DEV instance run side by side).

# The version `oauth.fcgi --version` prints, with the build variant and the
# schema version embedded; raised by hand with each release (docs/cli.md).
VERSION := 1.0.0

PORT ?= 8080
DEV ?=
SANITIZE ?=
FUZZ_SECONDS ?= 30
FAST ?=

CC ?= cc
AR ?= ar
CFLAGS ?= -O2 -g
LDFLAGS ?=

WARNFLAGS := -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes \
	-Wformat=2 -Wvla
WERROR := -Werror

# Hardening (SPEC section 14), checked on the built binary by
# tests/integration/test_ops.py: a stack protector and glibc's fortified
# functions (the *_chk variants; _FORTIFY_SOURCE needs optimization, so it
# is added only when CFLAGS optimizes, as the default -O2 does), a
# position-independent executable, full RELRO and BIND_NOW (the GOT is
# read-only once the program starts). The sanitizer and fuzz builds keep
# PIE and RELRO but not the stack protector and _FORTIFY_SOURCE, which
# ASan replaces with checks of its own.
HARDEN_CFLAGS := -fstack-protector-strong \
	$(if $(filter -O1 -O2 -O3 -Os -Og -Ofast,$(CFLAGS)),-U_FORTIFY_SOURCE -D_FORTIFY_SOURCE=2)
HARDEN_PIE := -fPIE
HARDEN_LDFLAGS := -pie -Wl,-z,relro,-z,now
PKGS := fcgi mysqlclient json-c libcrypto libxcrypt

# --- the variant being built ------------------------------------------------
ifeq ($(FUZZ),1)
# Internal (make fuzz): clang, coverage for libFuzzer, no -Werror (clang
# warns about other things than gcc; the fuzz build is not the gate).
VARIANT := fuzz
CC := clang
WERROR :=
VCFLAGS := -fsanitize=fuzzer-no-link,address,undefined \
	-fno-omit-frame-pointer -fno-sanitize-recover=undefined
VLDFLAGS := -fsanitize=address,undefined
else
ifeq ($(DEV),1)
VARIANT := dev
VCFLAGS := -DOAUTH_DEV=1
else
VARIANT := prod
VCFLAGS :=
endif
VCFLAGS += $(HARDEN_PIE)
VLDFLAGS := $(HARDEN_LDFLAGS)
ifeq ($(SANITIZE),)
VCFLAGS += $(HARDEN_CFLAGS)
else
VARIANT := $(if $(filter dev,$(VARIANT)),dev-san,san)
VCFLAGS += -fsanitize=$(SANITIZE) -fno-omit-frame-pointer \
	-fno-sanitize-recover=undefined
VLDFLAGS += -fsanitize=$(SANITIZE)
endif
endif

BIN_prod := cgi/oauth.fcgi
BIN_dev := cgi/oauth-dev.fcgi
BIN_san := cgi/oauth-san.fcgi
BIN_dev-san := cgi/oauth-dev-san.fcgi
BIN := $(BIN_$(VARIANT))
B := build/$(VARIANT)

# Library flags, asked of pkg-config once and only when a recipe needs them
# (so `make run` can install the packages before anything asks).
# Their include directories become -isystem: warnings in library headers
# are not ours to fix.
PKG_CFLAGS = $(eval PKG_CFLAGS := $$(patsubst -I%,-isystem%,$$(shell \
	pkg-config --cflags $(PKGS) 2>/dev/null)))$(PKG_CFLAGS)
PKG_LIBS = $(eval PKG_LIBS := $$(shell pkg-config --libs $(PKGS) \
	2>/dev/null))$(PKG_LIBS)

ALL_CFLAGS = -std=c11 -D_GNU_SOURCE $(CFLAGS) $(WARNFLAGS) $(WERROR) \
	$(VCFLAGS) -Isrc $(PKG_CFLAGS) -MMD -MP
# Unit tests and fuzzers are programs of one file whose functions need no
# prototypes, and may #include a .c whose static helpers they do not all use.
TEST_CFLAGS = $(ALL_CFLAGS) -Itests/unit -Wno-missing-prototypes \
	-Wno-unused-function

SRCS := $(sort $(wildcard src/*.c src/core/*.c src/dialect/*.c src/web/*.c \
	src/cli/*.c))
OBJS := $(SRCS:%.c=$(B)/%.o)
MAIN_OBJ := $(B)/src/main.o
LIB := $(B)/liboauth.a
LIB_OBJS := $(filter-out $(MAIN_OBJ),$(OBJS)) $(B)/migrations.o

UNIT_SRCS := $(sort $(wildcard tests/unit/test_*.c))
UNIT_BINS := $(UNIT_SRCS:tests/unit/%.c=$(B)/unit/%)
FUZZ_SRCS := $(sort $(wildcard tests/fuzz/fuzz_*.c))
FORMAT_FILES := $(sort $(wildcard src/*.[ch] src/*/*.[ch] tests/unit/*.[ch]))

# How the instance for this build is started (scripts/stack.sh).
STACK_MODE_prod :=
STACK_MODE_dev := --dev
STACK_MODE_san := --san
STACK_MODE_dev-san := --dev-san

.PHONY: all unit run stop test valgrind bench fuzz fuzz-run format format-check \
	clean distclean deps FORCE
.SUFFIXES:
.DELETE_ON_ERROR:

all: $(BIN)

# --- compile ----------------------------------------------------------------
# The exact flags of the last build; objects depend on it, so changing
# DEV/SANITIZE/CFLAGS rebuilds what it must and nothing else.
$(B)/.flags: FORCE
	@pkg-config --exists $(PKGS) || { echo "make: missing libraries" \
	    "($(PKGS)); run scripts/deps.sh build" >&2; exit 1; }
	@mkdir -p $(@D)
	@t=$@.$$$$.tmp; \
	printf '%s\n' '$(CC) $(ALL_CFLAGS) $(LDFLAGS) $(VLDFLAGS) $(PKG_LIBS)' \
	    > $$t; \
	if cmp -s $$t $@; then rm -f $$t; else mv -f $$t $@; fi

# Only the CLI says its version: a new VERSION rebuilds that object alone
# (through $(B)/.version, rewritten only when it changed).
$(B)/src/cli/cli.o: ALL_CFLAGS += -DOAUTH_VERSION=\"$(VERSION)\" \
	-DOAUTH_VARIANT=\"$(VARIANT)\"
$(B)/src/cli/cli.o: $(B)/.version
$(B)/.version: FORCE
	@mkdir -p $(@D)
	@echo '$(VERSION)' | cmp -s - $@ || echo '$(VERSION)' > $@

$(B)/%.o: %.c $(B)/.flags
	@mkdir -p $(@D)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The SQL migrations, embedded (src/migrations.h). Regenerated on every
# build but replaced only when the text changed, so a new, edited or
# removed sql/*.sql file rebuilds exactly this object.
$(B)/migrations.c: FORCE
	@mkdir -p $(@D)
	@t=$@.$$$$.tmp; \
	sh scripts/embed-sql.sh sql > $$t || { rm -f $$t; exit 1; }; \
	if cmp -s $$t $@; then rm -f $$t; \
	else mv -f $$t $@; echo "embedded sql/*.sql into $@"; fi

$(B)/migrations.o: $(B)/migrations.c $(B)/.flags
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Every object but main.o, for the unit tests and fuzzers.
$(LIB): $(LIB_OBJS)
	$(AR) rcs $@.$$$$.tmp $^ && mv -f $@.$$$$.tmp $@

# Linked under a temporary name (unique to this make) and renamed: a
# running FastCGI process keeps its old file, a failed link never leaves a
# half-written binary, and Apache (www-data) must be able to run it.
$(BIN): $(MAIN_OBJ) $(LIB) $(B)/.flags
	@mkdir -p cgi
	@chmod 0755 cgi
	$(CC) $(LDFLAGS) $(VLDFLAGS) -o $@.$$$$.tmp $(MAIN_OBJ) $(LIB) \
	    $(PKG_LIBS) && chmod 0755 $@.$$$$.tmp && mv -f $@.$$$$.tmp $@

# --- unit tests ---------------------------------------------------------------
$(B)/unit/%: tests/unit/%.c $(LIB) $(B)/.flags
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) $(LDFLAGS) $(VLDFLAGS) -o $@ $< $(LIB) $(PKG_LIBS)

# Each test prints "ok"/"not ok" lines and ends with
# "unit <file>: N passed, M failed"; one that dies before it (a crash, an
# abort, a sanitizer report, a hang past 300 s) is reported as one failure.
unit: $(UNIT_BINS)
	@if [ -z "$(UNIT_BINS)" ]; then echo "unit: no tests in tests/unit/"; \
	    exit 0; fi; \
	status=0; \
	for t in $(UNIT_BINS); do \
		rc=0; timeout 300 ./$$t > $$t.out 2>&1 || rc=$$?; \
		cat $$t.out; \
		if ! grep -Eq '^unit .*: [0-9]+ passed, [0-9]+ failed' $$t.out; \
		then echo "unit $$t: 0 passed, 1 failed (exit $$rc, no summary)"; \
		    status=1; \
		elif [ $$rc -ne 0 ]; then status=1; fi; \
	done; \
	exit $$status

# --- instances ----------------------------------------------------------------
deps:
	@sh scripts/deps.sh build run test

run:
	@sh scripts/deps.sh build run
	@$(MAKE) --no-print-directory all
	@scripts/stack.sh up $(PORT) $(STACK_MODE_$(VARIANT)) --registration open \
	    --demo

stop:
	@scripts/stack.sh down $(PORT)

# --- tests ----------------------------------------------------------------------
test:
	@SANITIZE='$(SANITIZE)' FAST='$(FAST)' tests/run.sh

valgrind:
	@SANITIZE= FAST= tests/run.sh valgrind

# SPEC 13: wrk against its own instance; writes bench/results.md. Not part
# of `make test` or CI. BENCH_TOKENS= sets the filled table size.
bench:
	@bench/run.sh

# libFuzzer: each tests/fuzz/fuzz_X.c (defining LLVMFuzzerTestOneInput) is
# linked with a clang-built archive and run for FUZZ_SECONDS, with its
# corpus in build/fuzz/corpus/X/ (seeded from tests/fuzz/corpus/X/ when
# that exists) and crashes written to build/fuzz/artifacts/.
fuzz:
ifeq ($(FUZZ_SRCS),)
	@echo "no fuzzers"
else
	@sh scripts/deps.sh build fuzz
	@$(MAKE) --no-print-directory FUZZ=1 fuzz-run
endif

FUZZ_BINS := $(FUZZ_SRCS:tests/fuzz/%.c=$(B)/fuzz/%)

$(B)/fuzz/%: tests/fuzz/%.c $(LIB) $(B)/.flags
	@mkdir -p $(@D)
	$(CC) $(TEST_CFLAGS) -fsanitize=fuzzer,address,undefined -o $@ $< \
	    $(LIB) $(PKG_LIBS)

fuzz-run: $(FUZZ_BINS)
	@status=0; \
	for f in $(FUZZ_BINS); do \
		n=$${f##*/}; \
		mkdir -p $(B)/corpus/$$n $(B)/artifacts; \
		seeds=; [ -d tests/fuzz/corpus/$$n ] && seeds=tests/fuzz/corpus/$$n; \
		echo "fuzz: $$n for $(FUZZ_SECONDS) s"; \
		./$$f -max_total_time=$(FUZZ_SECONDS) -timeout=10 \
		    -rss_limit_mb=2048 -print_final_stats=1 \
		    -artifact_prefix=$(B)/artifacts/$$n- \
		    $(B)/corpus/$$n $$seeds || { status=1; \
		    echo "fuzz: $$n FAILED (see $(B)/artifacts/)"; }; \
	done; \
	exit $$status

# --- style ----------------------------------------------------------------------
format:
	@sh scripts/deps.sh format
	clang-format -i $(FORMAT_FILES)

format-check:
	@sh scripts/deps.sh format
	clang-format --dry-run --Werror $(FORMAT_FILES)

clean:
	rm -rf build cgi/*.fcgi cgi/*.tmp

# Also the instances' data (stop them first: make stop PORT=...).
distclean: clean
	rm -rf var

FORCE:

-include $(OBJS:.o=.d) $(B)/migrations.d $(UNIT_BINS:=.d) $(FUZZ_BINS:=.d)
