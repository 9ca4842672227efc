/* gopher_repetition.c: the Gopher repetition rules (Rae et al. 2021, table A1), computed
 * as datatrove's GopherRepetitionFilter does:
 *   duplicate paragraphs (split on blank lines) / paragraphs        <= 0.3
 *   characters in duplicate paragraphs / characters                  <= 0.2
 *   duplicate lines / lines, and their characters / characters       <= 0.3, 0.2
 *   characters of the most frequent 2/3/4-gram x its count           <= 0.20, 0.18, 0.16
 *   characters in duplicated 5..10-grams (non-overlapping scan)      <= 0.15 .. 0.10
 * "Duplicate" counts every occurrence after the first. N-grams are compared by hashes of
 * their word hashes (64-bit; a collision is vanishingly unlikely and only over-counts).
 * Character counts are bytes.
 */
#include "filter/filter.h"
#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

typedef struct grep {
    double dup_para, dup_para_char, dup_line, dup_line_char;
    double top[3];  /* 2, 3, 4 */
    double dup[6];  /* 5 .. 10 */
} grep;

static _Thread_local wn_u64map seen;
static _Thread_local uint64_t *prefix; /* prefix[i] = bytes of words[0..i) */
static _Thread_local size_t prefix_cap;

static const char *const top_names[3] = {
    "gopher_rep.top_2gram_char_frac", "gopher_rep.top_3gram_char_frac",
    "gopher_rep.top_4gram_char_frac"};
static const char *const dup_names[6] = {
    "gopher_rep.dup_5gram_char_frac", "gopher_rep.dup_6gram_char_frac",
    "gopher_rep.dup_7gram_char_frac", "gopher_rep.dup_8gram_char_frac",
    "gopher_rep.dup_9gram_char_frac", "gopher_rep.dup_10gram_char_frac"};

/* An n-gram's hash folds its word hashes in order, one step per word, so the hash of the
 * (n+1)-gram at i is one step from the n-gram's: gh[i] (below) grows with n instead of
 * being recomputed from n words. */
static const uint64_t GRAM_SEED = 0x9E3779B97F4A7C15ull;

static inline uint64_t gram_step(uint64_t h, uint64_t word_hash)
{
    h ^= word_hash;
    h *= 0xBF58476D1CE4E5B9ull;
    return h ^ (h >> 31);
}

/* The map key of a folded hash (0 marks empty slots). */
static inline uint64_t gram_key(uint64_t h)
{
    return h ? h : 1;
}

/* Lines (non-empty) and paragraphs (runs of non-empty lines): count duplicates. */
static void dup_units(const wn_text *t, bool paragraphs, size_t *units, size_t *dups,
                      size_t *dup_chars)
{
    wn_u64map_reset(&seen, t->n_lines);
    *units = *dups = *dup_chars = 0;
    for (size_t i = 0; i < t->n_lines;) {
        if (t->lines[i].len == 0) {
            i++;
            continue;
        }
        size_t j = i + 1;
        if (paragraphs)
            while (j < t->n_lines && t->lines[j].len > 0)
                j++;
        size_t off = t->lines[i].off, len = t->lines[j - 1].off + t->lines[j - 1].len - off;
        (*units)++;
        if (wn_u64map_add(&seen, wn_text_hash(t->s + off, len)) > 1) {
            (*dups)++;
            *dup_chars += len;
        }
        i = j;
    }
}

/* Pruning, which gives the same numbers with far fewer hash-table operations: an n-gram
 * can occur twice only where its (n-1)-gram prefix occurs twice. pos[0 .. n_pos) lists, in
 * text order, the positions whose gram (of the size last counted) occurs more than once;
 * every other position is unique for every larger n, so it needs no lookup: a unique gram
 * counts 1 and is never found again. */
static _Thread_local uint32_t *pos;
static _Thread_local size_t n_pos;
static _Thread_local uint64_t *gh;      /* gh[i]: folded hash of the gram at i (i listed) */
static _Thread_local size_t pos_cap;

/* How many grams ahead the table slots are fetched: a slot is a cache miss in a big
 * document's table, and a miss takes about as long as this many inserts. */
enum { PREFETCH = 16 };

/* Keep the listed positions where an n-gram can occur twice: where one starts, and where
 * both (n-1)-grams it holds are listed, the one at i (its prefix) and the one at i + 1
 * (its suffix): an n-gram holding a unique (n-1)-gram is unique. pos[] lists (n-1)-grams. */
static void narrow(const wn_text *t, size_t n)
{
    size_t last = t->n_words - n + 1, kept = 0;
    if (!n_pos)
        return;
    for (size_t k = 0; k + 1 < n_pos; k++) { /* without a branch: it would mispredict */
        uint32_t i = pos[k];
        pos[kept] = i;
        kept += (i < last) & (pos[k + 1] == i + 1);
    }
    n_pos = kept;
}

/* Grow the listed grams by one word (gh[i] becomes the n-gram's hash), keeping the
 * positions where an n-gram can repeat. */
static void grow_grams(const wn_text *t, size_t n)
{
    narrow(t, n);
    for (size_t k = 0; k < n_pos; k++) {
        uint32_t i = pos[k];
        gh[i] = gram_step(gh[i], t->words[i + n - 1].hash);
    }
}

/* The counting table of top_gram_chars: open addressing on the gram's key (never 0, so 0
 * marks an empty slot), cleared for each count; a slot also keeps the list index of the
 * gram's first occurrence, to mark it repeated when a second one comes. */
typedef struct gram_slot {
    uint64_t key;
    uint32_t count, first;
} gram_slot;

static _Thread_local gram_slot *table;
static _Thread_local size_t table_cap;
static _Thread_local unsigned char *repeated; /* repeated[k]: the gram at pos[k] occurs again */

/* An empty table for `grams` keys, at most half full; returns its index mask. */
static size_t table_clear(size_t grams)
{
    size_t cap = 16;
    while (cap < grams * 2)
        cap <<= 1;
    /* a small document after a huge one: give the memory back, keep the cache warm */
    if (cap > table_cap || (table_cap > 65536 && table_cap > cap * 64)) {
        free(table);
        table = wn_xmalloc(cap * sizeof *table);
        table_cap = cap;
    }
    memset(table, 0, cap * sizeof *table);
    return cap - 1;
}

/* The step of grow_grams for the listed gram at pos[k]; starts fetching its slot. */
static inline uint64_t grow_one(const wn_text *t, size_t n, size_t k, size_t mask)
{
    uint32_t i = pos[k];
    uint64_t h = gh[i] = gram_step(gh[i], t->words[i + n - 1].hash);
    __builtin_prefetch(&table[gram_key(h) & mask]);
    return h;
}

/* Most frequent n-gram's characters x its count (" ".join, as datatrove), given pos[] and
 * gh[] for n-1; updates them for n. The scan in text order keeps the first gram to reach
 * the top count; unlisted grams count 1, which only the gram at 0 can be first to reach.
 * grow_grams is done on the way, PREFETCH grams ahead of the count, so that a gram's
 * slot is in the cache when its turn comes. */
static size_t top_gram_chars(const wn_text *t, size_t n)
{
    if (t->n_words < n)
        return 0;
    narrow(t, n);
    size_t mask = table_clear(n_pos + 1);
    uint32_t best = 1;
    size_t best_len = prefix[n] - prefix[0] + n - 1;
    for (size_t k = 0; k < n_pos && k < PREFETCH; k++)
        grow_one(t, n, k, mask);
    for (size_t k = 0; k < n_pos; k++) {
        if (k + PREFETCH < n_pos)
            grow_one(t, n, k + PREFETCH, mask);
        uint32_t i = pos[k];
        uint64_t key = gram_key(gh[i]);
        size_t j = key & mask;
        while (table[j].key && table[j].key != key)
            j = (j + 1) & mask;
        gram_slot *sl = &table[j];
        if (!sl->key) { /* its first occurrence */
            *sl = (gram_slot){key, 1, (uint32_t)k};
            repeated[k] = 0;
            continue;
        }
        uint32_t c = ++sl->count;
        repeated[k] = 1;
        repeated[sl->first] = 1;
        if (c > best) {
            best = c;
            best_len = prefix[i + n] - prefix[i] + n - 1;
        }
    }
    size_t kept = 0;
    for (size_t k = 0; k < n_pos; k++) {
        pos[kept] = pos[k];
        kept += repeated[k];
    }
    n_pos = kept;
    return best_len * best;
}

/* Characters of duplicated n-grams in datatrove's left-to-right scan ("".join; after a
 * duplicate the scan jumps past it). pos[] lists repeated 5-grams, which covers every
 * repeated n-gram for n >= 5; gh[] holds (n-1)-grams, 5-grams for n = 5. */
static size_t dup_gram_chars(const wn_text *t, size_t n)
{
    if (t->n_words < n)
        return 0;
    if (n > 5)
        grow_grams(t, n);
    wn_u64map_reset(&seen, n_pos + 1); /* never grows */
    size_t chars = 0, next = 0; /* the scan's position: unlisted positions only step it */
    for (size_t k = 0; k < n_pos; k++) {
        size_t i = pos[k];
        if (k + PREFETCH < n_pos)
            wn_u64map_prefetch(&seen, gram_key(gh[pos[k + PREFETCH]]));
        if (i < next)
            continue;
        if (wn_u64map_add(&seen, gram_key(gh[i])) > 1) {
            chars += prefix[i + n] - prefix[i];
            next = i + n;
        }
    }
    return chars;
}

static void grep_doc(void *state, wn_doc *d, wn_stats *s)
{
    const grep *g = state;
    const wn_text *t = wn_text_analyze(d);
    double len = t->n ? (double)t->n : 1.0;
    size_t units, dups, dchars;

    dup_units(t, true, &units, &dups, &dchars);
    double para = units ? (double)dups / (double)units : 0, para_c = (double)dchars / len;
    dup_units(t, false, &units, &dups, &dchars);
    double line = units ? (double)dups / (double)units : 0, line_c = (double)dchars / len;

    if (prefix_cap < t->n_words + 1) {
        prefix_cap = t->n_words + 1024;
        free(prefix);
        prefix = wn_xmalloc(prefix_cap * sizeof *prefix);
    }
    prefix[0] = 0;
    for (size_t i = 0; i < t->n_words; i++)
        prefix[i + 1] = prefix[i] + t->words[i].len;

    if (pos_cap < t->n_words + 1) {
        pos_cap = t->n_words + 1024;
        free(pos);
        free(repeated);
        free(gh);
        pos = wn_xmalloc(pos_cap * sizeof *pos);
        repeated = wn_xmalloc(pos_cap);
        gh = wn_xmalloc(pos_cap * sizeof *gh);
    }
    for (size_t i = 0; i < t->n_words; i++) {
        pos[i] = (uint32_t)i;
        gh[i] = gram_step(GRAM_SEED, t->words[i].hash); /* the 1-grams */
    }
    n_pos = t->n_words;
    double top[3], dup[6];
    for (size_t k = 0; k < 3; k++)
        top[k] = (double)top_gram_chars(t, k + 2) / len;
    top_gram_chars(t, 5); /* only to narrow pos[] to repeated 5-grams */
    for (size_t k = 0; k < 6; k++)
        dup[k] = (double)dup_gram_chars(t, k + 5) / len;

    size_t nc = t->n_chars;
    wn_filter_signal(d, nc, s, "gopher_rep.dup_para_frac", para, 0, 1.0001);
    wn_filter_signal(d, nc, s, "gopher_rep.dup_para_char_frac", para_c, 0, 1.0001);
    wn_filter_signal(d, nc, s, "gopher_rep.dup_line_frac", line, 0, 1.0001);
    wn_filter_signal(d, nc, s, "gopher_rep.dup_line_char_frac", line_c, 0, 1.0001);
    for (size_t k = 0; k < 3; k++)
        wn_filter_signal(d, nc, s, top_names[k], top[k], 0, 1.0001);
    for (size_t k = 0; k < 6; k++)
        wn_filter_signal(d, nc, s, dup_names[k], dup[k], 0, 1.0001);

    if (para > g->dup_para)
        d->drop_reason = "gopher_rep.dup_para_frac";
    else if (para_c > g->dup_para_char)
        d->drop_reason = "gopher_rep.dup_para_char_frac";
    else if (line > g->dup_line)
        d->drop_reason = "gopher_rep.dup_line_frac";
    else if (line_c > g->dup_line_char)
        d->drop_reason = "gopher_rep.dup_line_char_frac";
    for (size_t k = 0; k < 3 && !d->drop_reason; k++)
        if (top[k] > g->top[k])
            d->drop_reason = top_names[k];
    for (size_t k = 0; k < 6 && !d->drop_reason; k++)
        if (dup[k] > g->dup[k])
            d->drop_reason = dup_names[k];
}

wn_stage *wn_filter_gopher_repetition_new(wn_fparams *p)
{
    static const double top_def[3] = {0.20, 0.18, 0.16};
    static const double dup_def[6] = {0.15, 0.14, 0.13, 0.12, 0.11, 0.10};
    static const char *const top_keys[3] = {"top_2gram_frac", "top_3gram_frac", "top_4gram_frac"};
    static const char *const dup_keys[6] = {"dup_5gram_frac", "dup_6gram_frac", "dup_7gram_frac",
                                            "dup_8gram_frac", "dup_9gram_frac", "dup_10gram_frac"};
    grep *g = wn_xcalloc(1, sizeof *g);
    g->dup_line = wn_fp_num(p, "dup_line_frac", 0.3);
    g->dup_para = wn_fp_num(p, "dup_para_frac", 0.3);
    g->dup_line_char = wn_fp_num(p, "dup_line_char_frac", 0.2);
    g->dup_para_char = wn_fp_num(p, "dup_para_char_frac", 0.2);
    for (size_t k = 0; k < 3; k++)
        g->top[k] = wn_fp_num(p, top_keys[k], top_def[k]);
    for (size_t k = 0; k < 6; k++)
        g->dup[k] = wn_fp_num(p, dup_keys[k], dup_def[k]);
    return wn_filter_stage_new("gopher_repetition", g, grep_doc, NULL);
}
