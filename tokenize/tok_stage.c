/* tok_stage.c: the tokenize stages (see tok_stage.h). */
#include "tokenize/tok_stage.h"

#include "core/buf.h"
#include "core/log.h"
#include "tokenize/script_key.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_WARNINGS 10
/* A slot's buffers up to this size are always kept for the next batch (core/runner.c keeps
 * its output slots by the same rule). */
#define SLOT_KEEP_BYTES ((size_t)4 << 10)

/* Per document of the current batch: its ids and loss mask, a cache line of its own. The
 * encoder writes ids.len once a piece, and the runner hands documents out one at a time,
 * so neighbouring slots are filled by two threads at once: in 48-byte slots, which share
 * lines, every piece's write took the line from the other core (Brown at two threads, when
 * both ran: ~330 MB/s against ~370 in lines of their own; docs/tokenize.md, eleventh
 * session, tok18). */
typedef struct doc_tokens {
    _Alignas(64) wn_tok_ids ids;
    wn_buf mask;
} doc_tokens;
_Static_assert(sizeof(doc_tokens) == 64, "a slot is one cache line");

/* The slots of one batch: document base + i in slots[i]. */
typedef struct slot_set {
    doc_tokens *slots;
    size_t n_slots; /* allocated; the batch uses the first n */
    size_t n;
    uint64_t base;
} slot_set;

typedef struct tok_state {
    wn_tokenize_opts o;
    wn_chat chat;
    wn_shards *writer;
    /* Two sets of slots: the runner writes one batch (write_batch) while the next one is
     * encoded into the other set (core/runner.c, a fused pass's side jobs). cur is the set
     * being encoded. */
    slot_set sets[2];
    int cur;
    atomic_uint warnings;
    /* Packing: the pack being filled. */
    wn_tok_ids pack_ids;
    wn_buf pack_mask;
    size_t *pack_seqs, n_pack_seqs, pack_seq_cap;
    bool failed;
    char err[512];
} tok_state;

static doc_tokens *slot_of(tok_state *st, const wn_doc *d)
{
    slot_set *set = &st->sets[st->cur];
    return &set->slots[d->input_index - set->base];
}

/* Empties a slot for the next batch. It keeps its buffers unless they are more than twice
 * what they just held: kept, every slot would end up as big as the biggest document it ever
 * held (a 100 MB document leaves 400 MB of ids), so memory would grow with the corpus. */
static void slot_reuse(doc_tokens *t)
{
    if (wn_buf_oversized(t->ids.cap, t->ids.len, SLOT_KEEP_BYTES / sizeof *t->ids.ids))
        wn_tok_ids_release(&t->ids);
    else
        wn_tok_ids_reset(&t->ids);
    if (wn_buf_oversized(t->mask.cap, t->mask.len, SLOT_KEEP_BYTES))
        wn_buf_release(&t->mask);
    else
        wn_buf_reset(&t->mask);
}

/* Room for n slots, aligned to their size (realloc would keep only 16 bytes' alignment);
 * the slots there keep their buffers, the new ones are empty. */
static void slots_grow(slot_set *set, size_t n)
{
    void *p = NULL;
    if (posix_memalign(&p, sizeof(doc_tokens), n * sizeof(doc_tokens)) != 0)
        wn_fatal("out of memory allocating %zu x %zu bytes", n, sizeof(doc_tokens));
    doc_tokens *slots = p;
    if (set->n_slots)
        memcpy(slots, set->slots, set->n_slots * sizeof *slots);
    memset(slots + set->n_slots, 0, (n - set->n_slots) * sizeof *slots);
    free(set->slots);
    set->slots = slots;
    set->n_slots = n;
}

/* A new batch goes into the set the batch before the last one used, which the runner has
 * written by now (it writes a batch before it begins the one after the next). */
static void encode_begin(void *state, uint64_t base, size_t n)
{
    tok_state *st = state;
    st->cur ^= 1;
    slot_set *set = &st->sets[st->cur];
    if (set->n_slots < n)
        slots_grow(set, n);
    for (size_t i = 0; i < set->n_slots; i++)
        slot_reuse(&set->slots[i]);
    set->base = base;
    set->n = n;
}

/* Tokens per document, counted where it is encoded (the sums do not depend on which
 * thread adds what): the kept documents' "tokens", by source, and with chat the tokens
 * the loss mask trains on. */
static void count_tokens(const tok_state *st, wn_stats *stats, const wn_doc *d,
                         const doc_tokens *t)
{
    wn_stats_add(stats, "tokens", (double)t->ids.len);
    char name[160];
    snprintf(name, sizeof name, "tokens.source.%.*s", d->source.len ? (int)d->source.len : 7,
             d->source.len ? d->source.ptr : "unknown");
    wn_stats_add(stats, name, (double)t->ids.len);
    if (st->o.chat) {
        size_t trained = 0;
        for (size_t k = 0; k < t->mask.len; k++)
            trained += (unsigned char)t->mask.data[k];
        wn_stats_add(stats, "tokens.trained", (double)trained);
    }
}

/* Documents of one script go to one thread, one after another, so that its piece cache
 * learns their words once (script_key.h). */
static uint64_t encode_order_key(const void *state, const char *record, size_t len)
{
    (void)state;
    return wn_script_key(record, len);
}

static void encode_doc(void *state, wn_doc *d, wn_stats *stats)
{
    tok_state *st = state;
    doc_tokens *t = slot_of(st, d);
    if (st->o.chat) {
        char detail[200];
        const char *why =
            d->record ? wn_chat_render_json(&st->chat, d->record, &t->ids, &t->mask, detail,
                                            sizeof detail)
                      : wn_chat_render(&st->chat, d->text.ptr, d->text.len, &t->ids, &t->mask,
                                       detail, sizeof detail);
        json_decref(d->record); /* read: its memory back before the next document */
        d->record = NULL;
        if (!why && st->o.pack && t->ids.len > st->o.pack) {
            snprintf(detail, sizeof detail, "%zu tokens, longer than --pack %zu", t->ids.len,
                     st->o.pack);
            why = "chat.too_long";
        }
        if (!why && !memchr(t->mask.data, 1, t->mask.len)) {
            snprintf(detail, sizeof detail, "no token to train on");
            why = "chat.no_trainable_tokens";
        }
        if (why) {
            d->drop_reason = why;
            if (atomic_fetch_add(&st->warnings, 1) < MAX_WARNINGS)
                wn_warn("'%.*s': %s: %s", (int)d->id.len, d->id.ptr, why, detail);
        } else {
            count_tokens(st, stats, d, t);
        }
        return;
    }
    if (d->text.len == 0) {
        d->drop_reason = "tokenize.empty";
        return;
    }
    if (st->o.bos)
        wn_tok_ids_push(&t->ids, wn_tok_bos(st->o.tok));
    wn_tok_encode(st->o.tok, d->text.ptr, d->text.len, st->o.enc_flags, &t->ids);
    if (st->o.eos)
        wn_tok_ids_push(&t->ids, wn_tok_eos(st->o.tok));
    count_tokens(st, stats, d, t);
}

static void fail(tok_state *st)
{
    if (!st->failed)
        wn_error("%s", st->err);
    st->failed = true;
}

/* Close the current pack: pad it to the pack length and write it as one document whose
 * sequences are its conversations (and the padding), so boundaries survive. */
static void pack_flush(tok_state *st)
{
    if (!st->pack_ids.len || st->failed)
        return;
    size_t pad = st->o.pack - st->pack_ids.len;
    for (size_t i = 0; i < pad; i++) {
        wn_tok_ids_push(&st->pack_ids, st->o.pad_id);
        wn_buf_appendc(&st->pack_mask, 0);
    }
    if (pad) {
        if (st->n_pack_seqs == st->pack_seq_cap) {
            st->pack_seq_cap = st->pack_seq_cap ? 2 * st->pack_seq_cap : 16;
            st->pack_seqs = wn_xrealloc(st->pack_seqs, st->pack_seq_cap * sizeof *st->pack_seqs);
        }
        st->pack_seqs[st->n_pack_seqs++] = pad;
    }
    if (wn_shards_add(st->writer, st->pack_ids.ids, st->pack_ids.len,
                      (const uint8_t *)st->pack_mask.data, st->pack_seqs, st->n_pack_seqs,
                      st->err, sizeof st->err))
        fail(st);
    wn_tok_ids_reset(&st->pack_ids);
    wn_buf_reset(&st->pack_mask);
    st->n_pack_seqs = 0;
}

static void pack_add(tok_state *st, const doc_tokens *t)
{
    if (st->pack_ids.len + t->ids.len > st->o.pack)
        pack_flush(st);
    wn_tok_ids_reserve(&st->pack_ids, t->ids.len);
    memcpy(st->pack_ids.ids + st->pack_ids.len, t->ids.ids, t->ids.len * sizeof *t->ids.ids);
    st->pack_ids.len += t->ids.len;
    wn_buf_append(&st->pack_mask, t->mask.data, t->mask.len);
    if (st->n_pack_seqs == st->pack_seq_cap) {
        st->pack_seq_cap = st->pack_seq_cap ? 2 * st->pack_seq_cap : 16;
        st->pack_seqs = wn_xrealloc(st->pack_seqs, st->pack_seq_cap * sizeof *st->pack_seqs);
    }
    st->pack_seqs[st->n_pack_seqs++] = t->ids.len;
}

/* The write stage appends the batch's kept documents in input order. The set is the one
 * whose batch starts at base: the current one when the runner writes each batch before it
 * begins the next (step by step), else the other. */
static void write_batch(void *state, uint64_t base, size_t n, const bool *removed,
                        wn_stats *stats)
{
    (void)stats;
    tok_state *st = state;
    const slot_set *set = &st->sets[st->cur];
    if (set->base != base || set->n != n)
        set = &st->sets[st->cur ^ 1];
    for (size_t i = 0; i < n && !st->failed; i++) {
        if (removed[i])
            continue;
        doc_tokens *t = &set->slots[i];
        if (st->o.pack) {
            pack_add(st, t);
        } else if (wn_shards_add(st->writer, t->ids.ids, t->ids.len,
                                 st->o.chat ? (const uint8_t *)t->mask.data : NULL, NULL, 0,
                                 st->err, sizeof st->err)) {
            fail(st);
        }
    }
}

static void release(void *state)
{
    tok_state *st = state;
    for (int k = 0; k < 2; k++) {
        for (size_t i = 0; i < st->sets[k].n_slots; i++) {
            wn_tok_ids_release(&st->sets[k].slots[i].ids);
            wn_buf_release(&st->sets[k].slots[i].mask);
        }
        free(st->sets[k].slots);
    }
    wn_tok_ids_release(&st->pack_ids);
    wn_buf_release(&st->pack_mask);
    free(st->pack_seqs);
    free(st);
}

int wn_tokenize_stages_new(const wn_tokenize_opts *o, wn_shards *writer, wn_stage **encode,
                           wn_stage **write, char *err, size_t errlen)
{
    tok_state *st = wn_xcalloc(1, sizeof *st);
    st->o = *o;
    st->writer = writer;
    if (o->chat && wn_chat_init(&st->chat, o->tok, o->train, err, errlen)) {
        free(st);
        return -1;
    }
    if (o->pack && !o->chat) {
        snprintf(err, errlen, "--pack applies to --chat data");
        free(st);
        return -1;
    }
    *encode = wn_xcalloc(1, sizeof **encode);
    (*encode)->name = "tokenize";
    (*encode)->state = st;
    (*encode)->begin_batch = encode_begin;
    (*encode)->process_doc = encode_doc;
    (*encode)->order_key = encode_order_key;
    (*encode)->release = release;
    *write = wn_xcalloc(1, sizeof **write);
    (*write)->name = "tokenize.write";
    (*write)->state = st;
    (*write)->write_batch = write_batch;
    return 0;
}

int wn_tokenize_flush(wn_stage *write, char *err, size_t errlen)
{
    tok_state *st = write->state;
    if (st->o.pack)
        pack_flush(st);
    if (st->failed) {
        snprintf(err, errlen, "%s", st->err);
        return -1;
    }
    return 0;
}

void wn_tokenize_set_writer(wn_stage *write, wn_shards *writer)
{
    ((tok_state *)write->state)->writer = writer;
}

size_t wn_tokenize_held_bytes(const wn_stage *encode)
{
    const tok_state *st = encode->state;
    size_t held = 0;
    for (int k = 0; k < 2; k++)
        for (size_t i = 0; i < st->sets[k].n_slots; i++) {
            const doc_tokens *t = &st->sets[k].slots[i];
            held += t->ids.cap * sizeof *t->ids.ids + t->mask.cap;
        }
    return held;
}

const wn_tok_ids *wn_tokenize_doc_ids(const wn_stage *encode, const wn_doc *d)
{
    return &slot_of(encode->state, d)->ids;
}

bool wn_tokenize_failed(const wn_stage *write)
{
    return ((const tok_state *)write->state)->failed;
}
