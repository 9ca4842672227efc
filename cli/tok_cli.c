/* tok_cli.c: see tok_cli.h. */
#include "cli/tok_cli.h"

#include "core/args.h"
#include "core/io.h"
#include "core/jsonl.h"
#include "core/log.h"

#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JSONL_BATCH 2048
/* A batch also ends after this many bytes of lines: 2,048 lines of book-length documents
 * would otherwise be held at once. */
#define JSONL_BATCH_BYTES ((size_t)64 << 20)
#define MAX_WARNINGS 10

wn_tok *wn_tok_cli_open(int argc, char **argv, int optind, const char *verb,
                        const char *tokenizer, unsigned load_flags, const char **name)
{
    if (argc - optind > 1) {
        wn_error("%s takes one input; got %d", verb, argc - optind);
        return NULL;
    }
    *name = optind < argc ? argv[optind] : "-";
    char err[512];
    wn_tok *t = wn_tok_load_flags(tokenizer, load_flags, err, sizeof err);
    if (!t)
        wn_error("%s", err);
    return t;
}

int wn_tok_cli_threads(const char *arg)
{
    char *end;
    long n = strtol(arg, &end, 10);
    if (*end || n < 1 || n > 4096) {
        wn_error("bad --threads '%s': expected a number from 1 to 4096", arg);
        return -1;
    }
    omp_set_num_threads((int)n);
    return 0;
}

int wn_tok_cli_map_jsonl(const char *name, const char *verb, wn_tok_cli_line_fn fn,
                         const void *ctx)
{
    char err[512];
    wn_in *in = wn_in_open(name, WN_COMP_AUTO, err, sizeof err);
    if (!in) {
        wn_error("%s", err);
        return WN_EXIT_FAILURE;
    }
    char **lines = wn_xcalloc(JSONL_BATCH, sizeof *lines);
    size_t *lens = wn_xcalloc(JSONL_BATCH, sizeof *lens);
    wn_buf *outs = wn_xcalloc(JSONL_BATCH, sizeof *outs);
    char (*why)[256] = wn_xcalloc(JSONL_BATCH, sizeof *why);
    int *bad = wn_xcalloc(JSONL_BATCH, sizeof *bad);
    uint64_t *cut = wn_xcalloc(JSONL_BATCH, sizeof *cut);
    uint64_t line_no = 0, n_bad = 0;
    int rc = WN_EXIT_OK, eof = 0;
    wn_in_set_max_line(in, (size_t)wn_max_record_size());
    while (!eof) {
        long n = 0;
        size_t bytes = 0;
        const char *line = NULL;
        size_t len;
        while (n < JSONL_BATCH && bytes < JSONL_BATCH_BYTES &&
               (line = wn_in_line(in, &len)) != NULL) {
            cut[n] = wn_in_line_cut(in);
            lines[n] = cut[n] ? NULL : wn_xstrndup(line, len);
            lens[n++] = len;
            bytes += len;
        }
        eof = line == NULL; /* else the batch is full: lines or bytes */
#pragma omp parallel for schedule(dynamic, 8)
        for (long i = 0; i < n; i++) {
            wn_buf_reset(&outs[i]);
            if (cut[i]) {
                snprintf(why[i], sizeof why[i],
                         "a line of %llu bytes, over --max-record-size (%llu bytes)",
                         (unsigned long long)cut[i], (unsigned long long)wn_max_record_size());
                bad[i] = -1;
            } else
                bad[i] = fn(ctx, lines[i], lens[i], &outs[i], why[i], sizeof why[i]);
            if (bad[i]) {
                wn_buf_reset(&outs[i]);
                wn_buf_appends(&outs[i], "{\"error\":");
                wn_json_append_string(&outs[i], why[i], strlen(why[i]));
                wn_buf_appends(&outs[i], "}\n");
            }
        }
        for (long i = 0; i < n; i++) {
            line_no++;
            if (bad[i] && ++n_bad <= MAX_WARNINGS)
                wn_warn("'%s' line %llu: %s", name, (unsigned long long)line_no, why[i]);
            if (fwrite(outs[i].data, 1, outs[i].len, stdout) != outs[i].len)
                rc = WN_EXIT_FAILURE;
            free(lines[i]);
        }
    }
    if (wn_in_failed(in)) {
        wn_error("cannot read '%s': %s", name, wn_in_errmsg(in));
        rc = WN_EXIT_FAILURE;
    }
    if (n_bad) {
        wn_error("'%s': %llu of %llu lines could not be %s (written as {\"error\": ...})", name,
                 (unsigned long long)n_bad, (unsigned long long)line_no, verb);
        rc = WN_EXIT_FAILURE;
    }
    for (size_t i = 0; i < JSONL_BATCH; i++)
        wn_buf_release(&outs[i]);
    free(outs);
    free(lines);
    free(lens);
    free(why);
    free(bad);
    free(cut);
    wn_in_close(in);
    return rc;
}
