/* args.c: common options and input selection; see args.h. */
#include "core/args.h"
#include "core/buf.h"
#include "core/log.h"

#include <dirent.h>
#include <errno.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

static wn_shard process_shard = {0, 1};
static uint64_t max_record_size = WN_MAX_RECORD_SIZE_DEFAULT;

wn_shard wn_process_shard(void)
{
    return process_shard;
}

uint64_t wn_max_record_size(void)
{
    return max_record_size;
}

int wn_set_max_record_size(const char *arg)
{
    uint64_t v;
    if (wn_parse_size(arg, &v) || v < 1024 || v > ((uint64_t)1 << 40)) {
        wn_error("bad --max-record-size '%s': expected a size from 1K to 1T, such as 64M or 1G",
                 arg);
        return -1;
    }
    max_record_size = v;
    return 0;
}

const struct option wn_common_long_options[] = {
    { "output", required_argument, NULL, 'o' },
    { "shard", required_argument, NULL, WN_OPT_SHARD },
    { "threads", required_argument, NULL, 'j' },
    { "quiet", no_argument, NULL, WN_OPT_QUIET },
    { "max-shard-size", required_argument, NULL, WN_OPT_MAX_SHARD },
    { "compression", required_argument, NULL, WN_OPT_COMPRESSION },
    { "compression-level", required_argument, NULL, WN_OPT_COMPRESSION_LEVEL },
    { "batch-size", required_argument, NULL, WN_OPT_BATCH },
    { "force", no_argument, NULL, WN_OPT_FORCE },
    { "max-record-size", required_argument, NULL, WN_OPT_MAX_RECORD },
    { NULL, 0, NULL, 0 },
};

void wn_common_init(wn_common_opts *c)
{
    memset(c, 0, sizeof *c);
    c->shard.index = 0;
    c->shard.count = 1;
    c->max_shard_bytes = (uint64_t)1 << 30;
    c->compression = "zst";
    c->batch_docs = 1024;
}

void wn_common_release(wn_common_opts *c)
{
    wn_free_strv(c->inputs, c->n_inputs);
    c->inputs = NULL;
    c->n_inputs = 0;
}

struct option *wn_merge_long_options(const struct option *own)
{
    size_t n_own = 0, n_common = 0;
    while (own && own[n_own].name)
        n_own++;
    while (wn_common_long_options[n_common].name)
        n_common++;
    struct option *all = wn_xcalloc(n_own + n_common + 1, sizeof *all);
    if (n_own)
        memcpy(all, own, n_own * sizeof *all);
    memcpy(all + n_own, wn_common_long_options, n_common * sizeof *all);
    return all;
}

int wn_parse_shard(const char *s, wn_shard *out)
{
    char *end;
    errno = 0;
    unsigned long i = strtoul(s, &end, 10);
    if (end == s || *end != '/' || errno)
        return -1;
    const char *t = end + 1;
    unsigned long n = strtoul(t, &end, 10);
    if (end == t || *end || errno || n == 0 || i >= n || n > 1000000)
        return -1;
    out->index = (unsigned)i;
    out->count = (unsigned)n;
    return 0;
}

int wn_parse_size(const char *s, uint64_t *out)
{
    char *end;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || errno || v < 0)
        return -1;
    uint64_t mul = 1;
    switch (*end) {
    case '\0': break;
    case 'k': case 'K': mul = 1ull << 10; end++; break;
    case 'm': case 'M': mul = 1ull << 20; end++; break;
    case 'g': case 'G': mul = 1ull << 30; end++; break;
    case 't': case 'T': mul = 1ull << 40; end++; break;
    default: return -1;
    }
    if (*end == 'B' || *end == 'b')
        end++;
    if (*end)
        return -1;
    *out = (uint64_t)(v * (double)mul);
    return 0;
}

int wn_common_getopt(wn_common_opts *c, int opt, const char *arg)
{
    char *end;
    switch (opt) {
    case 'o':
        c->output = arg;
        return 1;
    case WN_OPT_SHARD:
        if (wn_parse_shard(arg, &c->shard)) {
            wn_error("bad --shard '%s': expected I/N with 0 <= I < N", arg);
            return -1;
        }
        process_shard = c->shard;
        return 1;
    case 'j':
    case WN_OPT_THREADS: {
        long n = strtol(arg, &end, 10);
        if (*end || n < 1 || n > 4096) {
            wn_error("bad --threads '%s': expected a number from 1 to 4096", arg);
            return -1;
        }
        c->threads = (int)n;
        return 1;
    }
    case WN_OPT_QUIET:
        c->quiet = true;
        wn_log_verbosity = 0;
        return 1;
    case WN_OPT_FORCE:
        c->force = true;
        return 1;
    case WN_OPT_MAX_SHARD:
        if (wn_parse_size(arg, &c->max_shard_bytes) || c->max_shard_bytes < 1024) {
            wn_error("bad --max-shard-size '%s': expected a size such as 256M or 1G", arg);
            return -1;
        }
        return 1;
    case WN_OPT_MAX_RECORD:
        return wn_set_max_record_size(arg) ? -1 : 1;
    case WN_OPT_COMPRESSION:
        if (strcmp(arg, "zst") && strcmp(arg, "gz") && strcmp(arg, "none")) {
            wn_error("bad --compression '%s': expected zst, gz or none", arg);
            return -1;
        }
        c->compression = arg;
        return 1;
    case WN_OPT_COMPRESSION_LEVEL: {
        long n = strtol(arg, &end, 10);
        if (*end || n < 1 || n > 19) {
            wn_error("bad --compression-level '%s': expected 1 to 19 (zst) or 1 to 9 (gz)", arg);
            return -1;
        }
        c->compression_level = (int)n;
        return 1;
    }
    case WN_OPT_BATCH: {
        long n = strtol(arg, &end, 10);
        if (*end || n < 1 || n > 10000000) {
            wn_error("bad --batch-size '%s'", arg);
            return -1;
        }
        c->batch_docs = (size_t)n;
        return 1;
    }
    default:
        return 0;
    }
}

static void push(char ***v, size_t *n, size_t *cap, char *s)
{
    if (*n == *cap) {
        *cap = *cap ? *cap * 2 : 16;
        *v = wn_xrealloc(*v, *cap * sizeof **v);
    }
    (*v)[(*n)++] = s;
}

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && !strcmp(s + n - m, suffix);
}

static bool is_jsonl_part(const char *name)
{
    return ends_with(name, ".jsonl") || ends_with(name, ".jsonl.gz") || ends_with(name, ".jsonl.zst");
}

/* A directory with a completion record is a winnow command's output directory: its input
 * is its JSONL parts, not what else the command keeps there (dedup's state/, a clusters
 * file), which would only be read as broken records. Rewinds d. */
static bool holds_done_record(DIR *d)
{
    struct dirent *e;
    bool done = false;
    while (!done && (e = readdir(d)) != NULL)
        done = e->d_name[0] != '.' && ends_with(e->d_name, ".done");
    rewinddir(d);
    return done;
}

static int walk(const char *path, char ***v, size_t *n, size_t *cap)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        wn_error("cannot read '%s': %s", path, strerror(errno));
        return -1;
    }
    if (!S_ISDIR(st.st_mode)) {
        push(v, n, cap, wn_xstrdup(path));
        return 0;
    }
    DIR *d = opendir(path);
    if (!d) {
        wn_error("cannot open directory '%s': %s", path, strerror(errno));
        return -1;
    }
    struct dirent *e;
    int rc = 0;
    bool parts_only = holds_done_record(d);
    while ((e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.')
            continue; /* hidden files, and our own temporaries are *.tmp-PID, not hidden */
        if (strstr(e->d_name, ".tmp-") || strstr(e->d_name, ".stats.json") ||
            strstr(e->d_name, ".done"))
            continue; /* never read a half-written part or our own bookkeeping */
        if (parts_only && !is_jsonl_part(e->d_name))
            continue;
        wn_buf p = WN_BUF_INIT;
        wn_buf_appendf(&p, "%s/%s", path, e->d_name);
        rc |= walk(p.data, v, n, cap);
        wn_buf_release(&p);
    }
    closedir(d);
    return rc;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int wn_expand_inputs(char **paths, size_t n, char ***out, size_t *n_out)
{
    char **v = NULL;
    size_t len = 0, cap = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcmp(paths[i], "-") == 0) {
            push(&v, &len, &cap, wn_xstrdup("-"));
            continue;
        }
        if (walk(paths[i], &v, &len, &cap)) {
            wn_free_strv(v, len);
            return -1;
        }
    }
    qsort(v, len, sizeof *v, cmp_str);
    *out = v;
    *n_out = len;
    return 0;
}

void wn_free_strv(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

int wn_common_finish(wn_common_opts *c, int argc, char **argv, int optind_, bool need_output)
{
    if (need_output && !c->output) {
        wn_error("missing -o OUTDIR");
        return -1;
    }
    if (optind_ >= argc) {
        wn_error("no inputs given");
        return -1;
    }
    if (!strcmp(c->compression, "gz") && c->compression_level > 9) {
        wn_error("bad --compression-level %d: gz goes from 1 to 9", c->compression_level);
        return -1;
    }
    char **all;
    size_t n_all;
    if (wn_expand_inputs(argv + optind_, (size_t)(argc - optind_), &all, &n_all))
        return -1;
    /* file k -> shard k mod N */
    size_t keep = 0;
    for (size_t k = 0; k < n_all; k++) {
        if (k % c->shard.count == c->shard.index)
            all[keep++] = all[k];
        else
            free(all[k]);
    }
    c->inputs = all;
    c->n_inputs = keep;
    if (c->threads > 0)
        omp_set_num_threads(c->threads);
    return 0;
}
