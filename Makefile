# winnow: one Makefile, sources gathered by wildcard so a new file needs no edit here.
#
#   make            build ./winnow (optimised)
#   make test       build and run the unit + CLI tests, then again under ASan+UBSan
#   make run        install missing Debian packages (root), build, run the default job
#   make bench      run the benchmarks in bench/ (not part of CI)
#   make deps       install the Debian packages (root), or print the apt-get line

CC      ?= cc
PKGS    := libzstd libxml-2.0 libxxhash icu-uc icu-i18n zlib libisal jansson yajl libpcre2-8 libhs yaml-0.1 libcurl libbrotlidec libbrotlienc cmocka nettle
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
	@$(MAKE) --no-print-directory BUILD=build-asan CFLAGS="-O1 -g -fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=all" \
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
