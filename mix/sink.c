/* sink.c: packed samples -> size-capped shards of one split.
 *
 * Megatron (default): <split>-NNNNN.bin/.idx; each sample is one Megatron document whose
 * sequences are the pieces of source documents it holds, so a trainer can rebuild
 * attention masks that stay inside documents (sequence lengths are the boundaries).
 *
 * llm.c: mix_<split>_NNNNNN.bin with the Llama 3 header of karpathy/llm.c@f1e2ace
 * dev/data/data_common.py (int32[256]: magic 20240801, version 7, token count) followed by
 * uint32 tokens; llm.c keeps no document index, so boundaries are not recorded there. */
#include "mix/mix_internal.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/log.h"
#include "mix/megatron.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LLMC_MAGIC 20240801
#define LLMC_VERSION 7
#define LLMC_HEADER_INTS 256

struct mx_sink {
    const wn_mix_config *c;
    char *outdir, *split;
    int dtype;
    uint64_t per_shard;       /* samples per shard */
    uint64_t split_tokens;    /* llm.c: tokens the split will hold, for the headers */
    uint64_t tokens_before;   /* tokens in committed shards */
    unsigned shard;
    uint64_t samples, tokens; /* in the open shard */
    wn_mg_writer *mg;
    wn_out *raw;
    wn_buf path;
    json_t *done;             /* shards committed so far */
};

static int sink_fail(mx_sink *s, const char *err)
{
    wn_error("%s", err);
    (void)s;
    return -1;
}

static int sink_open_shard(mx_sink *s)
{
    char err[512];
    wn_buf_reset(&s->path);
    s->samples = s->tokens = 0;
    if (s->c->format == WN_MIX_MEGATRON) {
        wn_buf_appendf(&s->path, "%s/%s-%05u", s->outdir, s->split, s->shard);
        s->mg = wn_mg_writer_open(s->path.data, s->dtype, err, sizeof err);
        return s->mg ? 0 : sink_fail(s, err);
    }
    wn_buf_appendf(&s->path, "%s/mix_%s_%06u.bin", s->outdir, s->split, s->shard);
    s->raw = wn_out_open(s->path.data, WN_COMP_NONE, 0, err, sizeof err);
    if (!s->raw)
        return sink_fail(s, err);
    uint64_t cap = s->per_shard * s->c->sequence_length;
    uint64_t left = s->split_tokens - s->tokens_before;
    uint64_t ntok = left < cap ? left : cap;
    unsigned char h[LLMC_HEADER_INTS * 4] = {0};
    uint32_t v[3] = {LLMC_MAGIC, LLMC_VERSION, (uint32_t)ntok};
    for (int i = 0; i < 3; i++)
        for (int b = 0; b < 4; b++)
            h[4 * i + b] = (unsigned char)(v[i] >> (8 * b));
    return wn_out_write(s->raw, h, sizeof h);
}

static int sink_commit_shard(mx_sink *s)
{
    char err[512];
    int rc;
    uint64_t bytes;
    if (s->mg) {
        bytes = wn_mg_bin_bytes(s->mg);
        rc = wn_mg_writer_commit(s->mg, err, sizeof err);
        s->mg = NULL;
        wn_buf_appends(&s->path, ".bin");
    } else {
        bytes = wn_out_bytes(s->raw);
        rc = wn_out_commit(s->raw, err, sizeof err);
        s->raw = NULL;
    }
    if (rc != 0)
        return sink_fail(s, err);
    const char *name = strrchr(s->path.data, '/');
    json_array_append_new(s->done, json_pack("{s:s, s:s, s:I, s:I, s:I}", "file",
        name ? name + 1 : s->path.data, "split", s->split, "samples", (json_int_t)s->samples,
        "tokens", (json_int_t)s->tokens, "bytes", (json_int_t)bytes));
    s->tokens_before += s->tokens;
    s->shard++;
    return 0;
}

mx_sink *mx_sink_open(const wn_mix_config *c, const char *outdir, const char *split,
                      int dtype, uint64_t samples_per_shard, uint64_t first_shard)
{
    mx_sink *s = wn_xcalloc(1, sizeof *s);
    s->c = c;
    s->outdir = wn_xstrdup(outdir);
    s->split = wn_xstrdup(split);
    s->dtype = dtype;
    s->per_shard = samples_per_shard ? samples_per_shard : 1;
    s->shard = (unsigned)first_shard;
    s->tokens_before = first_shard * s->per_shard * c->sequence_length;
    s->done = json_array();
    return s;
}

void mx_sink_set_split_tokens(mx_sink *s, uint64_t tokens)
{
    s->split_tokens = tokens;
}

int mx_sink_piece(mx_sink *s, const uint32_t *tokens, size_t n)
{
    if (!s->mg && !s->raw && sink_open_shard(s) != 0)
        return -1;
    s->tokens += n;
    if (s->mg) {
        if (wn_mg_add_sequence(s->mg, tokens, n) != 0) {
            wn_error("cannot write '%s.bin' (token id too large for the dtype?)", s->path.data);
            return -1;
        }
        return 0;
    }
    unsigned char buf[4096];
    for (size_t i = 0; i < n;) {
        size_t k = 0;
        for (; k < sizeof buf / 4 && i < n; k++, i++)
            for (int b = 0; b < 4; b++)
                buf[4 * k + b] = (unsigned char)(tokens[i] >> (8 * b));
        if (wn_out_write(s->raw, buf, 4 * k) != 0)
            return sink_fail(s, "cannot write an llm.c shard");
    }
    return 0;
}

int mx_sink_end_sample(mx_sink *s)
{
    if (s->mg)
        wn_mg_end_document(s->mg);
    s->samples++;
    if (s->samples >= s->per_shard)
        return sink_commit_shard(s);
    return 0;
}

static void sink_free(mx_sink *s)
{
    free(s->outdir);
    free(s->split);
    wn_buf_release(&s->path);
    json_decref(s->done);
    free(s);
}

int mx_sink_close(mx_sink *s, json_t *outputs)
{
    int rc = 0;
    if (s->mg || s->raw)
        rc = sink_commit_shard(s);
    json_array_extend(outputs, s->done);
    sink_free(s);
    return rc;
}

void mx_sink_abort(mx_sink *s)
{
    if (!s)
        return;
    wn_mg_writer_abort(s->mg);
    wn_out_abort(s->raw);
    sink_free(s);
}
