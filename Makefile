# sluice: one top-level build. See README.md.
#   make            build everything into build/
#   make test       build, then run every test (ends with "N passed, N failed")
#   make asan       build with AddressSanitizer + UBSan into build-asan/, run the tests
#   make fuzz       build the libFuzzer targets with clang into build-fuzz/, run each
#   make demo       install what is missing, build, run the file-to-file demo
#   make format     clang-format every source file (format-check: check only)
#   make install    PREFIX=/usr/local (DESTDIR honoured)

BUILD	?= build
PREFIX	?= /usr/local
CC	?= cc
WERROR	?= 0
VERSION	:= $(shell cat VERSION 2>/dev/null || echo 0.0.0)
COMMIT	:= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)

PKGS	:= libevent libevent_openssl openssl rdkafka msgpack jansson libseccomp \
	   libpcre2-8
PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

OPT	?= -O2
WARN	:= -Wall -Wextra -Wshadow -Wvla -Wformat=2 -Wstrict-prototypes \
	   -Wno-missing-field-initializers
ifeq ($(WERROR),1)
WARN	+= -Werror
endif
CFLAGS	?= $(OPT) -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SAN) -MMD -MP \
	      -Iprotocol -Iconnectors $(PKG_CFLAGS) \
	      -DSLUICE_VERSION='"$(VERSION)"' \
	      -DSLUICE_COMMIT='"$(COMMIT)"'
LDFLAGS	?=
ALL_LDFLAGS := $(LDFLAGS) $(SAN)


PROTO_SRCS := $(wildcard protocol/proto_*.c)
SV_SRCS	   := $(wildcard supervisor/sv_*.c)
TH_SRCS	   := $(wildcard taskhost/th_*.c)

PROTO_OBJS := $(PROTO_SRCS:%.c=$(BUILD)/obj/%.o)
SV_OBJS	   := $(SV_SRCS:%.c=$(BUILD)/obj/%.o)
TH_OBJS	   := $(TH_SRCS:%.c=$(BUILD)/obj/%.o)

PLUGIN_SRCS := $(wildcard connectors/*/conn_*.c)
PLUGINS	    := $(foreach s,$(PLUGIN_SRCS),$(BUILD)/plugins/$(basename $(notdir $(s))).so)
TPLUGIN_SRCS := $(wildcard tests/connectors/*.c)
TPLUGINS    := $(foreach s,$(TPLUGIN_SRCS),$(BUILD)/test-plugins/$(basename $(notdir $(s))).so)
UNIT_SRCS   := $(wildcard tests/unit/test_*.c)
UNIT_BINS   := $(UNIT_SRCS:tests/unit/%.c=$(BUILD)/tests/%)
BENCH_SRCS  := $(wildcard tests/bench/*.c)
BENCH_BINS  := $(BENCH_SRCS:tests/bench/%.c=$(BUILD)/bench/%)

SV_LIBS	:= -lnng $(PKG_LIBS) -lcrypt -lpthread -lm
# sluiced's allocator: librdkafka allocates and frees each message, on
# different threads; with glibc's malloc that was a fifth of sluiced's
# event loop (bench/README.md). Not with the sanitizers, which bring
# their own. `make SV_MALLOC=` links glibc's.
SV_MALLOC ?= $(if $(SAN),,-Wl,--push-state,--no-as-needed -ljemalloc -Wl,--pop-state)
TH_LIBS	:= -lnng $(PKG_LIBS) -ldl -lpthread -lm

PROGS	:= $(BUILD)/sluiced $(BUILD)/sluice-taskhost $(BUILD)/sluice-devkafka

# sluicectl, the admin CLI: supervisor/sluicectl.c and ctl_*.c (never
# sv_*.c, which all go into libsv.a); it reads connector files with
# sluiced's own parser, sv_connfile and what it needs.
CTL_SRCS := $(wildcard supervisor/ctl_*.c)
CTL_OBJS := $(CTL_SRCS:%.c=$(BUILD)/obj/%.o) \
	    $(addprefix $(BUILD)/obj/supervisor/,sv_connfile.o sv_props.o sv_file.o sv_log.o)
PROGS	+= $(BUILD)/sluicectl

.PHONY: all test check check-unit check-integration asan format format-check \
	demo install clean setup bench
.DEFAULT_GOAL := all

all: $(PROGS) $(PLUGINS) $(TPLUGINS) $(UNIT_BINS) $(BENCH_BINS)

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

$(BUILD)/libproto.a: $(PROTO_OBJS)
	@rm -f $@; ar rcs $@ $^
$(BUILD)/libsv.a: $(SV_OBJS)
	@rm -f $@; ar rcs $@ $^
$(BUILD)/libth.a: $(TH_OBJS)
	@rm -f $@; ar rcs $@ $^

$(BUILD)/sluiced: $(BUILD)/obj/supervisor/sluiced.o $(BUILD)/libsv.a $(BUILD)/libproto.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(SV_MALLOC) $(SV_LIBS)
$(BUILD)/sluice-devkafka: $(BUILD)/obj/supervisor/devkafka.o $(BUILD)/libsv.a $(BUILD)/libproto.a
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(SV_LIBS)
$(BUILD)/sluicectl: $(BUILD)/obj/supervisor/sluicectl.o $(CTL_OBJS)
	$(CC) $(ALL_LDFLAGS) -Wl,--as-needed -o $@ $^ -lcurl $(SV_LIBS)
$(BUILD)/tests/test_ctl_%: $(BUILD)/obj/tests/unit/test_ctl_%.o $(CTL_OBJS)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -Wl,--as-needed -o $@ $^ -lcurl $(SV_LIBS)
$(BUILD)/sluice-taskhost: $(BUILD)/obj/taskhost/taskhost.o $(BUILD)/libth.a $(BUILD)/libproto.a
	$(CC) $(ALL_LDFLAGS) -rdynamic -o $@ $^ $(TH_LIBS)

# Plugins: one shared object per connectors/<dir>/conn_<name>.c, exporting
# only `conn_plugin`.
PLUGIN_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) $(CFLAGS) $(SAN) -fPIC \
		 -fvisibility=hidden -Iconnectors -MMD -MP
define plugin_rule
$(BUILD)/$(2)/$(basename $(notdir $(1))).so: $(1)
	@mkdir -p $$(dir $$@)
	$$(CC) $$(PLUGIN_CFLAGS) -shared -o $$@ $$< $$(SAN)
endef
$(foreach s,$(PLUGIN_SRCS),$(eval $(call plugin_rule,$(s),plugins)))
$(foreach s,$(TPLUGIN_SRCS),$(eval $(call plugin_rule,$(s),test-plugins)))

# Unit tests: one binary per module, linked against its component's
# archive (the linker takes only the objects the test needs).
$(BUILD)/tests/test_proto_%: $(BUILD)/obj/tests/unit/test_proto_%.o $(BUILD)/libproto.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(SV_LIBS)
$(BUILD)/tests/test_sv_%: $(BUILD)/obj/tests/unit/test_sv_%.o $(BUILD)/libsv.a $(BUILD)/libproto.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(SV_LIBS)
$(BUILD)/tests/test_th_%: $(BUILD)/obj/tests/unit/test_th_%.o $(BUILD)/libth.a $(BUILD)/libproto.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -rdynamic -o $@ $^ $(TH_LIBS)
$(BUILD)/bench/%: $(BUILD)/obj/tests/bench/%.o $(BUILD)/libsv.a $(BUILD)/libproto.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(SV_LIBS)

# --- Sandbox tests (issue 5) --------------------------------------------
# The hostile-peer suite's fake taskhost (tests/sandbox/fake_taskhost.c).
FAKE_TASKHOST := $(BUILD)/tests/fake_taskhost
all: $(FAKE_TASKHOST)
$(FAKE_TASKHOST): $(BUILD)/obj/tests/sandbox/fake_taskhost.o $(BUILD)/libproto.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_LDFLAGS) -o $@ $^ $(SV_LIBS)

# libFuzzer targets (tests/fuzz/fuzz_*.c), built with clang into
# $(FUZZ_BUILD) apart from everything else. `make fuzz` runs each for
# FUZZ_SECONDS; make test runs each for a few seconds (tests/fuzz/fuzz.sh).
FUZZ_BUILD	?= build-fuzz
FUZZ_CC		?= clang
FUZZ_SECONDS	?= 120
FUZZ_CFLAGS	:= -std=c11 -D_GNU_SOURCE -g -O1 -fno-omit-frame-pointer \
		   -fsanitize=fuzzer,address,undefined \
		   -fno-sanitize-recover=undefined \
		   -Iprotocol -Iconnectors -Itaskhost $(PKG_CFLAGS) \
		   -DSLUICE_VERSION='"$(VERSION)"'
FUZZ_JSON_SRCS	:= $(wildcard taskhost/th_conv*.c) taskhost/th_data.c

.PHONY: fuzz fuzz-build clean-fuzz
fuzz-build: $(FUZZ_BUILD)/fuzz_proto $(FUZZ_BUILD)/fuzz_json
$(FUZZ_BUILD)/fuzz_proto: tests/fuzz/fuzz_proto.c $(PROTO_SRCS) $(wildcard protocol/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS)
$(FUZZ_BUILD)/fuzz_json: tests/fuzz/fuzz_json.c $(FUZZ_JSON_SRCS) $(wildcard taskhost/*.h)
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -o $@ $(filter %.c,$^) $(PKG_LIBS) -lm
fuzz: setup
	@$(MAKE) --no-print-directory fuzz-build
	@FUZZ_BUILD=$(FUZZ_BUILD) tests/fuzz/run $(FUZZ_SECONDS)
clean: clean-fuzz
clean-fuzz:
	rm -rf $(FUZZ_BUILD)

setup:
	@scripts/setup

test check: setup
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) tests/run

check-unit: all
	@BUILD=$(BUILD) tests/run unit
check-integration: all
	@BUILD=$(BUILD) tests/run integration

asan: setup
	@$(MAKE) --no-print-directory BUILD=build-asan OPT=-O1 \
		SAN="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined" all
	@BUILD=build-asan SLUICE_SANDBOX=none \
		ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
		LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp:print_suppressions=0 \
		UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 tests/run

demo: setup
	@$(MAKE) --no-print-directory all
	@scripts/demo

bench: setup
	@$(MAKE) --no-print-directory all
	@BUILD=$(BUILD) scripts/bench

FORMAT_SRCS = $(shell git ls-files '*.c' '*.h' 2>/dev/null)
format:
	clang-format -i $(FORMAT_SRCS)
format-check:
	clang-format --dry-run --Werror $(FORMAT_SRCS)

install: all
	install -d $(DESTDIR)$(PREFIX)/bin $(DESTDIR)$(PREFIX)/lib/sluice/plugins \
		$(DESTDIR)$(PREFIX)/libexec/sluice $(DESTDIR)$(PREFIX)/include/sluice
	install -m 0755 $(BUILD)/sluiced $(BUILD)/sluice-devkafka $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 $(BUILD)/sluicectl $(DESTDIR)$(PREFIX)/bin/
	install -m 0755 $(BUILD)/sluice-taskhost $(DESTDIR)$(PREFIX)/libexec/sluice/
	install -m 0644 $(PLUGINS) $(DESTDIR)$(PREFIX)/lib/sluice/plugins/
	install -m 0644 connectors/connector.h $(DESTDIR)$(PREFIX)/include/sluice/

clean:
	rm -rf build build-asan

-include $(shell find $(BUILD) build-asan -name '*.d' 2>/dev/null)
