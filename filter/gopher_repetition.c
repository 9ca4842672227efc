/* gopher_repetition.c: the Gopher repetition rules (Rae et al. 2021, table A1), computed
 * as datatrove's GopherRepetitionFilter does:
 *   duplicate paragraphs (split on blank lines) / paragraphs        <= 0.3
 *   characters in duplicate paragraphs / characters                  <= 0.2
 *   duplicate lines / lines, and their characters / characters       <= 0.3, 0.2
 *   characters of the most frequent 2/3/4-gram x its count           <= 0.20, 0.18, 0.16
 *   characters in duplicated 5..10-grams (non-overlapping scan)      <= 0.15 .. 0.10
 * "Duplicate" counts every occurrence after the first. 2-grams are compared by a hash of
 * their two word hashes (64-bit; a collision is vanishingly unlikely and only over-counts),
 * longer n-grams exactly as pairs of shorter ones' classes.
 * Character counts are bytes.
 */
#include "filter/filter.h"
#include "core/buf.h"
#include "filter/line_sketch.h"

#include <stdlib.h>
#include <string.h>

typedef struct grep {
    double dup_para, dup_para_char, dup_line, dup_line_char;
    double top[3];  /* 2, 3, 4 */
    double dup[6];  /* 5 .. 10 */
    bool every_signal; /* --annotate-only: no rule stops the others */
    bool bmi2;         /* list_pairs_bmi2 (the CPU has BMI2, and wn_filter_use_avx2) */
} grep;

static const char *const top_names[3] = {
    "gopher_rep.top_2gram_char_frac", "gopher_rep.top_3gram_char_frac",
    "gopher_rep.top_4gram_char_frac"};
static const char *const dup_names[6] = {
    "gopher_rep.dup_5gram_char_frac", "gopher_rep.dup_6gram_char_frac",
    "gopher_rep.dup_7gram_char_frac", "gopher_rep.dup_8gram_char_frac",
    "gopher_rep.dup_9gram_char_frac", "gopher_rep.dup_10gram_char_frac"};

/* Hashes of word hashes folded in order (2-grams, paragraphs of lines). */
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

/* ---- duplicate lines and paragraphs ---- */

static _Thread_local uint64_t *line_hash; /* per line: wn_text_hash of its bytes */
static _Thread_local size_t line_cap;

/* Hash each non-empty line once: the paragraph keys are made of them. */
static void hash_lines(const wn_text *t)
{
    if (line_cap < t->n_lines) {
        line_cap = t->n_lines + 256;
        free(line_hash);
        line_hash = wn_xmalloc(line_cap * sizeof *line_hash);
    }
    for (size_t i = 0; i < t->n_lines; i++)
        line_hash[i] = t->lines[i].len ? wn_text_hash(t->s + t->lines[i].off, t->lines[i].len)
                                       : 0;
}

/* The key of the paragraph lines[a .. b) (all non-empty): its bytes are its lines joined by
 * "\n", each line but the last keeping the '\r' the analysis cut from its end, so the
 * sequence of (line hash, '\r' or not) names them without hashing the bytes again. */
static uint64_t paragraph_key(const wn_text *t, size_t a, size_t b)
{
    if (b == a + 1)
        return line_hash[a]; /* the line's own bytes */
    uint64_t h = GRAM_SEED;
    for (size_t i = a; i < b; i++) {
        const wn_line *l = &t->lines[i];
        bool cr = i + 1 < b && t->s[l->off + l->len] == '\r';
        h = gram_step(h, line_hash[i] + cr);
    }
    return gram_key(h);
}

/* A set of 64-bit keys (0: an empty slot; the caller keeps a key of 0 apart), at most half
 * full and cleared for each use, sized to what is put in: it stays in L1. dup_units' lines
 * and paragraphs, then dup_gram_chars' longer grams. For the units it replaced a
 * wn_u64map, which spread a document's few keys over a table as large as the thread's
 * largest document's: a likely cache miss per line. */
static _Thread_local uint64_t *key_set;
static _Thread_local size_t key_cap;

/* An empty key set for up to `keys` keys; returns its index mask. */
static size_t key_set_clear(size_t keys)
{
    size_t cap = wn_filter_table_cap(16, 2 * keys);
    if (wn_filter_table_renew(key_cap, cap)) {
        free(key_set);
        key_set = wn_xmalloc(cap * sizeof *key_set);
        key_cap = cap;
    }
    memset(key_set, 0, cap * sizeof *key_set);
    return cap - 1;
}

/* Records key; returns whether it was recorded before. */
static inline bool unit_seen(size_t mask, uint64_t key, bool *zero_seen)
{
    if (!key) {
        bool was = *zero_seen;
        *zero_seen = true;
        return was;
    }
    size_t j = key & mask;
    while (key_set[j] && key_set[j] != key)
        j = (j + 1) & mask;
    bool was = key_set[j] != 0;
    key_set[j] = key;
    return was;
}

/* Can a non-empty line occur twice in t? Not when no two lines share a sketch
 * (line_sketch.h): then no line and no paragraph repeats (the first lines of two equal
 * paragraphs are equal), and the duplicate counts are all 0 without hashing every line's
 * bytes (XXH3 of each line was most of dup_units' cost in prose, whose documents seldom
 * repeat a line). A line that shares its sketch sends the text to the exact count. */
static bool lines_may_repeat(const wn_text *t)
{
    size_t mask = key_set_clear(t->n_lines);
    bool zero_seen = false;
    for (size_t i = 0; i < t->n_lines; i++) {
        const wn_line *l = &t->lines[i];
        if (l->len && unit_seen(mask, wn_line_sketch(t->s + l->off, l->len), &zero_seen))
            return true;
    }
    return false;
}

/* Lines (non-empty) and paragraphs (runs of non-empty lines): count duplicates. With
 * `paragraphs`, *one_line_each (if not NULL) tells whether every paragraph was one line:
 * then the lines are those paragraphs, with the same keys and lengths, and counting them
 * again would give the same numbers (most documents of prose). */
static void dup_units(const wn_text *t, bool paragraphs, size_t *units, size_t *dups,
                      size_t *dup_chars, bool *one_line_each)
{
    size_t mask = key_set_clear(t->n_lines);
    bool zero_seen = false, single = true;
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
        single &= j == i + 1;
        size_t off = t->lines[i].off, len = t->lines[j - 1].off + t->lines[j - 1].len - off;
        (*units)++;
        if (unit_seen(mask, paragraphs ? paragraph_key(t, i, j) : line_hash[i], &zero_seen)) {
            (*dups)++;
            *dup_chars += len;
        }
        i = j;
    }
    if (one_line_each)
        *one_line_each = single;
}

/* ---- n-grams ----
 * Pruning, which gives the same numbers with far fewer hash-table operations: an n-gram
 * can occur twice only where both (n-1)-grams it holds occur twice. The grams of the size
 * being counted are listed in text order, pos[k] where the k-th starts and gk[k] its key;
 * every unlisted gram occurs once, so it needs no lookup: it counts 1 and is never found
 * again. */
static _Thread_local uint32_t *pos;
static _Thread_local uint64_t *gk;
static _Thread_local uint32_t *cls; /* after count_grams: gram k's table slot, its class */
static _Thread_local unsigned char *repeated; /* after count_grams: gram k occurs again */
static _Thread_local size_t n_pos, pos_cap;

/* How many grams ahead the table slots are fetched: a slot is a cache miss in a big
 * document's table, and a miss takes about as long as this many inserts. */
enum { PREFETCH = 16 };

/* The key of the gram made of two grams of classes a and b (table slots): a bijective mix
 * of the pair, so equal keys are equal pairs, and never 0 (the pair is not 0). A product
 * by an odd constant, rotated so that the low bits (the tables' index) come from its high
 * half, which every bit of the pair reaches: two operations, where a shift-xor, the
 * product and another shift-xor took five. */
static inline uint64_t pair_key(uint32_t a, uint32_t b)
{
    uint64_t x = (((uint64_t)a + 1) << 32 | ((uint64_t)b + 1)) * 0xFF51AFD7ED558CCDull;
    return x >> 32 | x << 32;
}

/* From the counted (n-1)-grams to the n-grams that can repeat: those at i where the
 * (n-1)-grams at i (the prefix) and at i + 1 (the suffix) both repeat. The n-gram is that
 * pair of (n-1)-grams, so its key is the pair of their classes: no word is read again. In
 * place, without a branch per gram (it would mispredict). Local pointers: `repeated` is a
 * char array, which may alias anything, so through the globals each store would make the
 * compiler read them all again. */
static void narrow_grow(const wn_text *t, size_t n)
{
    uint32_t *p = pos;
    uint64_t *h = gk;
    const uint32_t *cl = cls;
    const unsigned char *rep = repeated;
    size_t last = t->n_words - n + 1, kept = 0; /* n <= words */
    for (size_t k = 0; k + 1 < n_pos; k++) {
        uint32_t i = p[k];
        bool keep = (i < last) & (p[k + 1] == i + 1) & rep[k] & rep[k + 1];
        p[kept] = i;
        h[kept] = pair_key(cl[k], cl[k + 1]);
        kept += keep;
    }
    n_pos = kept;
}

/* Pairs that may occur more than once, as a byte per slot indexed by the top bits of the
 * pair's key, shifted left and set to 1 for each key that lands there: bit 1 is set once a
 * second key came. A pair whose slot has not seen two keys occurs once (a shared slot only
 * keeps a pair that occurs once, which costs a table insert, never a count). */
static _Thread_local unsigned char *seen;
static _Thread_local size_t seen_cap;

/* Empty slots for `items` hashes, indexed by hash >> *shift_out. */
static unsigned char *seen_clear(size_t items, unsigned *shift_out)
{
    size_t slots = 512;
    unsigned shift = 64 - 9;
    while (slots < 8 * items) /* at most an eighth of the slots used: few shared */
        slots <<= 1, shift--;
    if (slots > seen_cap || (seen_cap > 8192 * 64 && seen_cap > slots * 64)) { /* as table_clear */
        free(seen);
        seen_cap = slots;
        seen = wn_xmalloc(seen_cap);
    }
    memset(seen, 0, slots);
    *shift_out = shift;
    return seen;
}

/* A 2-gram's key: a * PAIR_MUL ^ b for the word hashes a, b (one multiply a word, carried
 * to the next pair; two multiplies and their shifts before). The word hashes are 64-bit
 * mixes of the words' bytes, so two distinct pairs share a key with a chance of ~2^-64, as
 * with any 64-bit key, and a shared key only over-counts; the product (odd, so a
 * bijection) keeps (a, b) from (b, a) and (a, a) from (c, c), which a rotation would not.
 * Its top bits index the sets and its low bits the count table: both come from the word
 * hashes' well mixed bits. */
static const uint64_t PAIR_MUL = 0xD6E8FEB86659FD93ull;

/* The 2-grams that can repeat (t has 2 words or more): every pair's key goes into the
 * sets in one pass over the words, and a pair whose key occurs once is left out (it
 * counts 1, as narrow_grow leaves out longer grams), by a bit test where counting is a
 * table insert: names and rare words make most pairs of prose single. The 3-grams that
 * can repeat are pairs of repeated pairs, so they are the same from any list that holds
 * every repeated pair. One pass over the 24-byte word records, where marking the words
 * in sets of their own first (a pair with a word that occurs once occurs once) read them
 * twice and put the surviving pairs through the sets again. Branch-free (a branch per pair
 * would mispredict). */
static inline __attribute__((always_inline)) void list_pairs_body(const wn_text *t)
{
    const wn_word *words = t->words;
    size_t w = t->n_words - 1, kept = 0; /* pairs */
    unsigned shift;
    unsigned char *sl = seen_clear(w, &shift);
    uint32_t *p = pos;
    uint64_t *h = gk;
    uint64_t prev = words[0].hash * PAIR_MUL; /* the pair's first word, multiplied */
    for (size_t i = 0; i < w; i++) {
        uint64_t next = words[i + 1].hash;
        uint64_t key = prev ^ next;
        prev = next * PAIR_MUL;
        h[i] = key;
        size_t b = (size_t)(key >> shift);
        sl[b] = (unsigned char)(sl[b] << 1 | 1);
    }
    for (size_t k = 0; k < w; k++) { /* in place: kept <= k */
        uint64_t key = h[k];
        p[kept] = (uint32_t)k;
        h[kept] = key;
        kept += (sl[key >> shift] >> 1) & 1;
    }
    n_pos = kept;
}

static void list_pairs(const wn_text *t)
{
    list_pairs_body(t);
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The same compiled with BMI2, where the CPU has it: the shifts by a variable count (the
 * key's set index, its bit) are one micro-op each (shrx, shlx) instead of three. */
__attribute__((target("bmi2"))) static void list_pairs_bmi2(const wn_text *t)
{
    list_pairs_body(t);
}
#define GREP_BMI2 1
#endif

/* Bytes of the words of the n-gram at i: summed where a count needs them (the top gram,
 * each duplicate the scan finds), which is cheaper than prefix sums over every word. */
static size_t gram_bytes(const wn_text *t, size_t i, size_t n)
{
    size_t b = 0;
    for (size_t k = i; k < i + n; k++)
        b += t->words[k].len;
    return b;
}

/* The counting table: open addressing on the gram's key; a slot whose count is at most
 * table_base is empty, `first` is the list index of the gram's first occurrence, to mark it
 * repeated when a second one comes. Counts are stored plus table_base, which each count
 * raises past every count stored before, so that the slots of earlier counts read as empty
 * without clearing the table for each count (a memset of 32 bytes a gram). */
typedef struct gram_slot {
    uint64_t key;
    uint32_t count, first;
} gram_slot;

static _Thread_local gram_slot *table;
static _Thread_local size_t table_cap, table_mask; /* allocated, in use - 1 */
static _Thread_local uint32_t table_base, table_next_base;
static _Thread_local uint32_t top_count;      /* count_grams: the most frequent gram's count */
static _Thread_local unsigned char *visited; /* dup_gram_chars: a 5-gram class seen */
static _Thread_local size_t visited_cap;

/* An empty table for `grams` keys, at most half full; returns its index mask. */
static size_t table_clear(size_t grams)
{
    size_t cap = wn_filter_table_cap(16, grams * 2);
    if (wn_filter_table_renew(table_cap, cap)) {
        free(table);
        table = wn_xcalloc(cap, sizeof *table);
        table_cap = cap;
        table_next_base = 0;
    } else if (table_next_base > UINT32_MAX - grams) { /* the stored counts would wrap */
        memset(table, 0, table_cap * sizeof *table);
        table_next_base = 0;
    }
    /* this count stores at most `grams` per slot over its base */
    table_base = table_next_base;
    table_next_base += (uint32_t)grams;
    table_mask = cap - 1;
    return table_mask;
}

/* Count the listed n-grams: repeated[] and cls[] for each, and the most frequent gram's
 * characters x its count (" ".join, as datatrove). The scan in text order keeps the first
 * gram to reach the top count; unlisted grams count 1, which only the gram at 0 can be
 * first to reach. A first and a later occurrence take the same path (no branch on which:
 * it mispredicted about every other gram). */
static size_t count_grams(const wn_text *t, size_t n)
{
    size_t mask = table_clear(n_pos + 1);
    uint32_t base = table_base, best = 1, best_at = 0;
    for (size_t k = 0; k < n_pos; k++) {
        if (k + PREFETCH < n_pos)
            __builtin_prefetch(&table[gram_key(gk[k + PREFETCH]) & mask]);
        uint64_t key = gram_key(gk[k]);
        size_t j = key & mask;
        /* one branch, taken only on a collision: written plainly, GCC branched on whether
         * the slot was used, which a repeated gram takes and a new one does not, and on
         * which `first` to keep (both mispredicted); the sum of the two tests and the mask
         * select below keep it to one */
        while ((table[j].count > base) + (table[j].key != key) == 2)
            j = (j + 1) & mask;
        gram_slot *sl = &table[j];
        bool again = sl->count > base;
        uint32_t keep_old = -(uint32_t)again;
        uint32_t c = ((sl->count - base) & keep_old) + 1;
        uint32_t first = (sl->first & keep_old) | ((uint32_t)k & ~keep_old);
        *sl = (gram_slot){key, base + c, first};
        cls[k] = (uint32_t)j;
        repeated[k] = again;
        repeated[first] |= again;
        if (c > best) {
            best = c;
            best_at = pos[k];
        }
    }
    top_count = best;
    return (gram_bytes(t, best_at, n) + n - 1) * best;
}

/* Characters of duplicated n-grams in datatrove's left-to-right scan ("".join; after a
 * duplicate the scan jumps past it): a gram is a duplicate when a position the scan
 * visited before had it. For n = 5 the 5-grams just counted, named by their class; for
 * n = 6 .. 10 the n-gram at i is the pair of 5-gram classes at i and i + n - 5 (together
 * they hold its n words), listed where the 5-grams from i to i + n - 5 all repeat (the
 * 5-grams are listed without gaps there). Unlisted positions only step the scan. */
static size_t dup_gram_chars(const wn_text *t, size_t n)
{
    if (t->n_words < n)
        return 0;
    size_t chars = 0, next = 0, d = n - 5;
    if (n == 5) {
        for (size_t k = 0; k < n_pos; k++) {
            size_t i = pos[k];
            if (i < next)
                continue;
            if (visited[cls[k]]) {
                chars += gram_bytes(t, i, n);
                next = i + n;
            }
            visited[cls[k]] = 1;
        }
        return chars;
    }
    /* the n-grams the scan visited (pair keys are never 0): half the bytes of a wn_u64map
     * slot, so more of it stays in the cache */
    size_t mask = key_set_clear(n_pos);
    for (size_t k = 0; k + d < n_pos; k++) {
        size_t i = pos[k];
        if (i < next || pos[k + d] != i + d || !repeated[k] || !repeated[k + d])
            continue;
        uint64_t key = pair_key(cls[k], cls[k + d]);
        size_t j = key & mask;
        while (key_set[j] && key_set[j] != key)
            j = (j + 1) & mask;
        if (key_set[j]) {
            chars += gram_bytes(t, i, n);
            next = i + n;
        }
        key_set[j] = key;
    }
    return chars;
}

/* Grow the per-thread arrays for a document of w words. */
static void reserve(size_t w)
{
    if (pos_cap >= w + 1)
        return;
    pos_cap = w + 1024;
    free(pos);
    free(gk);
    free(cls);
    free(repeated);
    pos = wn_xmalloc(pos_cap * sizeof *pos);
    gk = wn_xmalloc(pos_cap * sizeof *gk);
    cls = wn_xmalloc(pos_cap * sizeof *cls);
    repeated = wn_xmalloc(pos_cap);
}

/* Count the n-grams (n = 2 .. 5, in that order, each from the last): the most frequent
 * one's characters x its count. */
static size_t top_gram_chars(const wn_text *t, size_t n, bool bmi2)
{
    if (t->n_words < n)
        return 0;
#ifdef GREP_BMI2
    if (n == 2 && bmi2)
        list_pairs_bmi2(t);
    else
#else
    (void)bmi2;
#endif
    if (n == 2)
        list_pairs(t);
    else
        narrow_grow(t, n);
    return count_grams(t, n);
}

/* After the 5-grams are counted: ready the scan's byte per 5-gram class (a table slot). */
static void dup_grams_begin(void)
{
    if (visited_cap < table_cap) {
        free(visited);
        visited_cap = table_cap;
        visited = wn_xmalloc(visited_cap);
    }
    memset(visited, 0, table_mask + 1);
}

/* llama3_lines' n-gram size by default: the 3-grams counted here tell it which of its
 * grams can repeat at all (within a line, most 3-grams of prose occur once), so it looks
 * up only those instead of every word's gram. */
enum { LINES_GRAM = 3 };

/* After the 3-grams are counted: the listed ones, and whether each repeats, to the
 * analysis (unlisted ones occur once); no 3-gram at all in a text under 3 words. */
static void note_repeats(const wn_text *t)
{
    if (t->n_words < LINES_GRAM)
        wn_text_note_gram_repeats(t, LINES_GRAM, NULL, NULL, 0);
    else
        wn_text_note_gram_repeats(t, LINES_GRAM, pos, repeated, n_pos);
}

/* Record a rule's signal and decide it. As datatrove's filter, the rules are checked in
 * order and the first that fails removes the document, so the later ones (the n-gram counts
 * above all, most of this filter's cost) are not computed for it; with --annotate-only every
 * signal is computed and the first failing rule is the would-be reason. Returns whether to
 * stop. */
static bool rule(const grep *g, wn_doc *d, size_t n_chars, wn_stats *s, const char *name,
                 double v, double max)
{
    wn_filter_signal(d, n_chars, s, name, v, 0, 1.0001);
    if (v > max && !d->drop_reason)
        d->drop_reason = name;
    return d->drop_reason && !g->every_signal;
}

static void grep_doc(void *state, wn_doc *d, wn_stats *s)
{
    const grep *g = state;
    const wn_text *t = wn_text_analyze(d);
    double len = t->n ? (double)t->n : 1.0;
    size_t nc = t->n_chars, units, dups, dchars;

    bool one_line_each = true; /* else with no line repeated: no count differs */
    units = dups = dchars = 0;
    if (lines_may_repeat(t)) {
        hash_lines(t);
        dup_units(t, true, &units, &dups, &dchars, &one_line_each);
    }
    double para = units ? (double)dups / (double)units : 0, para_c = (double)dchars / len;
    if (rule(g, d, nc, s, "gopher_rep.dup_para_frac", para, g->dup_para) ||
        rule(g, d, nc, s, "gopher_rep.dup_para_char_frac", para_c, g->dup_para_char))
        return;
    if (!one_line_each) /* else the lines' counts are the paragraphs' */
        dup_units(t, false, &units, &dups, &dchars, NULL);
    double line = units ? (double)dups / (double)units : 0, line_c = (double)dchars / len;
    if (rule(g, d, nc, s, "gopher_rep.dup_line_frac", line, g->dup_line) ||
        rule(g, d, nc, s, "gopher_rep.dup_line_char_frac", line_c, g->dup_line_char))
        return;

    reserve(t->n_words);
    for (size_t n = 2; n <= 4; n++) {
        size_t chars = top_gram_chars(t, n, g->bmi2);
        if (n == LINES_GRAM)
            note_repeats(t);
        if (rule(g, d, nc, s, top_names[n - 2], (double)chars / len, g->top[n - 2]))
            return;
    }
    /* no 5-gram that occurs twice (most documents of prose): no longer gram does either,
     * and every scan would find nothing (after clearing its tables) */
    bool repeats = false;
    if (t->n_words >= 5) {
        top_gram_chars(t, 5, g->bmi2);
        repeats = top_count > 1;
        if (repeats)
            dup_grams_begin();
    }
    for (size_t n = 5; n <= 10; n++) {
        size_t chars = repeats ? dup_gram_chars(t, n) : 0;
        if (rule(g, d, nc, s, dup_names[n - 5], (double)chars / len, g->dup[n - 5]))
            return;
    }
}

wn_stage *wn_filter_gopher_repetition_new(wn_fparams *p)
{
    static const double top_def[3] = {0.20, 0.18, 0.16};
    static const double dup_def[6] = {0.15, 0.14, 0.13, 0.12, 0.11, 0.10};
    static const char *const top_keys[3] = {"top_2gram_frac", "top_3gram_frac", "top_4gram_frac"};
    static const char *const dup_keys[6] = {"dup_5gram_frac", "dup_6gram_frac", "dup_7gram_frac",
                                            "dup_8gram_frac", "dup_9gram_frac", "dup_10gram_frac"};
    grep *g = wn_xcalloc(1, sizeof *g);
    g->dup_line = wn_fp_fraction(p, "dup_line_frac", 0.3);
    g->dup_para = wn_fp_fraction(p, "dup_para_frac", 0.3);
    g->dup_line_char = wn_fp_fraction(p, "dup_line_char_frac", 0.2);
    g->dup_para_char = wn_fp_fraction(p, "dup_para_char_frac", 0.2);
    for (size_t k = 0; k < 3; k++)
        g->top[k] = wn_fp_fraction(p, top_keys[k], top_def[k]);
    for (size_t k = 0; k < 6; k++)
        g->dup[k] = wn_fp_fraction(p, dup_keys[k], dup_def[k]);
    g->every_signal = p->annotate_only;
#ifdef GREP_BMI2
    g->bmi2 = wn_filter_use_avx2 && __builtin_cpu_supports("bmi2");
#endif
    return wn_filter_stage_new("gopher_repetition", g, grep_doc, NULL);
}
