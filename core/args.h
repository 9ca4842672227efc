/* args.h: options every data command shares, and input selection.
 *
 * Common options (parse with wn_common_getopt inside a command's getopt_long loop):
 *   -o, --output DIR        output directory (or prefix, for commands that say so)
 *   --shard I/N             process the I-th of N disjoint slices of the inputs (0-based)
 *   -j, --threads N         OpenMP threads (default: all cores)
 *   --quiet                 no progress line, no summary
 *   --max-shard-size SIZE   rotate output parts at SIZE uncompressed bytes (default 1G)
 *   --compression C         zst (default), gz or none for JSONL outputs
 *   --compression-level N   zst 1-19 (default 3, zstd's own: ~170-270 MB/s a core here
 *                           on filtered JSONL; 1 is ~1.4x faster, files ~15-20% larger),
 *                           gz 1-9 (default 6)
 *   --batch-size N          documents per parallel batch (default 1024)
 *   --force                 redo shards that already have a completion record
 *   --max-record-size SIZE  a JSONL record (line) longer than SIZE is skipped unread and
 *                           counted as an error with its file and offset (default 256M),
 *                           so that a file of binary junk without a newline cannot take
 *                           the machine's memory
 *
 * Slicing is by file: the inputs are expanded (directories recursively, hidden files
 * skipped), sorted by path bytewise, and file k goes to shard k mod N. The rule depends only
 * on the sorted list, so N tasks on N machines pick disjoint sets without talking.
 */
#ifndef WN_ARGS_H
#define WN_ARGS_H

#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wn_shard {
    unsigned index, count; /* 0 <= index < count */
} wn_shard;

typedef struct wn_common_opts {
    const char *output;
    wn_shard shard;
    int threads;
    bool quiet;
    bool force;
    uint64_t max_shard_bytes;
    const char *compression; /* "zst", "gz", "none" */
    int compression_level;   /* 0: the codec's default (zst 3, gz 6) */
    size_t batch_docs;
    char **inputs;           /* expanded and sliced by wn_common_finish */
    size_t n_inputs;
} wn_common_opts;

/* Long options to append to a command's own table (terminated by a zero entry). The
 * values are >= 0x1000 so they never clash with a command's short options. */
extern const struct option wn_common_long_options[];
#define WN_COMMON_SHORT "o:j:"
enum {
    WN_OPT_SHARD = 0x1000, WN_OPT_QUIET, WN_OPT_MAX_SHARD, WN_OPT_COMPRESSION,
    WN_OPT_BATCH, WN_OPT_FORCE, WN_OPT_THREADS, WN_OPT_COMPRESSION_LEVEL, WN_OPT_MAX_RECORD,
};

void wn_common_init(wn_common_opts *c);
void wn_common_release(wn_common_opts *c);
/* Handle one getopt result; returns 1 if consumed, 0 if not a common option, -1 on a bad
 * value (message already printed). */
int wn_common_getopt(wn_common_opts *c, int opt, const char *arg);
/* Collect argv[optind..] as inputs, expand, sort and keep this shard's slice. Returns 0 or
 * -1 (message printed). `need_output` makes -o mandatory. */
int wn_common_finish(wn_common_opts *c, int argc, char **argv, int optind, bool need_output);
/* Builds a long-option table: the command's entries followed by the common ones. Free it. */
struct option *wn_merge_long_options(const struct option *own);

int wn_parse_shard(const char *s, wn_shard *out);
/* --max-record-size: process-wide, because every JSONL reader (the runner's sources, and
 * the side inputs some stages open themselves) applies it without being handed options. */
#define WN_MAX_RECORD_SIZE_DEFAULT ((uint64_t)256 << 20)
uint64_t wn_max_record_size(void);
/* Parse and set it; 0, or -1 with the message printed. */
int wn_set_max_record_size(const char *arg);
/* The --shard this process's command was given (0/1 without one): for a stage whose side
 * file must name its slice (kl_divergence's build_reference), as stages see no options. */
wn_shard wn_process_shard(void);
/* "123", "64K", "256M", "1G", "2T" (powers of 1024). -1 on error. */
int wn_parse_size(const char *s, uint64_t *out);

/* Expand paths (directories recursively), sorted. Returns -1 if a path does not exist. */
int wn_expand_inputs(char **paths, size_t n, char ***out, size_t *n_out);
void wn_free_strv(char **v, size_t n);

/* Exit codes, documented in `winnow --help`. */
enum {
    WN_EXIT_OK = 0,       /* done; bad records, if any, are counted in the statistics */
    WN_EXIT_FAILURE = 1,  /* the run could not complete (I/O error, unreadable input) */
    WN_EXIT_USAGE = 2,    /* bad arguments or configuration; nothing was done */
    WN_EXIT_INTERNAL = 70 /* out of memory or an internal error */
};

#endif
