# pyrometer - GNU make.
#   make                 build build/pyrometer
#   make demo            build, then profile examples/demo.py
#   make test            C unit tests, corpus replay, end-to-end tests on every CPython here
#   make SAN=address,undefined test    the same under sanitizers (in build/san/)
#   make fuzz            libFuzzer targets (clang), run briefly
#   make layouts         regenerate src/cpython/layouts_gen.c from CPython headers

VERSION := 0.1.0
CC ?= cc
SAN ?=
ifeq ($(SAN),)
BUILD ?= build
SANFLAGS :=
else
BUILD ?= build/san
SANFLAGS := -fsanitize=$(SAN) -fno-omit-frame-pointer -fno-sanitize-recover=all
endif

WARN := -Wall -Wextra -Wshadow -Wvla -Wstrict-prototypes -Wno-missing-field-initializers
ifneq ($(CI),)
WARN += -Werror
endif
CFLAGS ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE -DPYROMETER_VERSION='"$(VERSION)"' -DPYROMETER_SRC='"$(abspath .)"' $(WARN) $(CFLAGS) $(SANFLAGS) -Isrc -MMD -MP
LDFLAGS += $(SANFLAGS)

LIB_SRC := $(filter-out src/cli/% src/agent/%,$(wildcard src/*/*.c))
AGENT_DEPS := $(wildcard src/agent/*.[ch] src/agent/*/*.py) src/profile/writer.c src/profile/model.c \
	src/profile/profile.h $(wildcard src/util/*.[ch]) tools/build_agent.sh
AGENT_PYTHON ?= python3
CLI_SRC := $(wildcard src/cli/*.c)
HTML_ASSETS := $(sort $(wildcard src/render/html/*))
LIB_OBJ := $(LIB_SRC:%.c=$(BUILD)/obj/%.o) $(BUILD)/obj/gen/assets.o
CLI_OBJ := $(CLI_SRC:%.c=$(BUILD)/obj/%.o)
UNIT_SRC := $(wildcard tests/unit/test_*.c)
UNIT_BIN := $(UNIT_SRC:tests/unit/%.c=$(BUILD)/tests/%)
FUZZ_SRC := $(wildcard fuzz/fuzz_*.c)
REPLAY_BIN := $(FUZZ_SRC:fuzz/fuzz_%.c=$(BUILD)/tests/replay_%)
PYTEST ?= /usr/bin/python3 -m pytest

.PHONY: all demo test unit replay e2e deps fuzz layouts clean bench agent agents
all: $(BUILD)/pyrometer $(BUILD)/synth-profile agent

# The memory agent (a CPython extension, never sanitized: it runs inside the
# target): for python3 by default, for every CPython found with `agents`.
# The stamp names the directory tools/build_agent.sh made.
agent: $(BUILD)/agent/python3.stamp
$(BUILD)/agent/python3.stamp: $(AGENT_DEPS)
	@mkdir -p $(BUILD)/agent
	PYROMETER_VERSION=$(VERSION) tools/build_agent.sh $(AGENT_PYTHON) $(BUILD)/agent
	@touch $@

agents: agent
	@set -e; for py in $$(tools/find_pythons.sh); do \
	  PYROMETER_VERSION=$(VERSION) tools/build_agent.sh $$py $(BUILD)/agent; done

$(BUILD)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The html report's page, script and style, embedded at build time.
$(BUILD)/embed: tools/embed.c
	@mkdir -p $(dir $@)
	$(CC) -O1 -o $@ $<

$(BUILD)/gen/assets.c: $(BUILD)/embed $(HTML_ASSETS)
	@mkdir -p $(dir $@)
	$(BUILD)/embed $@ $(HTML_ASSETS)

$(BUILD)/obj/gen/assets.o: $(BUILD)/gen/assets.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -c -o $@ $<

# Synthetic profiles of any size, for bench/ and for tests.
$(BUILD)/synth-profile: tools/synth_profile.c $(BUILD)/libpyrometer.a
	$(CC) $(ALL_CFLAGS) -o $@ $< $(BUILD)/libpyrometer.a -lz -lm

$(BUILD)/libpyrometer.a: $(LIB_OBJ)
	@rm -f $@
	ar rcs $@ $^

$(BUILD)/pyrometer: $(CLI_OBJ) $(BUILD)/libpyrometer.a
	$(CC) $(LDFLAGS) -o $@ $^ -lz -lm

$(BUILD)/tests/test_%: tests/unit/test_%.c tests/unit/check.h $(BUILD)/libpyrometer.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< $(BUILD)/libpyrometer.a -lz -lm

# The memory agent's bookkeeping has no Python in it: its unit test links it
# directly (sanitized in the sanitizer build, unlike the agent itself).
$(BUILD)/tests/test_tracker: tests/unit/test_tracker.c tests/unit/check.h src/agent/tracker.c src/agent/tracker.h $(BUILD)/libpyrometer.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -Itests/unit -o $@ $< src/agent/tracker.c $(BUILD)/libpyrometer.a -lz -lm -lpthread

# Each fuzz target also builds as an ordinary program that replays its corpus.
$(BUILD)/tests/replay_%: fuzz/fuzz_%.c fuzz/replay.c $(BUILD)/libpyrometer.a
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -o $@ $< fuzz/replay.c $(BUILD)/libpyrometer.a -lz -lm

deps:
	@tools/deps.sh $(if $(filter fuzz,$(MAKECMDGOALS)),fuzz,test)

demo:
	@tools/deps.sh build
	@$(MAKE) --no-print-directory $(BUILD)/pyrometer
	@echo
	$(BUILD)/pyrometer record --format html -o $(BUILD)/demo.html -- python3 examples/demo.py
	@echo
	$(BUILD)/pyrometer report $(BUILD)/demo.pyro --format lines --top 1
	@echo
	@echo "Open $(BUILD)/demo.html in a browser for the flame graph; more formats: $(BUILD)/pyrometer report -h"

unit: $(UNIT_BIN)
	@set -e; for t in $(UNIT_BIN); do echo "== $$t"; $$t; done

replay: $(REPLAY_BIN)
	@set -e; for t in $(REPLAY_BIN); do n=$${t##*/replay_}; echo "== $$t fuzz/corpus/$$n"; $$t fuzz/corpus/$$n; done

e2e: $(BUILD)/pyrometer $(BUILD)/synth-profile agents
	PYROMETER=$(abspath $(BUILD)/pyrometer) SYNTH_PROFILE=$(abspath $(BUILD)/synth-profile) \
	    PYROMETER_SANITIZERS=$(SAN) $(PYTEST) -q -rs tests/e2e

test: deps
	@$(MAKE) --no-print-directory all unit replay
	@$(MAKE) --no-print-directory e2e

FUZZ_CC ?= clang
FUZZ_SECONDS ?= 30
fuzz: deps $(BUILD)/gen/assets.c
	@mkdir -p build/fuzz
	@set -e; for f in $(FUZZ_SRC); do n=$${f#fuzz/fuzz_}; n=$${n%.c}; \
	  $(FUZZ_CC) -std=c11 -D_GNU_SOURCE -DPYROMETER_VERSION='"$(VERSION)"' -g -O1 -Isrc \
	    -fsanitize=fuzzer,address,undefined -o build/fuzz/$$n $$f $(LIB_SRC) $(BUILD)/gen/assets.c -lz; \
	  mkdir -p build/fuzz/corpus-$$n; \
	  build/fuzz/$$n -max_total_time=$(FUZZ_SECONDS) build/fuzz/corpus-$$n fuzz/corpus/$$n; done

layouts:
	tools/gen_layouts.sh

bench: $(BUILD)/pyrometer
	python3 bench/run

clean:
	rm -rf build

-include $(LIB_OBJ:.o=.d) $(CLI_OBJ:.o=.d)
