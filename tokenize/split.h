/* split.h: where a piece can be cut so that BPE may take its parts one by one.
 *
 * Every part BPE holds is a token: a byte, or the token two parts merged into. So if no
 * token of the vocabulary can span a position of the text, no merge ever joins a part
 * before it with a part after it, and BPE of the piece is BPE of the bytes before the
 * position followed by BPE of the bytes after it: each side sees only its own merges, and
 * takes them in the same order as alone (BPE always takes the lowest-ranked pair it holds;
 * the other side's pairs never change this side's). A CJK or Japanese sentence is one piece
 * of up to hundreds of bytes, but 60% of the boundaries between its characters cannot be
 * spanned; cut there, it becomes chunks of a few characters, which repeat and are cached
 * (encode.c).
 *
 * Deciding it per boundary by probing the vocabulary costs more than the merges it saves
 * (measured in the third session). Here it is one or a few reads of tables built once at
 * load (split.c). A token T spans the boundary between the characters c1 and c2 of the text
 * at some offset k of T; then T's bytes around k are either the whole c1 or, when T starts
 * inside c1, a proper suffix of it (continuation bytes only), followed by the whole c2 or,
 * when T ends inside c2, a proper prefix of it. split.c enters every such (left, right) of
 * every token and every offset into a Bloom filter; the boundary may be cut when none of
 * the text's candidates is in it. A false positive only keeps a boundary uncut. Only
 * well-formed characters of the Basic Multilingual Plane take part: any other keeps the
 * boundaries next to it uncut. Checked against the vocabulary itself by
 * test_split_cuts_sound, and the ids against BPE of whole pieces by test_last_merges_suffice.
 */
#ifndef WN_TOK_SPLIT_H
#define WN_TOK_SPLIT_H

#include "tokenize/pretok.h" /* utf8_decode */
#include "tokenize/tok_internal.h"

#include <string.h>

#define WN_TOK_SPLIT_WORDS (1u << 13) /* 64 KB of Bloom filter, ~15,000 entries for Llama 3 */
/* Flags of a character c (BMP, well-formed). A partial side of a crossing is a proper
 * suffix (continuation bytes a token starts with) or prefix (the start of a character a
 * token ends with). Each kind of crossing needs a flag on both characters, so most
 * boundaries take the one probe of the whole pair. */
#define WN_TOK_SPLIT_FULL_BEFORE_PARTIAL 1u   /* c, whole, then a partial right side */
#define WN_TOK_SPLIT_FULL_AFTER_PARTIAL 2u    /* a partial left side, then c whole */
#define WN_TOK_SPLIT_SUFFIX_BEFORE_FULL 4u    /* a suffix of c, then a whole character */
#define WN_TOK_SPLIT_SUFFIX_BEFORE_PARTIAL 8u /* a suffix of c, then a partial right side */
#define WN_TOK_SPLIT_PREFIX_AFTER_FULL 16u    /* a whole character, then a prefix of c */
#define WN_TOK_SPLIT_PREFIX_AFTER_PARTIAL 32u /* a partial left side, then a prefix of c */
#define WN_TOK_SPLIT_NEVER 64u /* not in the BMP or ill-formed: never cut next to it */

/* The bytes s[0..len) (1 to 3) and their count, as one number. */
static inline uint64_t wn_tok_split_bytes(const uint8_t *s, size_t len)
{
    uint64_t v = len;
    for (size_t i = 0; i < len; i++)
        v = v << 8 | s[i];
    return v;
}

/* wn_tok_split_bytes of the three bytes c[0..3), for a scan that keeps each character's
 * value for the next boundary's probe (encode.c). */
static inline uint64_t wn_tok_split_char3(const uint8_t *c)
{
    return 3u << 24 | (uint32_t)c[0] << 16 | (uint32_t)c[1] << 8 | c[2];
}

/* Offset of the first lead byte of a three-byte character (CJK, kana, Hangul...) in
 * p[0..n), n >= 8, or n: eight bytes a step (the last step's word ends at n, over bytes
 * already seen, which hold none). Byte by byte it cost 2.3 M of a multilingual pass's 144 M
 * instructions, paid by every long piece, Cyrillic words included. */
static inline size_t wn_tok_split_first_lead3(const uint8_t *p, size_t n)
{
    const uint64_t ones = 0x0101010101010101ull, highs = 0x8080808080808080ull;
    for (size_t i = 0; i < n; i += 8) {
        size_t at = i + 8 <= n ? i : n - 8;
        uint64_t w;
        memcpy(&w, p + at, 8);
        uint64_t x = (w & 0xF0F0F0F0F0F0F0F0ull) ^ 0xE0E0E0E0E0E0E0E0ull; /* 0: a lead */
        uint64_t zero = (x - ones) & ~x & highs; /* exact up to its lowest bit */
        if (zero)
            return at + (size_t)__builtin_ctzll(zero) / 8;
    }
    return n;
}

/* The filter's hash of the sides vl and vr, each as wn_tok_split_bytes gives them. */
static inline uint64_t wn_tok_split_hash_of(uint64_t vl, uint64_t vr)
{
    uint64_t h = (vl << 26 | vr) * 0x9E3779B97F4A7C15ull;
    return h ^ (h >> 29);
}

/* The filter's word and bit mask for left bytes l[0..nl) followed by right bytes r[0..nr). */
static inline uint64_t wn_tok_split_hash(const uint8_t *l, size_t nl, const uint8_t *r, size_t nr)
{
    return wn_tok_split_hash_of(wn_tok_split_bytes(l, nl), wn_tok_split_bytes(r, nr));
}

static inline uint64_t *wn_tok_split_word(const wn_tok_splits *s, uint64_t h)
{
    return &s->bloom[h >> (64 - 13)];
}

static inline uint64_t wn_tok_split_mask(uint64_t h)
{
    return 1ull << (h & 63) | 1ull << ((h >> 6) & 63);
}

/* Whether the filter holds the left side vl followed by the right side vr (each as
 * wn_tok_split_bytes gives it; a scan keeps a whole character's for the next boundary). */
static inline bool wn_tok_split_has_sides(const wn_tok_splits *s, uint64_t vl, uint64_t vr)
{
    uint64_t h = wn_tok_split_hash_of(vl, vr);
    uint64_t m = wn_tok_split_mask(h);
    return (*wn_tok_split_word(s, h) & m) == m;
}

/* Whether the filter holds the left bytes p[b-i..b) followed by p[b..b+j). */
static inline bool wn_tok_split_has(const wn_tok_splits *s, const uint8_t *p, size_t b, size_t i,
                                    size_t j)
{
    return wn_tok_split_has_sides(s, wn_tok_split_bytes(p + b - i, i),
                                  wn_tok_split_bytes(p + b, j));
}

/* The rest of wn_tok_split_ok once the two whole characters passed: the crossings with a
 * partial side, which only the characters' flags call for. */
static inline bool wn_tok_split_partials_ok(const wn_tok_splits *s, const uint8_t *p, size_t b,
                                            size_t l1, unsigned f1, size_t l2, unsigned f2)
{
    if ((f1 & WN_TOK_SPLIT_FULL_BEFORE_PARTIAL) && (f2 & WN_TOK_SPLIT_PREFIX_AFTER_FULL))
        for (size_t j = 1; j < l2; j++)
            if (wn_tok_split_has(s, p, b, l1, j))
                return false;
    if ((f1 & WN_TOK_SPLIT_SUFFIX_BEFORE_FULL) && (f2 & WN_TOK_SPLIT_FULL_AFTER_PARTIAL))
        for (size_t i = 1; i < l1; i++)
            if (wn_tok_split_has(s, p, b, i, l2))
                return false;
    if ((f1 & WN_TOK_SPLIT_SUFFIX_BEFORE_PARTIAL) && (f2 & WN_TOK_SPLIT_PREFIX_AFTER_PARTIAL))
        for (size_t i = 1; i < l1; i++)
            for (size_t j = 1; j < l2; j++)
                if (wn_tok_split_has(s, p, b, i, j))
                    return false;
    return true;
}

/* True when no token can span the boundary p[b] between the character p[b-l1..b) (flags
 * f1) and p[b..b+l2) (flags f2). */
static inline bool wn_tok_split_ok(const wn_tok_splits *s, const uint8_t *p, size_t b,
                                   size_t l1, unsigned f1, size_t l2, unsigned f2)
{
    if ((f1 | f2) & WN_TOK_SPLIT_NEVER || wn_tok_split_has(s, p, b, l1, l2))
        return false;
    return wn_tok_split_partials_ok(s, p, b, l1, f1, l2, f2);
}

#endif
