/* pack.c: documents -> fixed-length sequences -> shards (through sink.c). */
#include "mix/mix_internal.h"
#include "core/buf.h"
#include "core/log.h"

#include <stdlib.h>
#include <string.h>

/* The output dtype: uint16 only when every input is 8/16-bit unsigned, else int32. */
static int output_dtype(const mx_run *m)
{
    for (size_t i = 0; i < m->n_inputs; i++)
        if (m->inputs[i].r.dtype != WN_MG_UINT16 && m->inputs[i].r.dtype != WN_MG_UINT8)
            return WN_MG_INT32;
    return WN_MG_UINT16;
}

typedef struct mx_piece {
    uint32_t source;
    uint32_t len;
} mx_piece;

/* Every document of the split counted per source: its tokens inside the kept prefix of
 * the split's stream are written (by whichever part holds them), the rest is the dropped
 * remainder. Returns the index of the first document holding token `from` and sets *at to
 * that document's first token (refs->n when no document does). Lengths only. */
static size_t count_split(mx_run *m, const mx_refs *refs, uint64_t kept, uint64_t from,
                          uint64_t *tokens_by_source, uint64_t *docs_by_source, uint64_t *at)
{
    size_t first = refs->n;
    uint64_t pos = 0;
    *at = 0;
    for (size_t i = 0; i < refs->n; i++) {
        const mx_ref *ref = &refs->v[i];
        uint64_t n = wn_mg_doc_tokens(&m->inputs[ref->input].r, ref->doc);
        uint64_t in = pos >= kept ? 0 : kept - pos < n ? kept - pos : n;
        docs_by_source[ref->source]++;
        tokens_by_source[ref->source] += in;
        m->dropped[ref->source] += n - in;
        if (first == refs->n && pos + n > from) {
            first = i;
            *at = pos;
        }
        pos += n;
    }
    return first;
}

/* Write the split's tokens [from, to) (from a sample boundary; to is one too, or the end of
 * the kept tokens) as samples of sequence_length tokens, the first document being
 * refs->v[first], whose first token is token doc_start of the stream. The open sample is
 * buffered so each sample is handed to the sink whole. */
static int write_range(mx_run *m, const mx_refs *refs, mx_sink *sink, size_t first,
                       uint64_t doc_start, uint64_t from, uint64_t to)
{
    const uint64_t L = m->c->sequence_length;
    uint32_t *sample = wn_xmalloc(L * sizeof *sample), *doc = NULL;
    mx_piece *pieces = wn_xmalloc(L * sizeof *pieces);
    size_t n_pieces = 0, doc_cap = 0;
    uint64_t fill = 0, at = from, off = from - doc_start;
    int rc = 0;
    for (size_t i = first; i < refs->n && at < to && rc == 0; i++, off = 0) {
        const mx_ref *ref = &refs->v[i];
        const wn_mg_reader *r = &m->inputs[ref->input].r;
        uint64_t n = wn_mg_doc_tokens(r, ref->doc);
        if (n > doc_cap) {
            doc_cap = n;
            doc = wn_xrealloc(doc, doc_cap * sizeof *doc);
        }
        if (off < n)
            wn_mg_doc_copy(r, ref->doc, doc);
        while (off < n && at < to && rc == 0) {
            uint64_t take = n - off < L - fill ? n - off : L - fill;
            if (take > to - at)
                take = to - at;
            memcpy(sample + fill, doc + off, take * sizeof *doc);
            pieces[n_pieces++] = (mx_piece){ref->source, (uint32_t)take};
            fill += take;
            off += take;
            at += take;
            if (fill < L && at < to)
                continue;
            for (size_t p = 0, pat = 0; p < n_pieces && rc == 0; pat += pieces[p++].len)
                rc = mx_sink_piece(sink, sample + pat, pieces[p].len);
            if (rc == 0)
                rc = mx_sink_end_sample(sink);
            fill = 0;
            n_pieces = 0;
        }
    }
    free(sample);
    free(pieces);
    free(doc);
    return rc;
}

/* Pack one split: its stream of tokens (documents in order) is cut into samples of
 * sequence_length, samples into shards of per_shard; this part writes its range of shards. */
int mx_pack_split(mx_run *m, const mx_refs *refs, const char *outdir, const char *split,
                  mx_part part, uint64_t *tokens_by_source, uint64_t *docs_by_source,
                  json_t *outputs, uint64_t *n_shards)
{
    const uint64_t L = m->c->sequence_length;
    int dtype = m->c->format == WN_MIX_LLMC ? WN_MG_INT32 : output_dtype(m);
    size_t item = m->c->format == WN_MIX_LLMC ? 4 : wn_mg_itemsize(dtype);
    uint64_t per_shard = m->c->max_shard_bytes / (L * item);
    uint64_t total = 0;
    for (size_t i = 0; i < refs->n; i++)
        total += wn_mg_doc_tokens(&m->inputs[refs->v[i].input].r, refs->v[i].doc);
    if (m->c->format == WN_MIX_LLMC && per_shard * L > 0x7fffffffu)
        per_shard = 0x7fffffffu / L; /* llm.c's header count is int32 */
    if (per_shard == 0)
        per_shard = 1;
    if (!m->c->keep_remainder && total > 0 && total < L)
        wn_warn("%s mix: the %s split has %llu tokens, less than one sequence of %llu: it "
                "stays empty (raise val_fraction or set keep_remainder)", m->spec->label,
                split, (unsigned long long)total, (unsigned long long)L);
    uint64_t kept = m->c->keep_remainder ? total : total / L * L;
    uint64_t samples = (kept + L - 1) / L, shards = (samples + per_shard - 1) / per_shard;
    uint64_t lo = shards * part.index / part.count, hi = shards * (part.index + 1) / part.count;
    uint64_t from = lo * per_shard * L, to = hi * per_shard * L < kept ? hi * per_shard * L : kept;
    uint64_t doc_start;
    size_t first = count_split(m, refs, kept, from, tokens_by_source, docs_by_source, &doc_start);
    *n_shards = shards;
    if (lo == hi)
        return 0;
    mx_sink *sink = mx_sink_open(m->c, outdir, split, dtype, per_shard, lo);
    mx_sink_set_split_tokens(sink, kept);
    if (write_range(m, refs, sink, first, doc_start, from, to) != 0) {
        mx_sink_abort(sink);
        return -1;
    }
    return mx_sink_close(sink, outputs);
}
