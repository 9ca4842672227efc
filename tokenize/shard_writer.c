/* shard_writer.c: Megatron, llm.c and datatrove token files (see shard_writer.h). */
#include "tokenize/shard_writer.h"

#include "core/buf.h"
#include "tokenize/binfile.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LLMC_MAGIC 20240801u
#define LLMC_VERSION 7u
#define LLMC_HEADER_INTS 256
#define MEGATRON_INT32 4
#define MEGATRON_UINT8 1

struct wn_shards {
    wn_shards_opts o;
    char *prefix;
    wn_binfile bin, mask;      /* tokens and (optional) loss mask of the current file */
    uint64_t tokens, documents;
    /* Megatron: sequence lengths and document boundaries, kept for the .idx. */
    uint32_t *seq_lens;
    size_t n_seqs, seq_cap;
    uint64_t *doc_idx;
    size_t n_docs, doc_cap;
    /* datatrove: cumulative document ends. llm.c: the current shard. */
    wn_binfile index;
    unsigned shard_no;
    uint64_t shard_tokens_written;
    char **paths;
    size_t n_paths;
};

int wn_shards_parse_format(const char *s, wn_shards_format *out)
{
    if (strcmp(s, "megatron") == 0)
        *out = WN_SHARDS_MEGATRON;
    else if (strcmp(s, "llmc") == 0 || strcmp(s, "llm.c") == 0)
        *out = WN_SHARDS_LLMC;
    else if (strcmp(s, "datatrove") == 0)
        *out = WN_SHARDS_DATATROVE;
    else
        return -1;
    return 0;
}

static char *name(const char *prefix, const char *suffix)
{
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%s%s", prefix, suffix);
    return wn_buf_detach(&b, NULL);
}

static int open_named(wn_shards *w, wn_binfile *f, const char *suffix, char *err, size_t errlen)
{
    char *path = name(w->prefix, suffix);
    int rc = wn_binfile_open(f, path, err, errlen);
    free(path);
    return rc;
}

static void note_path(wn_shards *w, const char *suffix)
{
    w->paths = wn_xrealloc(w->paths, (w->n_paths + 1) * sizeof *w->paths);
    w->paths[w->n_paths++] = name(w->prefix, suffix);
}

static int llmc_open_shard(wn_shards *w, char *err, size_t errlen)
{
    char suffix[32];
    snprintf(suffix, sizeof suffix, "_%06u.bin", w->shard_no);
    if (open_named(w, &w->bin, suffix, err, errlen))
        return -1;
    uint32_t header[LLMC_HEADER_INTS] = { LLMC_MAGIC, LLMC_VERSION, 0 };
    wn_binfile_u32s(&w->bin, header, LLMC_HEADER_INTS);
    if (w->o.with_mask) {
        snprintf(suffix, sizeof suffix, "_%06u.mask", w->shard_no);
        if (open_named(w, &w->mask, suffix, err, errlen))
            return -1;
    }
    w->shard_tokens_written = 0;
    return 0;
}

static int llmc_close_shard(wn_shards *w, char *err, size_t errlen)
{
    uint32_t ntok = (uint32_t)w->shard_tokens_written;
    uint8_t le[4] = { (uint8_t)ntok, (uint8_t)(ntok >> 8), (uint8_t)(ntok >> 16),
                      (uint8_t)(ntok >> 24) };
    wn_binfile_patch(&w->bin, 2 * 4, le, 4);
    char suffix[32];
    snprintf(suffix, sizeof suffix, "_%06u.bin", w->shard_no);
    if (wn_binfile_commit(&w->bin, err, errlen))
        return -1;
    note_path(w, suffix);
    if (w->o.with_mask) {
        snprintf(suffix, sizeof suffix, "_%06u.mask", w->shard_no);
        if (wn_binfile_commit(&w->mask, err, errlen))
            return -1;
        note_path(w, suffix);
    }
    w->shard_no++;
    return 0;
}

wn_shards *wn_shards_open(const wn_shards_opts *o, char *err, size_t errlen)
{
    wn_shards *w = wn_xcalloc(1, sizeof *w);
    w->o = *o;
    if (!w->o.shard_tokens)
        w->o.shard_tokens = 100000000;
    if (w->o.shard_tokens >= (1ull << 31))
        w->o.shard_tokens = (1ull << 31) - 1; /* llm.c stores the count as int32 */
    w->prefix = wn_xstrdup(o->prefix);
    int rc = 0;
    switch (o->format) {
    case WN_SHARDS_MEGATRON:
        rc = open_named(w, &w->bin, ".bin", err, errlen);
        if (!rc && o->with_mask)
            rc = open_named(w, &w->mask, "_mask.bin", err, errlen);
        w->doc_cap = 1024;
        w->doc_idx = wn_xmalloc(w->doc_cap * sizeof *w->doc_idx);
        w->doc_idx[w->n_docs++] = 0; /* Megatron's document_indices start with 0 */
        break;
    case WN_SHARDS_LLMC:
        rc = llmc_open_shard(w, err, errlen);
        break;
    case WN_SHARDS_DATATROVE:
        rc = open_named(w, &w->bin, ".ds", err, errlen);
        if (!rc)
            rc = open_named(w, &w->index, ".ds.index", err, errlen);
        if (!rc && o->with_mask)
            rc = open_named(w, &w->mask, ".ds.loss", err, errlen);
        break;
    }
    if (rc) {
        wn_shards_abort(w);
        return NULL;
    }
    return w;
}

static void write_mask(wn_shards *w, const uint8_t *mask, size_t n)
{
    if (!w->o.with_mask)
        return;
    if (mask) {
        wn_binfile_write(&w->mask, mask, n);
        return;
    }
    uint8_t ones[4096];
    memset(ones, 1, sizeof ones);
    for (size_t done = 0; done < n;) {
        size_t k = n - done < sizeof ones ? n - done : sizeof ones;
        wn_binfile_write(&w->mask, ones, k);
        done += k;
    }
}

int wn_shards_add(wn_shards *w, const wn_tok_id *ids, size_t n, const uint8_t *mask,
                  const size_t *seq_lens, size_t n_seqs, char *err, size_t errlen)
{
    size_t one = n;
    if (!seq_lens || !n_seqs) {
        seq_lens = &one;
        n_seqs = 1;
    }
    switch (w->o.format) {
    case WN_SHARDS_MEGATRON:
        wn_binfile_u32s(&w->bin, ids, n);
        write_mask(w, mask, n);
        for (size_t s = 0; s < n_seqs; s++) {
            if (seq_lens[s] > INT32_MAX) {
                snprintf(err, errlen, "a sequence of %zu tokens does not fit Megatron's int32 "
                         "lengths", seq_lens[s]);
                return -1;
            }
            if (w->n_seqs == w->seq_cap) {
                w->seq_cap = w->seq_cap ? 2 * w->seq_cap : 1024;
                w->seq_lens = wn_xrealloc(w->seq_lens, w->seq_cap * sizeof *w->seq_lens);
            }
            w->seq_lens[w->n_seqs++] = (uint32_t)seq_lens[s];
        }
        if (w->n_docs == w->doc_cap) {
            w->doc_cap *= 2;
            w->doc_idx = wn_xrealloc(w->doc_idx, w->doc_cap * sizeof *w->doc_idx);
        }
        w->doc_idx[w->n_docs++] = w->n_seqs;
        break;
    case WN_SHARDS_LLMC:
        /* Fill the current shard, start the next one with the rest (fineweb.py does so). */
        for (size_t done = 0; done < n;) {
            if (w->shard_tokens_written == w->o.shard_tokens &&
                (llmc_close_shard(w, err, errlen) || llmc_open_shard(w, err, errlen)))
                return -1;
            size_t room = (size_t)(w->o.shard_tokens - w->shard_tokens_written);
            size_t k = n - done < room ? n - done : room;
            wn_binfile_u32s(&w->bin, ids + done, k);
            write_mask(w, mask ? mask + done : NULL, k);
            w->shard_tokens_written += k;
            done += k;
        }
        break;
    case WN_SHARDS_DATATROVE: {
        wn_binfile_u32s(&w->bin, ids, n);
        write_mask(w, mask, n);
        uint64_t end = w->tokens;
        for (size_t s = 0; s < n_seqs; s++) {
            end += seq_lens[s];
            wn_binfile_u64(&w->index, end);
        }
        break;
    }
    }
    w->tokens += n;
    w->documents++;
    return 0;
}

uint64_t wn_shards_tokens(const wn_shards *w)
{
    return w->tokens;
}

uint64_t wn_shards_documents(const wn_shards *w)
{
    return w->documents;
}

/* The .idx of Megatron's _IndexWriter: header, lengths, byte pointers, document indices. */
static int megatron_index(wn_shards *w, const char *suffix, uint8_t dtype, size_t itemsize,
                          char *err, size_t errlen)
{
    wn_binfile idx;
    if (open_named(w, &idx, suffix, err, errlen))
        return -1;
    wn_binfile_write(&idx, "MMIDIDX\x00\x00", 9);
    wn_binfile_u64(&idx, 1);
    wn_binfile_u8(&idx, dtype);
    wn_binfile_u64(&idx, w->n_seqs);
    wn_binfile_u64(&idx, w->n_docs);
    wn_binfile_u32s(&idx, w->seq_lens, w->n_seqs);
    uint64_t ptr = 0;
    for (size_t i = 0; i < w->n_seqs; i++) {
        wn_binfile_u64(&idx, ptr);
        ptr += (uint64_t)w->seq_lens[i] * itemsize;
    }
    for (size_t i = 0; i < w->n_docs; i++)
        wn_binfile_u64(&idx, w->doc_idx[i]);
    if (wn_binfile_commit(&idx, err, errlen))
        return -1;
    note_path(w, suffix);
    return 0;
}

/* datatrove's humanize.metric(n, unit="T") with its default precision of 3 digits. */
static void humanize_tokens(uint64_t n, char *buf, size_t len)
{
    static const char *const prefix[] = { "", "k", "M", "G", "T", "P", "E" };
    double v = (double)n;
    int k = 0;
    while (v >= 1000 && k < 6) {
        v /= 1000;
        k++;
    }
    int decimals = v >= 100 ? 0 : v >= 10 ? 1 : 2;
    snprintf(buf, len, "%.*f %sT", decimals, v, prefix[k]);
}

int wn_shards_commit(wn_shards *w, char ***paths, size_t *n_paths, char *err, size_t errlen)
{
    int rc = 0;
    switch (w->o.format) {
    case WN_SHARDS_MEGATRON:
        rc = wn_binfile_commit(&w->bin, err, errlen);
        if (!rc)
            note_path(w, ".bin");
        if (!rc)
            rc = megatron_index(w, ".idx", MEGATRON_INT32, 4, err, errlen);
        if (!rc && w->o.with_mask) {
            rc = wn_binfile_commit(&w->mask, err, errlen);
            if (!rc)
                note_path(w, "_mask.bin");
            if (!rc)
                rc = megatron_index(w, "_mask.idx", MEGATRON_UINT8, 1, err, errlen);
        }
        break;
    case WN_SHARDS_LLMC:
        rc = llmc_close_shard(w, err, errlen);
        break;
    case WN_SHARDS_DATATROVE: {
        rc = wn_binfile_commit(&w->bin, err, errlen);
        if (!rc)
            note_path(w, ".ds");
        if (!rc)
            rc = wn_binfile_commit(&w->index, err, errlen);
        if (!rc)
            note_path(w, ".ds.index");
        if (!rc && w->o.with_mask) {
            rc = wn_binfile_commit(&w->mask, err, errlen);
            if (!rc)
                note_path(w, ".ds.loss");
        }
        if (!rc) {
            wn_binfile meta;
            char human[32];
            humanize_tokens(w->tokens, human, sizeof human);
            wn_buf b = WN_BUF_INIT;
            wn_buf_appendf(&b, "%s|4\n%llu\n%s",
                           w->o.tokenizer_name ? w->o.tokenizer_name : "llama3",
                           (unsigned long long)w->tokens, human);
            rc = open_named(w, &meta, ".ds.metadata", err, errlen);
            if (!rc) {
                wn_binfile_write(&meta, b.data, b.len);
                rc = wn_binfile_commit(&meta, err, errlen);
            }
            if (!rc)
                note_path(w, ".ds.metadata");
            wn_buf_release(&b);
        }
        break;
    }
    }
    *paths = wn_xrealloc(*paths, (*n_paths + w->n_paths) * sizeof **paths);
    for (size_t i = 0; i < w->n_paths; i++)
        (*paths)[(*n_paths)++] = w->paths[i];
    w->n_paths = 0;
    wn_shards_abort(w);
    return rc;
}

void wn_shards_abort(wn_shards *w)
{
    if (!w)
        return;
    wn_binfile_abort(&w->bin);
    wn_binfile_abort(&w->mask);
    wn_binfile_abort(&w->index);
    for (size_t i = 0; i < w->n_paths; i++)
        free(w->paths[i]);
    free(w->paths);
    free(w->seq_lens);
    free(w->doc_idx);
    free(w->prefix);
    free(w);
}
