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

/* Each input's key for the validation draw (see mix_internal.h). */
typedef struct split_keys {
    wn_buf *prefix; /* per input: "<source>\n<file name>\n" */
    size_t n;
} split_keys;

void mx_split_key(wn_buf *key, const char *source, const char *prefix)
{
    const char *base = strrchr(prefix, '/'); /* not the full path: runs may move */
    wn_buf_reset(key);
    wn_buf_appendf(key, "%s\n%s\n", source, base ? base + 1 : prefix);
}

/* The index's digits go after the key, in the buffer's spare room (its length stays the
 * key's), so no formatting call runs per document. */
bool mx_split_is_val(wn_buf *key, uint64_t doc, uint64_t seed, double val_fraction)
{
    if (val_fraction <= 0)
        return false;
    wn_buf_grow(key, 20);
    size_t n = wn_decimal(doc, key->data + key->len);
    uint64_t h = XXH64(key->data, key->len + n, seed);
    return (double)(h >> 11) * 0x1.0p-53 < val_fraction;
}

static split_keys split_keys_make(const mx_run *m)
{
    split_keys k = {wn_xcalloc(m->n_inputs ? m->n_inputs : 1, sizeof *k.prefix), m->n_inputs};
    for (size_t i = 0; i < m->n_inputs; i++)
        mx_split_key(&k.prefix[i], m->spec->sources[m->inputs[i].source].name,
                     m->inputs[i].r.prefix);
    return k;
}

static void split_keys_release(split_keys *k)
{
    for (size_t i = 0; i < k->n; i++)
        wn_buf_release(&k->prefix[i]);
    free(k->prefix);
}

static bool is_val(const mx_run *m, const split_keys *keys, uint32_t input, uint64_t doc)
{
    return mx_split_is_val(&keys->prefix[input], doc, m->c->seed, m->c->val_fraction);
}

static void select_doc(mx_run *m, uint32_t input, uint64_t doc, bool val, bool first_pass)
{
    uint32_t s = (uint32_t)m->inputs[input].source;
    if (val) {
        if (first_pass)
            refs_push(&m->val, input, s, doc);
    } else {
        refs_push(&m->train, input, s, doc);
    }
}

/* Whole epochs, then a seeded random subset of documents for the fractional part. */
static void select_source(mx_run *m, const split_keys *keys, size_t s)
{
    uint64_t total = m->spec->sources[s].tokens, want = m->plan.rows[s].tokens_taken;
    uint64_t full = total ? want / total : 0, rest = want - full * total;
    mx_refs all = {0};
    for (uint32_t i = 0; i < m->n_inputs; i++)
        if (m->inputs[i].source == s)
            for (uint64_t d = 0; d < m->inputs[i].r.n_docs; d++)
                refs_push(&all, i, (uint32_t)s, d);
    if (full > 0) { /* each document's split once, for every epoch */
        bool *val = wn_xmalloc(all.n ? all.n : 1);
        for (size_t k = 0; k < all.n; k++)
            val[k] = is_val(m, keys, all.v[k].input, all.v[k].doc);
        for (uint64_t e = 0; e < full; e++)
            for (size_t k = 0; k < all.n; k++)
                select_doc(m, all.v[k].input, all.v[k].doc, val[k], e == 0);
        free(val);
    }
    if (rest > 0) {
        char label[256];
        snprintf(label, sizeof label, "%s/partial/%s", m->spec->label, m->spec->sources[s].name);
        refs_shuffle(&all, m->c->seed, label);
        uint64_t got = 0;
        for (size_t k = 0; k < all.n && got < rest; k++) {
            uint32_t in = all.v[k].input;
            select_doc(m, in, all.v[k].doc, is_val(m, keys, in, all.v[k].doc), full == 0);
            got += wn_mg_doc_tokens(&m->inputs[in].r, all.v[k].doc);
        }
    }
    free(all.v);
}

void mx_select(mx_run *m)
{
    split_keys keys = split_keys_make(m);
    for (size_t s = 0; s < m->spec->n_sources; s++)
        select_source(m, &keys, s);
    split_keys_release(&keys);
    char label[64];
    snprintf(label, sizeof label, "%s/train", m->spec->label);
    refs_shuffle(&m->train, m->c->seed, label);
    snprintf(label, sizeof label, "%s/val", m->spec->label);
    refs_shuffle(&m->val, m->c->seed, label);
}
