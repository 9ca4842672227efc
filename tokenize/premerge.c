/* premerge.c: merging whole characters, and pairs of ASCII bytes, before BPE starts, where
 * that provably changes no id.
 *
 * In text outside ASCII most merges join the bytes of one character: two per CJK character,
 * one per Cyrillic letter. Each costs BPE a full step (find the lowest-ranked pair, merge,
 * look up the two new pairs). Here a character X whose bytes make one token T is merged up
 * front when BPE would merge it before anything else touched its bytes, so BPE starts from
 * fewer parts and takes the same steps after.
 *
 * When that holds. Let R be the highest rank among X's own merges (BPE of its bytes alone,
 * ending as T). While X is not yet T, one of its own pairs, of rank <= R, is always there,
 * so each merge BPE makes meanwhile has rank <= R. So X's bytes merge only among themselves
 * if every other merge that could take one of its parts ranks above R:
 *   - a merge of its first byte with whatever ends just before it: the table `min_before`
 *     gives the lowest rank of any merge whose right part is that single byte and whose left
 *     part ends with the byte the text has there;
 *   - a merge of its last byte with what follows: `min_after`, alike;
 *   - for a three-byte character made through a two-byte part P, a merge of P with its
 *     outer neighbour: the lowest rank of any merge with P on that side.
 * And merging X early must not let BPE take a merge with T sooner than it would have: every
 * merge with T as a part must rank above R as well (true of nearly every token: 81 Llama 3
 * merges rank below one of their parts). Then, by induction over BPE's steps, starting from
 * the merged characters gives the same merges in the same order, less X's own. The first
 * three are known per character and kept in a table by code point; the first two depend on
 * the neighbouring bytes and are checked per piece.
 *
 * On the multilingual corpus about 80% of two-byte and 66% of three-byte characters in
 * merging pieces qualify (28% of all merges).
 *
 * A three-byte character that does not qualify whole may still start as two parts. When BPE
 * of its bytes alone first merges b0 b1 into P (rank R), P is made first in any text too if
 * no merge of the single byte b1 with a right part starting with b2 ranks R or lower
 * (min_after, known at load), none of b0 with the part before it does (checked per piece,
 * as above), and every merge with P as a part ranks above R; the parts are then P and the
 * byte b2, and the argument above holds for P with b2 as its fixed right neighbour. The
 * mirror case: b1 b2 first (Q), b0 and Q. On the multilingual corpus 12,700 characters per
 * pass, one merge each. Tested against BPE from bytes with a table of
 * every split (test_tokenizer.c).
 */
#include "tokenize/pretok.h" /* utf8_decode */
#include "tokenize/tok_internal.h"

#include "core/buf.h"

#include <stdlib.h>
#include <string.h>
#include <unicode/utf8.h>

#define NONE UINT32_MAX

/* min_before's row for "no byte before" (the piece's first character) and min_after's
 * column for "no byte after": none throughout, so the neighbour checks need no test of the
 * piece's ends. */
#define PIECE_START 256
#define PIECE_END 256
#define BEFORE_ROWS 257 /* bytes 0..255, then PIECE_START */
#define AFTER_COLS WN_TOK_PREMERGE_AFTER_COLS

#define ENTRY_BEFORE WN_TOK_PREMERGE_BEFORE
#define ENTRY_MERGED WN_TOK_PREMERGE_MERGED
#define ENTRY_AFTER WN_TOK_PREMERGE_AFTER
#define NOT_MERGED WN_TOK_PREMERGE_NOT
#define MIN_NONE WN_TOK_PREMERGE_MIN_NONE

/* char_entry's flags, WN_TOK_PREMERGE_FIRST_TWO / _LAST_TWO in pm->blocks */
#define BUILD_FIRST_TWO (1ull << 63)
#define BUILD_LAST_TWO (1ull << 62)

static uint32_t token_len(const wn_tok *t, uint32_t id)
{
    return t->off[id + 1] - t->off[id];
}

static uint8_t first_byte(const wn_tok *t, uint32_t id)
{
    return (uint8_t)t->blob[t->off[id]];
}

static uint8_t last_byte(const wn_tok *t, uint32_t id)
{
    return (uint8_t)t->blob[t->off[id + 1] - 1];
}

static void lower(uint32_t *slot, uint32_t rank)
{
    if (rank < *slot)
        *slot = rank;
}

/* The entry of the character with UTF-8 bytes b[0..n) (n = 2 or 3): merged << 32 | (R + 1),
 * or 0 when it does not qualify. as_left[x] / as_right[x]: lowest rank of a merge with x as
 * its left / right part. */
/* The entry of the three-byte character b[0..3) as two parts (see the top of this file),
 * when BPE of its bytes alone merges p = b0 b1 or q = b1 b2 first; or 0. */
static uint64_t two_parts_entry(const wn_tok *t, const uint8_t *b, int64_t p, int64_t q,
                                const uint32_t *as_left, const uint32_t *as_right)
{
    const wn_tok_premerge *pm = &t->premerge;
    uint64_t flag;
    int64_t r;
    if (p >= 0 && (q < 0 || p < q)) { /* b0 b1 first: b1's right neighbour is b2 */
        if (pm->min_after[(b[1] - 0x80) * AFTER_COLS + b[2]] <= p)
            return 0;
        r = p;
        flag = BUILD_FIRST_TWO;
    } else if (q >= 0) { /* b1 b2 first: b1's left neighbour is b0 */
        if (pm->min_before[b[0] * 128 + (b[1] - 0x80)] <= q)
            return 0;
        r = q;
        flag = BUILD_LAST_TWO;
    } else {
        return 0;
    }
    if (as_left[r] <= r || as_right[r] <= r)
        return 0;
    return flag | (uint64_t)r << 32 | (uint64_t)(r + 1);
}

static uint64_t char_entry(const wn_tok *t, const uint8_t *b, size_t n, const uint32_t *as_left,
                           const uint32_t *as_right)
{
    int64_t merged, high;
    if (n == 2) {
        merged = high = wn_tok_pair(t, t->byte_id[b[0]], t->byte_id[b[1]]);
        if (merged < 0)
            return 0;
    } else {
        int64_t p = wn_tok_pair(t, t->byte_id[b[0]], t->byte_id[b[1]]);
        int64_t q = wn_tok_pair(t, t->byte_id[b[1]], t->byte_id[b[2]]);
        if (p >= 0 && (q < 0 || p < q)) { /* P = b0 b1 first: P's left neighbour may take it */
            merged = wn_tok_pair(t, (uint32_t)p, t->byte_id[b[2]]);
            high = merged > p ? merged : p;
            if (merged < 0 || as_right[p] <= high)
                return two_parts_entry(t, b, p, q, as_left, as_right);
        } else if (q >= 0) { /* Q = b1 b2 first: Q's right neighbour may take it */
            merged = wn_tok_pair(t, t->byte_id[b[0]], (uint32_t)q);
            high = merged > q ? merged : q;
            if (merged < 0 || as_left[q] <= high)
                return two_parts_entry(t, b, p, q, as_left, as_right);
        } else {
            return 0;
        }
        if (as_left[merged] <= high || as_right[merged] <= high)
            return two_parts_entry(t, b, p, q, as_left, as_right);
        return (uint64_t)merged << 32 | (uint64_t)(high + 1);
    }
    if (as_left[merged] <= high || as_right[merged] <= high)
        return 0;
    return (uint64_t)merged << 32 | (uint64_t)(high + 1);
}

/* char_entry's merged << 32 | (R + 1) with its flag as pm->blocks holds it: the bound each
 * neighbour's merges must stay above, 0 for a neighbour checked at load (two parts). */
static uint64_t packed_entry(uint64_t e)
{
    if (!e)
        return NOT_MERGED;
    uint64_t flags = (e & BUILD_FIRST_TWO ? WN_TOK_PREMERGE_FIRST_TWO : 0) |
                     (e & BUILD_LAST_TWO ? WN_TOK_PREMERGE_LAST_TWO : 0);
    uint64_t bound = (uint32_t)e, merged = (e >> 32) & (WN_TOK_MAX_IDS - 1);
    uint64_t before = e & BUILD_LAST_TWO ? 0 : bound;
    uint64_t after = e & BUILD_FIRST_TWO ? 0 : bound;
    return after << 47 | flags | merged << WN_TOK_ID_BITS | before;
}

/* pm->ascii (see tok_internal.h). */
static void build_ascii(wn_tok *t, const uint32_t *triples, size_t n, const uint32_t *as_left,
                        const uint32_t *as_right)
{
    wn_tok_premerge *pm = &t->premerge;
    uint32_t *first = wn_xmalloc(128 * 128 * sizeof *first);
    uint32_t *before = wn_xmalloc(128 * 128 * sizeof *before);
    uint32_t *after = wn_xmalloc(128 * 128 * sizeof *after);
    pm->ascii_before_high = wn_xmalloc(128 * 128 * sizeof *pm->ascii_before_high);
    pm->ascii_after_high = wn_xmalloc(128 * 128 * sizeof *pm->ascii_after_high);
    for (size_t i = 0; i < 128 * 128; i++)
        first[i] = before[i] = after[i] = pm->ascii_before_high[i] = pm->ascii_after_high[i] =
            WN_TOK_ASCII_NONE;
    for (size_t i = 0; i < n; i++) {
        uint32_t a = triples[3 * i], b = triples[3 * i + 1], c = triples[3 * i + 2];
        uint8_t x = last_byte(t, a), y = first_byte(t, b);
        if (x >= 0x80 && y < 0x80 && token_len(t, b) == 1)
            lower(&pm->ascii_before_high[(x - 0x80) * 128 + y], c);
        if (x < 0x80 && y >= 0x80 && token_len(t, a) == 1)
            lower(&pm->ascii_after_high[x * 128 + y - 0x80], c);
        if (x >= 0x80 || y >= 0x80)
            continue;
        if (token_len(t, b) == 1)
            lower(&before[x * 128 + y], c);
        if (token_len(t, a) == 1)
            lower(&after[x * 128 + y], c);
        if (token_len(t, a) == 1 && token_len(t, b) == 1 && as_left[c] > c && as_right[c] > c)
            first[x * 128 + y] = c;
    }
    pm->ascii = wn_xmalloc(128 * 128 * sizeof *pm->ascii);
    for (size_t i = 0; i < 128 * 128; i++)
        pm->ascii[i] = (uint64_t)after[i] << (2 * WN_TOK_ASCII_BITS) |
                               (uint64_t)before[i] << WN_TOK_ASCII_BITS | first[i];
    free(first);
    free(before);
    free(after);
}

void wn_tok_premerge_build(wn_tok *t, const uint32_t *triples, size_t n)
{
    wn_tok_premerge *pm = &t->premerge;
    uint32_t *as_left = wn_xmalloc(t->n_total * sizeof *as_left);
    uint32_t *as_right = wn_xmalloc(t->n_total * sizeof *as_right);
    memset(as_left, 0xff, t->n_total * sizeof *as_left);
    memset(as_right, 0xff, t->n_total * sizeof *as_right);
    pm->min_before = wn_xmalloc(BEFORE_ROWS * 128 * sizeof *pm->min_before);
    pm->min_after = wn_xmalloc(64 * AFTER_COLS * sizeof *pm->min_after);
    memset(pm->min_before, 0xff, BEFORE_ROWS * 128 * sizeof *pm->min_before);
    memset(pm->min_after, 0xff, 64 * AFTER_COLS * sizeof *pm->min_after);
    for (size_t i = 0; i < n; i++) {
        uint32_t a = triples[3 * i], b = triples[3 * i + 1], c = triples[3 * i + 2];
        lower(&as_left[a], c);
        lower(&as_right[b], c);
        uint8_t x = first_byte(t, b);
        if (token_len(t, b) == 1 && x >= 0x80)
            lower(&pm->min_before[last_byte(t, a) * 128 + (x - 0x80)], c);
        x = last_byte(t, a);
        if (token_len(t, a) == 1 && x >= 0x80 && x < 0xC0)
            lower(&pm->min_after[(x - 0x80) * AFTER_COLS + first_byte(t, b)], c);
    }
    /* code points U+0080..U+FFFF by blocks of 256; blocks where none qualifies share 0 */
    wn_buf blocks = WN_BUF_INIT;
    uint64_t block[256];
    for (size_t lo = 0; lo < 256; lo++)
        block[lo] = NOT_MERGED;
    wn_buf_append(&blocks, block, sizeof block); /* block 0: none */
    size_t n_blocks = 1;
    for (uint32_t hi = 0; hi < 256; hi++) {
        bool any = false;
        for (uint32_t lo = 0; lo < 256; lo++) {
            UChar32 cp = (UChar32)(hi << 8 | lo);
            uint8_t b[U8_MAX_LENGTH];
            int32_t len = 0;
            if (cp >= 0x80 && !U_IS_SURROGATE(cp))
                U8_APPEND_UNSAFE(b, len, cp); /* two or three bytes below U+10000 */
            block[lo] = len ? packed_entry(char_entry(t, b, (size_t)len, as_left, as_right))
                            : NOT_MERGED;
            any |= block[lo] != NOT_MERGED;
        }
        pm->block_of[hi] = 0;
        if (any || hi < 8) { /* two-byte characters: blocks 1..8, read without block_of */
            wn_buf_append(&blocks, block, sizeof block);
            pm->block_of[hi] = (uint16_t)n_blocks++;
        }
    }
    pm->blocks = (uint64_t *)(void *)wn_buf_detach(&blocks, NULL);
    for (size_t i = 0; i < BEFORE_ROWS * 128; i++) /* below NOT_MERGED (see ENTRY_BEFORE) */
        pm->min_before[i] = pm->min_before[i] < MIN_NONE ? pm->min_before[i] : MIN_NONE;
    for (size_t i = 0; i < 64 * AFTER_COLS; i++)
        pm->min_after[i] = pm->min_after[i] < MIN_NONE ? pm->min_after[i] : MIN_NONE;
    build_ascii(t, triples, n, as_left, as_right);
    free(as_left);
    free(as_right);
}

void wn_tok_premerge_free(wn_tok_premerge *pm)
{
    free(pm->blocks);
    free(pm->min_before);
    free(pm->min_after);
    free(pm->ascii);
    free(pm->ascii_before_high);
    free(pm->ascii_after_high);
    memset(pm, 0, sizeof *pm);
}

/* Emit the parts of the character at p[i..i+len) (len 2 or 3) with entry e, or its bytes
 * as themselves when it does not start merged (ok false); returns the new count. */
static inline __attribute__((always_inline)) size_t
emit_char(const wn_tok *t, const uint8_t *p, size_t i, size_t len, uint64_t e, bool ok,
          uint32_t *id, size_t m)
{
    uint32_t merged = ENTRY_MERGED(e);
    if (len == 2) { /* both ids written, the second kept only when not merged */
        id[m] = ok ? merged : t->byte_id[p[i]];
        id[m + 1] = t->byte_id[p[i + 1]];
        return m + 2 - ok;
    }
    if (!ok) {
        id[m] = t->byte_id[p[i]];
        id[m + 1] = t->byte_id[p[i + 1]];
        id[m + 2] = t->byte_id[p[i + 2]];
        return m + 3;
    }
    if (e & WN_TOK_PREMERGE_LAST_TWO)
        id[m++] = t->byte_id[p[i]];
    id[m++] = merged;
    if (e & WN_TOK_PREMERGE_FIRST_TWO)
        id[m++] = t->byte_id[p[i + 2]];
    return m;
}

/* The entry of the two-byte character b0 b1 (well-formed): code points below U+0800 have
 * blocks 1..8 (wn_tok_premerge_build), read without block_of. */
static inline uint64_t two_byte_entry(const wn_tok_premerge *pm, uint8_t b0, uint8_t b1)
{
    return pm->blocks[256 + ((uint32_t)(b0 & 0x1F) << 6 | (b1 & 0x3F))];
}

/* The entry of the well-formed three-byte character at c[0..3). */
static inline uint64_t three_byte_entry(const wn_tok_premerge *pm, const uint8_t *c)
{
    return wn_tok_premerge_entry(pm, (uint32_t)(c[0] & 0x0F) << 12 |
                                         (uint32_t)(c[1] & 0x3F) << 6 | (c[2] & 0x3F));
}

/* The parts of the character (or pair of ASCII bytes) at p[i] of p[0..n) into id[*m..];
 * returns how many bytes it took. before_row: min_before's row of the byte before p[i].
 * near_end false promises p[i + 3] is in the piece, so no read needs a bound check (the
 * loop over all but a piece's last three bytes; the rest with near_end true). */
static inline __attribute__((always_inline)) size_t
char_parts(const wn_tok *t, const uint8_t *p, size_t n, size_t i, bool near_end, size_t before_row,
           uint32_t *id, size_t *m)
{
    const wn_tok_premerge *pm = &t->premerge;
    uint8_t b = p[i];
    uint64_t e;
    size_t len;
    if (b < 0x80) {
        if (i + 1 < n && p[i + 1] < 0x80 && wn_tok_premerge_ascii_pair_first(pm, p, n, i)) {
            id[(*m)++] = WN_TOK_ASCII_FIRST(pm->ascii[b * 128 + p[i + 1]]);
            return 2;
        }
        id[(*m)++] = t->byte_id[b];
        return 1;
    }
    if (b <= 0xDF) { /* two bytes */
        if (b < 0xC2 || (near_end && i + 1 >= n) || (p[i + 1] & 0xC0) != 0x80)
            goto single;
        e = two_byte_entry(pm, b, p[i + 1]);
        len = 2;
    } else if (b <= 0xEF) {
        if ((near_end && i + 2 >= n) || ((p[i + 1] ^ 0x80) | (p[i + 2] ^ 0x80)) & 0xC0)
            goto single;
        if (__builtin_expect(b == 0xE0 || b == 0xED, 0) &&
            ((b == 0xE0 && p[i + 1] < 0xA0) || (b == 0xED && p[i + 1] > 0x9F)))
            goto single; /* overlong, surrogate */
        e = three_byte_entry(pm, p + i);
        len = 3;
    } else {
        goto single; /* four bytes or ill-formed: each byte alone */
    }
    size_t next = near_end && i + len >= n ? PIECE_END : p[i + len];
    bool ok = ENTRY_BEFORE(e) != NOT_MERGED &&
              pm->min_before[before_row + b - 0x80] >= ENTRY_BEFORE(e) &&
              pm->min_after[(size_t)(p[i + len - 1] - 0x80) * AFTER_COLS + next] >=
                  ENTRY_AFTER(e);
    *m = emit_char(t, p, i, len, e, ok, id, *m);
    return len;
single: /* a byte of no character premerge.c merges; continuation bytes come here too */
    id[(*m)++] = t->byte_id[b];
    return 1;
}

/* The entry of p[0..n) when it is one character of two or three bytes (lead E0 and ED
 * left to the loop), else NOT_MERGED. */
static inline uint64_t one_char_entry(const wn_tok_premerge *pm, const uint8_t *p, size_t n)
{
    uint8_t b = p[0];
    if (n == 2 && b >= 0xC2 && b <= 0xDF && (p[1] & 0xC0) == 0x80)
        return two_byte_entry(pm, b, p[1]);
    if (n == 3 && b >= 0xE1 && b <= 0xEF && b != 0xED && ((p[1] ^ 0x80) | (p[2] ^ 0x80)) < 0x40)
        return three_byte_entry(pm, p);
    return NOT_MERGED;
}

/* wn_tok_premerge_parts for any piece. Out of line, so that the one-character pieces
 * (below) pay no saving of the registers this loop uses.
 *
 * Written for fewer instructions a character (twelfth session, tok23; one cold
 * multilingual pass, callgrind: premerging 14.10 M -> 13.24 M, the pass 143.66 M -> 142.81
 * M): a two-byte character's entry read by its code point with no block_of step; the
 * piece's ends as a row of min_before and a column of min_after that hold "none", so the
 * neighbour checks test no index; all but the last three bytes with no bound check; a
 * character that does not qualify written as all its bytes at once (its continuation
 * bytes no longer go through the decoder one by one). The checks stay a chain of
 * branches: both tables read and compared without one measured slower (8 of 10 pairs),
 * as in the sixth session. */
static __attribute__((noinline)) size_t parts_of_piece(const wn_tok *t, const uint8_t *p,
                                                       size_t n, uint32_t *id)
{
    size_t m = 0, i = 0;
    size_t before_row = PIECE_START * 128;
    while (i + 3 < n) {
        i += char_parts(t, p, n, i, false, before_row, id, &m);
        before_row = (size_t)p[i - 1] * 128;
    }
    while (i < n) {
        i += char_parts(t, p, n, i, true, before_row, id, &m);
        before_row = (size_t)p[i - 1] * 128;
    }
    return m;
}

size_t wn_tok_premerge_parts(const wn_tok *t, const uint8_t *p, size_t n, uint32_t *id)
{
    if (n <= 3) { /* a piece of one character, no neighbour to check (the encoder's chunks) */
        int64_t token = wn_tok_premerge_alone(one_char_entry(&t->premerge, p, n));
        if (token >= 0) {
            id[0] = (uint32_t)token;
            return 1;
        }
    }
    return parts_of_piece(t, p, n, id);
}

/* A pair of ASCII bytes x y at p[i] whose token T = FIRST(x, y) has rank R starts as T when
 * no merge that could take x ranks R or lower (BEFORE of the byte before it and x) and none
 * that could take y does (AFTER of y and the byte after it): then, as for characters above,
 * BPE merges x y before anything else touches them, and nothing merges with T before BPE
 * would have made it. Two overlapping pairs never both qualify (each would have to rank
 * below the other), so pairs are taken left to right. On the multilingual corpus this
 * starts half of the merges of ASCII pieces that are not tokens. One table read per byte. */
size_t wn_tok_premerge_ascii_parts(const wn_tok *t, const uint8_t *p, size_t n, uint32_t *id)
{
    const uint64_t *tab = t->premerge.ascii;
    const uint64_t none = ~0ull; /* every field NONE: the edge of the piece */
    uint32_t before = WN_TOK_ASCII_NONE; /* BEFORE of the byte before p[i] and p[i] */
    uint64_t e = tab[p[0] * 128 + p[1]]; /* the entry of p[i], p[i + 1] */
    size_t m = 0, i = 0;
    while (i + 1 < n) {
        uint64_t next = i + 2 < n ? tab[p[i + 1] * 128 + p[i + 2]] : none;
        uint32_t first = WN_TOK_ASCII_FIRST(e);
        if (first < before && first < WN_TOK_ASCII_AFTER(next)) {
            id[m++] = first;
            i += 2;
            before = WN_TOK_ASCII_BEFORE(next);
            e = i + 1 < n ? tab[p[i] * 128 + p[i + 1]] : none;
        } else {
            id[m++] = t->byte_id[p[i]];
            i++;
            before = WN_TOK_ASCII_BEFORE(e);
            e = next;
        }
    }
    if (i < n)
        id[m++] = t->byte_id[p[i]];
    return m;
}
