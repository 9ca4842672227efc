/* select.c: which documents a mix takes, in which split, in which order; see mix.h. */
#include "mix/mix_internal.h"
#include "core/buf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <xxhash.h>

static void refs_push(mx_refs *r, uint32_t input, uint32_t source, uint64_t doc)
{
    if (r->n == r->cap) {
        r->cap = r->cap ? 2 * r->cap : 1024;
        r->v = wn_xrealloc(r->v, r->cap * sizeof *r->v);
    }
    r->v[r->n++] = (mx_ref){input, source, doc};
}

static void refs_shuffle(mx_refs *r, uint64_t seed, const char *label)
{
    mx_rng rng;
    mx_rng_init(&rng, seed, label);
    for (size_t i = r->n; i > 1; i--) {
        size_t j = (size_t)mx_rng_below(&rng, i);
        mx_ref t = r->v[i - 1];
        r->v[i - 1] = r->v[j];
        r->v[j] = t;
    }
}

/* A document's split depends only on the seed and its identity, never on the epoch. */
static bool is_val(const mx_run *m, const mx_input *in, uint64_t doc)
{
    if (m->c->val_fraction <= 0)
        return false;
    wn_buf key = WN_BUF_INIT;
    const char *base = strrchr(in->r.prefix, '/'); /* not the full path: runs may move */
    wn_buf_appendf(&key, "%s\n%s\n%llu", m->spec->sources[in->source].name,
                   base ? base + 1 : in->r.prefix, (unsigned long long)doc);
    uint64_t h = XXH64(key.data, key.len, m->c->seed);
    wn_buf_release(&key);
    return (double)(h >> 11) * 0x1.0p-53 < m->c->val_fraction;
}

static void select_doc(mx_run *m, uint32_t input, uint64_t doc, bool first_pass)
{
    const mx_input *in = &m->inputs[input];
    uint32_t s = (uint32_t)in->source;
    if (is_val(m, in, doc)) {
        if (first_pass)
            refs_push(&m->val, input, s, doc);
    } else {
        refs_push(&m->train, input, s, doc);
    }
}

/* Whole epochs, then a seeded random subset of documents for the fractional part. */
static void select_source(mx_run *m, size_t s)
{
    uint64_t total = m->spec->sources[s].tokens, want = m->plan.rows[s].tokens_taken;
    uint64_t full = total ? want / total : 0, rest = want - full * total;
    mx_refs all = {0};
    for (uint32_t i = 0; i < m->n_inputs; i++)
        if (m->inputs[i].source == s)
            for (uint64_t d = 0; d < m->inputs[i].r.n_docs; d++)
                refs_push(&all, i, (uint32_t)s, d);
    for (uint64_t e = 0; e < full; e++)
        for (size_t k = 0; k < all.n; k++)
            select_doc(m, all.v[k].input, all.v[k].doc, e == 0);
    if (rest > 0) {
        char label[256];
        snprintf(label, sizeof label, "%s/partial/%s", m->spec->label, m->spec->sources[s].name);
        refs_shuffle(&all, m->c->seed, label);
        uint64_t got = 0;
        for (size_t k = 0; k < all.n && got < rest; k++) {
            select_doc(m, all.v[k].input, all.v[k].doc, full == 0);
            got += wn_mg_doc_tokens(&m->inputs[all.v[k].input].r, all.v[k].doc);
        }
    }
    free(all.v);
}

void mx_select(mx_run *m)
{
    for (size_t s = 0; s < m->spec->n_sources; s++)
        select_source(m, s);
    char label[64];
    snprintf(label, sizeof label, "%s/train", m->spec->label);
    refs_shuffle(&m->train, m->c->seed, label);
    snprintf(label, sizeof label, "%s/val", m->spec->label);
    refs_shuffle(&m->val, m->c->seed, label);
}
