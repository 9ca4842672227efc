# winnow: one Makefile, sources gathered by wildcard so a new file needs no edit here.
#
#   make            build ./winnow (optimised)
#   make test       build and run the unit + CLI tests, then again under ASan+UBSan
#   make run        install missing Debian packages (root), build, run the default job
#   make bench      run the benchmarks in bench/ (not part of CI)
#   make deps       install the Debian packages (root), or print the apt-get line

CC      ?= cc
PKGS    := libzstd libxml-2.0 libxxhash icu-uc icu-i18n zlib jansson yajl libpcre2-8 libhs yaml-0.1 libcurl libbrotlidec libbrotlienc cmocka nettle
STAGES  := core ingest filter dedup classify tokenize mix pipeline cluster
SRCS    := $(foreach d,$(STAGES),$(wildcard $(d)/*.c)) $(wildcard cli/*.c)
TEST_SRCS := $(wildcard tests/unit/test_*.c)

PKG_CFLAGS := $(shell pkg-config --cflags $(PKGS) 2>/dev/null)
PKG_LIBS   := $(shell pkg-config --libs $(PKGS) 2>/dev/null)

WARN    := -Wall -Wextra -Werror -Wshadow -Wno-unused-parameter
CFLAGS  ?= -O2 -g
ALL_CFLAGS := -std=c11 -D_GNU_SOURCE $(WARN) -fopenmp -I. $(PKG_CFLAGS) $(CFLAGS) -MMD -MP
LDLIBS  := $(PKG_LIBS) -lm -lpthread
ALL_LDFLAGS = -fopenmp $(LDFLAGS)

BUILD   ?= build
OBJS    := $(SRCS:%.c=$(BUILD)/%.o)
LIB_OBJS := $(filter-out $(BUILD)/cli/main.o,$(OBJS))
TEST_BINS := $(TEST_SRCS:tests/unit/%.c=$(BUILD)/tests/%)

.PHONY: all test test-unit test-cli test-asan run bench deps clean check-deps
all: winnow

winnow: $(BUILD)/winnow
	cp $< $@

$(BUILD)/winnow: $(OBJS)
	@echo "  LD  $@"
	@$(CC) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS)

$(BUILD)/libwinnow.a: $(LIB_OBJS)
	@rm -f $@ && ar rcs $@ $^

$(BUILD)/%.o: %.c | check-deps
	@mkdir -p $(dir $@)
	@echo "  CC  $<"
	@$(CC) $(ALL_CFLAGS) -c -o $@ $<

# The tokenizer is built with profile feedback (GCC's -fprofile-use): its objects are first
# built instrumented into $(BUILD)/pgo, tools/tok_profile_train runs them over real prose in
# 19 languages (data/tokenizer/profile/) and the tokenizer's other paths, and the objects
# the product links are then compiled from that profile. Measured (docs/tokenize.md,
# thirteenth session): ~7% fewer instructions a pass on English and on the multilingual mix.
# The ids never depend on it. PGO=0 builds without; sanitizer builds and compilers other
# than GCC always do.
PGO ?= $(if $(findstring -fsanitize,$(CFLAGS)),0,$(if $(shell $(CC) -v 2>&1 | grep '^gcc version'),1,0))
ifeq ($(PGO),1)
TOK_SRCS      := $(wildcard tokenize/*.c)
PGO_DIR       := $(BUILD)/pgo
PGO_TEXT      := data/tokenizer/profile/install-guide.jsonl.zst
PGO_GEN_OBJS  := $(TOK_SRCS:%.c=$(PGO_DIR)/%.o)
# what the tokenizer links against: core/ only, so a change elsewhere does not train again
PGO_CORE_OBJS := $(filter $(BUILD)/core/%,$(LIB_OBJS))

$(PGO_DIR)/tokenize/%.o: tokenize/%.c | check-deps
	@mkdir -p $(dir $@)
	@echo "  CC  $< (instrumented)"
	@mkdir -p $(BUILD)/tokenize
	@$(CC) $(ALL_CFLAGS) -fprofile-generate -fprofile-update=single \
	    -dumpdir $(BUILD)/tokenize/ -dumpbase $* -c -o $@ $<

$(PGO_DIR)/tok_profile_train: tools/tok_profile_train.c $(PGO_GEN_OBJS) $(PGO_CORE_OBJS)
	@echo "  LD  $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $^ $(LDLIBS) -lgcov

# the profile: old counts removed first, since a run adds to the counts it finds
$(PGO_DIR)/profile.stamp: $(PGO_DIR)/tok_profile_train $(PGO_TEXT) data/tokenizer/llama3.tiktoken
	@rm -f $(BUILD)/tokenize/*.gcda
	@echo "  PGO $(PGO_TEXT)"
	@$(PGO_DIR)/tok_profile_train data/tokenizer/llama3.tiktoken $(PGO_TEXT)
	@touch $@

# GCC reads the counts of X.o from X.gcda beside it: the instrumented X.o (in $(PGO_DIR))
# is compiled as if it were this one (-dumpdir, -dumpbase), so the run writes its counts
# there; compiled under another name, GCC finds no function of it in the counts. A stale
# profile (sources changed after training: make remakes both, so only by hand) is a
# warning, not an error. encode.c, the encoder's loop, must find every function's counts
# (GCC warns, -Werror stops the build): a setup that loses the profile fails loudly.
$(BUILD)/tokenize/%.o: tokenize/%.c $(PGO_DIR)/profile.stamp | check-deps
	@mkdir -p $(dir $@)
	@echo "  CC  $< (profile)"
	@$(CC) $(ALL_CFLAGS) -fprofile-use -fprofile-partial-training -fprofile-correction \
	    $(if $(filter encode,$*),,-Wno-missing-profile) -Wno-error=coverage-mismatch -c -o $@ $<

-include $(PGO_GEN_OBJS:.o=.d)
endif

$(BUILD)/tests/%: tests/unit/%.c $(BUILD)/libwinnow.a
	@mkdir -p $(dir $@)
	@echo "  LD  $@"
	@$(CC) $(ALL_CFLAGS) $(ALL_LDFLAGS) -o $@ $< $(BUILD)/libwinnow.a $(LDLIBS)

# winnow-mpi: dedup's global phases over MPI (cluster/mpi/*.c, OpenMPI's mpicc), built only
# where mpicc exists, so ./winnow itself never needs MPI.
MPICC   ?= mpicc
MPI_BIN := $(if $(shell command -v $(MPICC) 2>/dev/null),$(BUILD)/winnow-mpi)
$(BUILD)/winnow-mpi: $(wildcard cluster/mpi/*.c cluster/mpi/*.h) $(BUILD)/libwinnow.a
	@$(MPICC) $(filter-out -MMD -MP,$(ALL_CFLAGS)) $(ALL_LDFLAGS) -o $@ $(wildcard cluster/mpi/*.c) $(BUILD)/libwinnow.a $(LDLIBS)

winnow-mpi: $(BUILD)/winnow-mpi
	cp $< $@

check-deps:
	@pkg-config --exists $(PKGS) || { echo "missing libraries; run: make deps" >&2; exit 1; }

# Unit tests (cmocka, one binary per module) then CLI tests (shell scripts).
test-unit: $(TEST_BINS) $(BUILD)/winnow
	@WINNOW=$(abspath $(BUILD)/winnow) tests/run-unit.sh $(TEST_BINS)

test-cli: $(BUILD)/winnow $(MPI_BIN)
	@WINNOW=$(abspath $(BUILD)/winnow) tests/run-cli.sh

test-asan:
	@$(MAKE) --no-print-directory BUILD=build-asan PGO=0 CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
	        LDFLAGS="-fsanitize=address,undefined" test-unit test-cli

test: winnow
	@$(MAKE) --no-print-directory test-unit test-cli
	@echo "== again under ASan+UBSan"
	@$(MAKE) --no-print-directory test-asan

deps:
	@sh tools/install-deps.sh

run: deps
	$(MAKE) winnow
	sh tools/default-job.sh

bench: winnow
	sh bench/run.sh

clean:
	rm -rf build build-asan winnow

-include $(OBJS:.o=.d)
