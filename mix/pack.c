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

/* Pack one split: documents in order, cut into samples of sequence_length tokens. The
 * open sample is buffered so a short last one can be dropped without being written. */
int mx_pack_split(mx_run *m, const mx_refs *refs, const char *outdir, const char *split,
                  uint64_t *tokens_by_source, uint64_t *docs_by_source, json_t *outputs)
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
    if (!m->c->keep_remainder && total > 0 && total < L)
        wn_warn("%s mix: the %s split has %llu tokens, less than one sequence of %llu: it "
                "stays empty (raise val_fraction or set keep_remainder)", m->spec->label,
                split, (unsigned long long)total, (unsigned long long)L);
    mx_sink *sink = mx_sink_open(m->c, outdir, split, dtype, per_shard);
    mx_sink_set_split_tokens(sink, m->c->keep_remainder ? total : total / L * L);

    uint32_t *sample = wn_xmalloc(L * sizeof *sample), *doc = NULL;
    mx_piece *pieces = wn_xmalloc(L * sizeof *pieces);
    size_t n_pieces = 0, doc_cap = 0;
    uint64_t fill = 0;
    int rc = 0;
    for (size_t i = 0; i < refs->n && rc == 0; i++) {
        const mx_ref *ref = &refs->v[i];
        const wn_mg_reader *r = &m->inputs[ref->input].r;
        uint64_t n = wn_mg_doc_tokens(r, ref->doc);
        if (n > doc_cap) {
            doc_cap = n;
            doc = wn_xrealloc(doc, doc_cap * sizeof *doc);
        }
        wn_mg_doc_copy(r, ref->doc, doc);
        docs_by_source[ref->source]++;
        for (uint64_t off = 0; off < n && rc == 0;) {
            uint64_t take = n - off < L - fill ? n - off : L - fill;
            memcpy(sample + fill, doc + off, take * sizeof *doc);
            pieces[n_pieces++] = (mx_piece){ref->source, (uint32_t)take};
            fill += take;
            off += take;
            if (fill < L)
                continue;
            for (size_t p = 0, at = 0; p < n_pieces && rc == 0; at += pieces[p++].len) {
                rc = mx_sink_piece(sink, sample + at, pieces[p].len);
                tokens_by_source[pieces[p].source] += pieces[p].len;
            }
            if (rc == 0)
                rc = mx_sink_end_sample(sink);
            fill = 0;
            n_pieces = 0;
        }
    }
    for (size_t p = 0, at = 0; p < n_pieces && rc == 0; at += pieces[p++].len) {
        if (m->c->keep_remainder) {
            rc = mx_sink_piece(sink, sample + at, pieces[p].len);
            tokens_by_source[pieces[p].source] += pieces[p].len;
        } else {
            m->dropped[pieces[p].source] += pieces[p].len;
        }
    }
    if (rc == 0 && n_pieces && m->c->keep_remainder)
        rc = mx_sink_end_sample(sink);
    free(sample);
    free(pieces);
    free(doc);
    if (rc != 0) {
        mx_sink_abort(sink);
        return -1;
    }
    return mx_sink_close(sink, outputs);
}
