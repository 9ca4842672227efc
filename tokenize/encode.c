/* encode.c: text -> ids: split out special tokens when asked, pre-tokenize, and take each
 * piece's ids from the piece cache, the vocabulary or BPE (bpe.c). */
#include "tokenize/bpe_small.h"
#include "tokenize/pretok.h"
#include "tokenize/split.h"
#include "tokenize/tok_internal.h"

#include "core/log.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>

/* Per-thread cache of short pieces: text repeats its words, and one cache line read costs
 * far less than a vocabulary probe in a table of megabytes, let alone merging again. An
 * entry is a piece of up to 16 bytes (its key's two words and its length are the whole
 * piece, so a hit is exactly what BPE would give) with its ids, whole-token or merged;
 * keyed by the tokenizer's serial too. Nothing shared between threads. 16,384 entries
 * (1 MiB) measured faster than 4,096 or 8,192; 32,768 (2 MiB) once BPE got cheaper (fifth
 * session): multilingual +4.5%, 16.6 MB English +2%, Brown the same. Its second round:
 * 65,536 entries of 32 bytes in the same 2 MiB, ids packed in 17 bits, at most 4 (a piece
 * of more is merged again each time): multilingual +2.5%, English -1.5% (the unpacking).
 * Since the nineteenth session 262,144 entries (8 MiB, WN_TOK_CACHE_SLOTS): multilingual
 * text has more short pieces than 65,536 slots hold apart, and each piece pushed out by
 * another is merged again when it comes back. With the long pieces' cache below at 16,384,
 * timed as copies at paths of one length (docs/tokenize.md: a binary's path moves its
 * speed): GNOME Help in 41 languages (12 MB) +12% on one thread and +7.7% on two, the
 * multilingual mix +2.2% on one thread and -0.7% on two, English the same (131,072 entries
 * gained about two thirds of that on GNOME Help; 524,288 little more). */
#define CACHE_SLOTS WN_TOK_CACHE_SLOTS
#define CACHE_BYTES 16 /* at most WN_TOK_SMALL_PIECE */
#define CACHE_IDS 4
/* 32 bytes, two to a line: the piece's two words, then its four ids as the output holds
 * them, two 32-bit lanes a word (`lo` ids 0 and 1, `hi` ids 2 and 3; zero past the m-th).
 * An id takes 17 bits of its lane; the 15 above it hold what tells the entry's piece:
 * bits 0..14 of the serial in lane 0, 15..29 in lane 1, then bits 30 and 31 and the
 * length n (5 bits) in lane 2, and m in lane 3 (cache_check_lo, cache_check_hi). So a hit
 * is two masked compares and its ids two masks and two stores, where ids packed one after
 * another took shifts and masks for each id and a merge into one vector. */
typedef struct cache_entry {
    uint64_t w0, w1;
    uint64_t lo, hi;
} cache_entry;
_Static_assert(WN_TOK_MAX_IDS <= 1u << 17, "ids are packed in 17 bits");
#define ID17 (WN_TOK_MAX_IDS - 1)

#define CACHE_ID_LANES 0x0001FFFF0001FFFFull /* the ids' bits in lo and hi */
#define CACHE_LANE2_CHECK 0xFFFE0000ull      /* lane 2's bits above its id */
#define CACHE_M_SHIFT 49                     /* m in lane 3's bits above its id */

/* What an entry's lo has above its two ids for the serial (the same for every piece). */
static inline uint64_t cache_check_lo(uint32_t serial)
{
    return (uint64_t)(serial & 0x7FFF) << 17 | (uint64_t)(serial >> 15 & 0x7FFF) << 49;
}

/* What an entry's lane 2 has above its id for the serial and a piece of n bytes. */
static inline uint64_t cache_check_hi(uint32_t serial, size_t n)
{
    return (uint64_t)(serial >> 30 | (uint32_t)n << 2) << 17;
}

#define CHUNK_SLOTS 8192 /* the chunks' cache (encode_chunk), after the pieces' */

/* The long pieces' cache, after the chunks': pieces of 17 to 32 bytes that are not tokens
 * (long Cyrillic and Greek words, short CJK phrases), whose BPE costs several times a short
 * piece's. One 64-byte line an entry: the piece's four words (zero past its end), `tag` =
 * serial | len << 32 | n_ids << 40, and up to 9 ids, three to a word in 17 bits each.
 * 16,384 entries (1 MB, WN_TOK_LONG_SLOTS) since the nineteenth session, with the pieces'
 * cache at 8 MB: GNOME Help in 41 languages +1.5-4% against 4,096 (9 of 10 rounds faster,
 * at paths of different lengths), 1.5% fewer instructions on it; the multilingual mix
 * +0.9% at paths of one length; 32,768 no better. */
#define LONG_SLOTS WN_TOK_LONG_SLOTS
#define LONG_BYTES 32
#define LONG_IDS 9
typedef struct long_entry {
    uint64_t w[4];
    uint64_t tag;
    uint64_t ids[3];
} long_entry;
_Static_assert(sizeof(long_entry) == 64, "a long entry is one cache line");

/* After the long pieces' cache, a tag for each of its entries, then one for each entry of
 * the chunks' cache: 16 bits of the hash of the piece the entry holds (zero while empty).
 * A miss used to wait on its entry's line, which no one had touched for a while (a hit's
 * line was put not long before, and is near): a tag that differs tells the miss from 8 or
 * 16 KB, and the line is then only written. A tag that matches is checked against the
 * whole entry as before. Long pieces are mostly seen for the first time (of the
 * multilingual mix's 8,242 a pass that fit, 6,600 miss; the wait was half of
 * encode_long_cached's time): multilingual +1-2%; chunks miss less (4,533 of 22,709 a
 * pass), but the wait on the line was 77% of encode_chunk's time: +1% more (thirteenth
 * session; 8-bit tags and 8,192 long entries measured no better). */
typedef uint16_t cache_tag;

#define CACHES_BYTES                                                                        \
    ((CACHE_SLOTS + CHUNK_SLOTS) * sizeof(cache_entry) + LONG_SLOTS * sizeof(long_entry) + \
     (LONG_SLOTS + CHUNK_SLOTS) * sizeof(cache_tag))

/* The tag of the piece with key k: hash bits no slot uses (theirs start at bit 40). */
static inline cache_tag tag_of(const wn_tok_key *k)
{
    return (cache_tag)(k->hash >> 16);
}

/* A thread's caches, mapped when it first encodes (fresh zero pages, each faulted in
 * when first touched) and unmapped when it exits. They were static thread-local arrays,
 * which glibc zeroes for every thread of every command, tokenizing or not: 2.3 MB, ~590
 * page faults and ~1 ms a thread (seventh session, second round).
 *
 * The pieces' entries, the first 8 MB, are mapped 2 MB-aligned and advised into 2 MB pages
 * (the kernel's transparent huge pages, where it gives them): the encoder prefetches an
 * entry for every piece it cuts, 16 pieces ahead, and in 4 KB pages those pages' TLB misses
 * held the prefetches up (fourteenth session, at 2 MB: multilingual +2.5%, 14 of 14 rounds
 * faster). The rest stays in 4 KB pages. */
#define CACHES_MAP_BYTES (((size_t)CACHES_BYTES + 4095) & ~(size_t)4095)
#define PIECES_BYTES ((size_t)CACHE_SLOTS * sizeof(cache_entry))
_Static_assert(PIECES_BYTES % WN_TOK_HUGE_PAGE == 0, "the pieces' entries fill 2 MB pages");
static _Thread_local cache_entry *g_caches;
static pthread_key_t g_caches_key; /* its destructor unmaps a thread's caches at exit */
static pthread_once_t g_caches_key_once = PTHREAD_ONCE_INIT;
static atomic_int g_caches_mapped; /* for the tests: mapped and not yet unmapped */

static void caches_unmap(void *caches)
{
    munmap(caches, CACHES_MAP_BYTES);
    g_caches = NULL;
    atomic_fetch_sub(&g_caches_mapped, 1);
}

static void caches_key_create(void)
{
    if (pthread_key_create(&g_caches_key, caches_unmap) != 0)
        wn_fatal("cannot create the tokenizer's thread key");
}

__attribute__((noinline, cold)) static cache_entry *caches_map(void)
{
    /* a 2 MB-aligned start within a mapping 2 MB longer, the rest unmapped again */
    size_t span = CACHES_MAP_BYTES + WN_TOK_HUGE_PAGE;
    uint8_t *raw = mmap(NULL, span, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        wn_fatal("out of memory mapping the tokenizer's piece cache (%zu bytes)",
                 (size_t)CACHES_BYTES);
    uintptr_t huge = WN_TOK_HUGE_PAGE;
    uint8_t *p = (uint8_t *)(((uintptr_t)raw + huge - 1) & ~(huge - 1));
    if (p > raw)
        munmap(raw, (size_t)(p - raw));
    if (raw + span > p + CACHES_MAP_BYTES)
        munmap(p + CACHES_MAP_BYTES, (size_t)(raw + span - (p + CACHES_MAP_BYTES)));
    madvise(p, PIECES_BYTES, MADV_HUGEPAGE); /* advice: without it, 4 KB pages as before */
    pthread_once(&g_caches_key_once, caches_key_create);
    pthread_setspecific(g_caches_key, p);
    g_caches = (cache_entry *)(void *)p;
    atomic_fetch_add(&g_caches_mapped, 1);
    return g_caches;
}

int wn_tok_caches_mapped(void)
{
    return atomic_load(&g_caches_mapped);
}

static _Thread_local size_t g_long_hits;    /* wn_tok_long_cache_hits */
static _Thread_local size_t g_chunk_misses; /* wn_tok_chunk_cache_misses */

size_t wn_tok_long_cache_hits(void)
{
    return g_long_hits;
}

size_t wn_tok_chunk_cache_misses(void)
{
    return g_chunk_misses;
}

/* The calling thread's caches: the pieces' CACHE_SLOTS entries, then the chunks', then the
 * long pieces' (long_cache), then the tags (long_tags, chunk_tags). */
static inline cache_entry *thread_caches(void)
{
    cache_entry *c = g_caches;
    return __builtin_expect(c != NULL, 1) ? c : caches_map();
}

const void *wn_tok_thread_caches(void)
{
    return thread_caches();
}

void wn_tok_cache_clear(void)
{
    memset(thread_caches(), 0, CACHES_BYTES);
}

/* The piece of n bytes with key k: whether e holds it, for the serial whose checks are
 * check_lo and check_hi0 (cache_check_lo(serial), cache_check_hi(serial, 0); the serial is
 * nonzero, so an empty entry holds no piece). */
static inline bool cache_holds(const cache_entry *e, const wn_tok_key *k, size_t n,
                               uint64_t check_lo, uint64_t check_hi0)
{
    return e->w0 == k->w0 && e->w1 == k->w1 && (e->lo & ~CACHE_ID_LANES) == check_lo &&
           (e->hi & CACHE_LANE2_CHECK) == (check_hi0 | (uint64_t)n << 19);
}

/* The i-th of the CACHE_IDS id lanes of the entry e (zero past its m-th id). */
static inline uint32_t entry_id(const cache_entry *e, size_t i)
{
    return (uint32_t)((i < 2 ? e->lo : e->hi) >> (32 * (i % 2))) & ID17;
}

/* wn_tok_ids_emit for the ids of the entry e that holds the piece (cache_holds): its four
 * lanes written as they are, their bits above the ids masked off, and m kept; no branch on
 * how many ids a piece has, which the multilingual mix's pieces (1 to 4 ids) kept
 * mispredicting (ninth session). */
static inline size_t emit_entry(wn_tok_ids *out, const cache_entry *e)
{
    size_t m = (size_t)(e->hi >> CACHE_M_SHIFT);
    if (out) {
        if (out->len + CACHE_IDS > out->cap)
            wn_tok_ids_reserve(out, CACHE_IDS);
        uint32_t *d = out->ids + out->len;
#if defined(__SSE2__)
        /* one load, one AND with a constant in memory, one store */
        __m128i ids = _mm_loadu_si128((const __m128i *)(const void *)&e->lo);
        ids = _mm_and_si128(ids, _mm_set1_epi32((int)ID17));
        _mm_storeu_si128((__m128i *)(void *)d, ids);
#else
        for (size_t i = 0; i < CACHE_IDS; i++)
            d[i] = entry_id(e, i);
#endif
        out->len += m;
    }
    return m;
}

/* Put the piece of n bytes with key k and its m <= CACHE_IDS ids, whose first four lanes
 * (zero past the m-th) are lo and hi, in e (checks as for cache_holds). */
static inline void cache_put_lanes(cache_entry *e, const wn_tok_key *k, size_t n,
                                   uint64_t check_lo, uint64_t check_hi0, uint64_t lo,
                                   uint64_t hi, size_t m)
{
    e->w0 = k->w0;
    e->w1 = k->w1;
    e->lo = lo | check_lo;
    e->hi = hi | check_hi0 | (uint64_t)n << 19 | (uint64_t)m << CACHE_M_SHIFT;
}

/* [m][w]: the lanes of word w (lo, hi) that hold the first m ids. */
static const uint64_t cache_lanes_of[CACHE_IDS + 1][2] = {
    { 0, 0 },
    { 0xFFFFFFFFull, 0 },
    { ~0ull, 0 },
    { ~0ull, 0xFFFFFFFFull },
    { ~0ull, ~0ull },
};

/* cache_put_lanes for the ids[0..m) of BPE, ids[0..CACHE_IDS) all written (the merge loop
 * leaves parts past the m-th, masked off here): without a loop or a branch on m. A piece
 * of more than CACHE_IDS ids is not put (merged again each time). */
static inline void cache_put_ids(cache_entry *e, const wn_tok_key *k, size_t n,
                                 uint64_t check_lo, uint64_t check_hi0, const uint32_t *ids,
                                 size_t m)
{
    if (m > CACHE_IDS)
        return;
    uint64_t lo, hi;
    memcpy(&lo, ids, sizeof lo);
    memcpy(&hi, ids + 2, sizeof hi);
#if !(defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__)
    lo = lo >> 32 | lo << 32; /* lane 0 of a word is its low half */
    hi = hi >> 32 | hi << 32;
#endif
    cache_put_lanes(e, k, n, check_lo, check_hi0, lo & cache_lanes_of[m][0],
                    hi & cache_lanes_of[m][1], m);
}

/* For the chunks' cache (encode_chunk, rare next to the pieces): the ids of the piece of n
 * bytes with key k, into ids[0..CACHE_IDS) (zero past the m-th), and m; 0 when e holds
 * another piece. */
static inline size_t cache_get(const cache_entry *e, const wn_tok_key *k, size_t n,
                               uint32_t serial, uint32_t *ids)
{
    if (!cache_holds(e, k, n, cache_check_lo(serial), cache_check_hi(serial, 0)))
        return 0;
    for (size_t i = 0; i < CACHE_IDS; i++)
        ids[i] = entry_id(e, i);
    return (size_t)(e->hi >> CACHE_M_SHIFT);
}

/* Put the piece of n bytes with key k and its ids[0..m) in e, unless m > CACHE_IDS;
 * whether it was put. */
static inline bool cache_put(cache_entry *e, const wn_tok_key *k, size_t n, uint32_t serial,
                             const uint32_t *ids, size_t m)
{
    if (m > CACHE_IDS)
        return false;
    uint32_t lane[CACHE_IDS] = { 0, 0, 0, 0 };
    for (size_t i = 0; i < m; i++)
        lane[i] = ids[i];
    cache_put_ids(e, k, n, cache_check_lo(serial), cache_check_hi(serial, 0), lane, m);
    return true;
}

static inline cache_entry *cache_slot(cache_entry *cache, const wn_tok_key *k)
{
    return &cache[(k->hash >> 40) & (CACHE_SLOTS - 1)];
}

/* Entries of chunks (split.h) are BPE of their bytes, never the whole-piece shortcut (a
 * chunk that is a token BPE does not reach must still merge from bytes): they carry the
 * serial with this bit, so a piece never takes a chunk's entry, nor a chunk a piece's. */
#define CHUNK_SERIAL 0x80000000u

/* The calling thread's long pieces' cache (caches is thread_caches()). */
static inline long_entry *long_cache(cache_entry *caches)
{
    return (long_entry *)(caches + CACHE_SLOTS + CHUNK_SLOTS);
}

/* The tags of the long pieces' cache (LONG_SLOTS, after its entries: cache is
 * long_cache()'s), then the chunks' (caches is thread_caches()). */
static inline cache_tag *long_tags(long_entry *cache)
{
    return (cache_tag *)(void *)(cache + LONG_SLOTS);
}

static inline cache_tag *chunk_tags(cache_entry *caches)
{
    return long_tags(long_cache(caches)) + LONG_SLOTS;
}

/* BPE of the chunk p[0..n) of a piece (avail bytes readable at p), from the cache when it
 * holds it (its line read only when the tag says it may). A chunk of one character that
 * premerging starts as one token never comes here (encode_cut_chunk). */
static size_t encode_chunk(const wn_tok *t, const uint8_t *p, size_t n, size_t avail,
                           wn_tok_ids *out)
{
    if (n > CACHE_BYTES)
        return wn_tok_bpe_merge(t, p, n, out);
    wn_tok_key k;
    wn_tok_key_make(&k, p, n, avail);
    cache_entry *caches = thread_caches();
    size_t slot = (k.hash >> 40) & (CHUNK_SLOTS - 1);
    cache_entry *e = &caches[CACHE_SLOTS + slot];
    cache_tag *tag = &chunk_tags(caches)[slot];
    uint32_t serial = t->serial | CHUNK_SERIAL, ids[CACHE_BYTES];
    size_t m = *tag == tag_of(&k) ? cache_get(e, &k, n, serial, ids) : 0;
    if (m)
        return wn_tok_ids_emit(out, ids, m);
    g_chunk_misses++;
    m = wn_tok_bpe_small_ids(t, p, n, ids);
    if (cache_put(e, &k, n, serial, ids, m))
        *tag = tag_of(&k);
    return wn_tok_ids_emit(out, ids, m);
}

static inline size_t long_index(const wn_tok_key *k)
{
    return (k->hash >> 40) & (LONG_SLOTS - 1);
}

static inline long_entry *long_slot(long_entry *cache, const wn_tok_key *k)
{
    return &cache[long_index(k)];
}

/* The tag of the entry for the key k (cache is long_cache()'s). */
static inline cache_tag *long_tag_slot(long_entry *cache, const wn_tok_key *k)
{
    return &long_tags(cache)[long_index(k)];
}

/* The words of bytes 16..31 of the piece p[0..n), 16 < n <= 32, zero past its end (the
 * first two are its key's). */
static inline void long_tail_words(const uint8_t *p, size_t n, size_t avail, uint64_t w[2])
{
    uint8_t pad[16] = { 0 };
    const uint8_t *src = p + 16;
    if (avail < 32) {
        memcpy(pad, p + 16, n - 16);
        src = pad;
    }
    memcpy(&w[0], src, 8);
    memcpy(&w[1], src + 8, 8);
    w[0] &= wn_tok_key_masks[n - 16][0];
    w[1] &= wn_tok_key_masks[n - 16][1];
}

/* The ids e holds for the piece (key words k, tail words tail, n bytes), into ids[0..9);
 * 0 when e holds another piece. */
static inline size_t long_get(const long_entry *e, const wn_tok_key *k, const uint64_t tail[2],
                              size_t n, uint32_t serial, uint32_t *ids)
{
    uint64_t differ = (e->w[0] ^ k->w0) | (e->w[1] ^ k->w1) | (e->w[2] ^ tail[0]) |
                      (e->w[3] ^ tail[1]);
    if (differ != 0 || (e->tag & ((1ull << 40) - 1)) != ((uint64_t)n << 32 | serial))
        return 0;
    for (size_t i = 0; i < LONG_IDS; i++)
        ids[i] = (uint32_t)(e->ids[i / 3] >> (17 * (i % 3))) & ID17;
    return (size_t)(e->tag >> 40) & 15;
}

static inline void long_put(long_entry *e, const wn_tok_key *k, const uint64_t tail[2],
                            size_t n, uint32_t serial, const uint32_t *ids, size_t m)
{
    uint64_t packed[3] = { 0, 0, 0 };
    for (size_t i = 0; i < m; i++)
        packed[i / 3] |= (uint64_t)ids[i] << (17 * (i % 3));
    e->w[0] = k->w0;
    e->w[1] = k->w1;
    e->w[2] = tail[0];
    e->w[3] = tail[1];
    e->tag = serial | (uint64_t)n << 32 | (uint64_t)m << 40;
    memcpy(e->ids, packed, sizeof packed);
}

void wn_tok_long_cache_alias(const wn_tok_key *from, const wn_tok_key *to)
{
    long_entry *cache = long_cache(thread_caches());
    *long_slot(cache, to) = *long_slot(cache, from);
    *long_tag_slot(cache, to) = tag_of(to);
}

static size_t encode_long(const wn_tok *t, const uint8_t *p, size_t n, size_t avail,
                          wn_tok_ids *out);

/* A long piece that is not a token, from the long pieces' cache when it holds it (pieces
 * of up to LONG_BYTES; a count without ids is never cached); the entry's line is read only
 * when the tag says it may hold the piece. */
__attribute__((noinline)) static size_t encode_long_cached(const wn_tok *t, long_entry *cache,
                                                          const uint8_t *p, size_t n,
                                                          size_t avail, const wn_tok_key *k,
                                                          wn_tok_ids *out)
{
    if (n > LONG_BYTES || !out)
        return encode_long(t, p, n, avail, out);
    uint64_t tail[2];
    uint32_t ids[LONG_IDS];
    long_tail_words(p, n, avail, tail);
    long_entry *e = long_slot(cache, k);
    cache_tag *tag = long_tag_slot(cache, k);
    size_t m = *tag == tag_of(k) ? long_get(e, k, tail, n, t->serial, ids) : 0;
    if (m) {
        g_long_hits++;
        return wn_tok_ids_emit(out, ids, m);
    }
    size_t before = out->len;
    m = encode_long(t, p, n, avail, out);
    if (m <= LONG_IDS) {
        long_put(e, k, tail, n, t->serial, out->ids + before, m);
        *tag = tag_of(k);
    }
    return m;
}

/* The chunk p[0..n) of a long piece, whose last character is the three-byte cp (a cut is
 * only ever between two three-byte characters, so n >= 3): a chunk of that character alone
 * takes its premerged token without a cache line, as wn_tok_premerge_parts would give it
 * (no neighbour to check); any other goes through the chunks' cache. */
static inline size_t encode_cut_chunk(const wn_tok *t, const uint8_t *p, size_t n, size_t avail,
                                      uint32_t cp, wn_tok_ids *out)
{
    if (n == 3 && t->premerge.blocks) {
        int64_t id = wn_tok_premerge_alone(wn_tok_premerge_entry(&t->premerge, cp));
        if (id >= 0) {
            if (out)
                wn_tok_ids_push1(out, (wn_tok_id)id);
            return 1;
        }
    }
    return encode_chunk(t, p, n, avail, out);
}

/* A long piece that is not a token (avail bytes readable at p): cut where no token can span
 * (split.h), each chunk on its own. Only boundaries between two three-byte characters are
 * tried: on the multilingual corpus 60% of those can be cut (CJK and Japanese sentences),
 * 8% between two-byte ones (Cyrillic words) and none between ASCII letters, and scanning
 * pieces that are not cut costs more than the few cuts save. The scan starts at the first
 * three-byte character; each character's bytes, as split.h hashes them, are kept for the
 * next boundary's probe. */
__attribute__((noinline)) /* rare: out of the encoder's loop, which must stay small */
static size_t encode_long(const wn_tok *t, const uint8_t *p, size_t n, size_t avail,
                          wn_tok_ids *out)
{
    const wn_tok_splits *sp = &t->splits;
    size_t i = sp->bloom ? wn_tok_split_first_lead3(p, n) : n; /* n > 16 */
    if (i == n)
        return wn_tok_bpe_merge(t, p, n, out);
    size_t count = 0, start = 0;
    unsigned f1 = WN_TOK_SPLIT_NEVER; /* flags of the character before i, if three bytes */
    uint64_t v1 = 0;                  /* and its bytes (wn_tok_split_bytes) */
    uint32_t cp1 = 0;                 /* and its code point */
    while (i < n) {
        uint32_t cp;
        size_t l = p[i] < 0x80 ? 1 : utf8_decode_quick(p + i, n - i, &cp);
        if (l != 3) {
            f1 = WN_TOK_SPLIT_NEVER;
            i += l ? l : 1;
            continue;
        }
        unsigned f2 = sp->flags[cp];
        uint64_t v2 = wn_tok_split_char3(p + i);
        if (!((f1 | f2) & WN_TOK_SPLIT_NEVER) && !wn_tok_split_has_sides(sp, v1, v2) &&
            wn_tok_split_partials_ok(sp, p, i, 3, f1, 3, f2)) {
            count += encode_cut_chunk(t, p + start, i - start, avail - start, cp1, out);
            start = i;
        }
        f1 = f2;
        v1 = v2;
        cp1 = cp;
        i += 3;
    }
    if (start == 0)
        return wn_tok_bpe_merge(t, p, n, out);
    /* the last chunk ends with a three-byte character when it is one: it starts with one */
    return count + encode_cut_chunk(t, p + start, n - start, avail - start, cp1, out);
}

/* Pieces are cut a few at a time and their cache entries and vocabulary slots prefetched
 * before any is looked up, so the cache misses of neighbouring words overlap instead of
 * queueing. 16 since the fourteenth session: with the key compares a batch later
 * (unverified_check), a longer batch gives both the entries' lines and the keys more time
 * to come; against 8, multilingual +2.7-2.9% (rounds alternating the builds, 12 and 14 of 16
 * faster), Brown +1.7% (11 of 14); 24 and 32 measured the same as 16, and 12 the same as 8
 * (the fifth session and tok14 had found nothing in longer batches, before the deferred
 * compares). */
#define AHEAD 16

/* A short piece taken as the token its vocabulary slot names before the token's key (a
 * random 16-byte read in 2 MB, ~150 ns from DRAM) is compared with it: the compare comes a
 * batch later (unverified_check), when the key has arrived, and does not hold the pieces
 * after it up meanwhile (the compare in place was ~7% of a pass; checked a batch later,
 * multilingual +2-6%, Brown +6-12%, fourteenth session). The piece's key words, where it
 * starts in the text, its length, how many ids came before it, and the id it took (and its
 * entry in the piece cache holds). */
typedef struct unverified {
    uint64_t w0;
    uint32_t w1_head, id;
    size_t start, n, count;
} unverified;

/* The unchecked pieces of the batch being encoded and of the one before it. */
typedef struct unverified_log {
    unverified u[2 * AHEAD];
    int n;
} unverified_log;

/* The ids of one piece p[0..n) whose key is k (avail bytes readable at p): from the cache,
 * else the whole-piece shortcut (a piece that is a token is one id, what most English words
 * take), else BPE. Pieces of one byte (spaces, punctuation: 12% of the multilingual mix's)
 * take the cache too, rather than a branch of their own that the mix of lengths kept
 * mispredicting (ninth session). With a log, a short piece's whole-token id is taken
 * unchecked: the piece (at `at` in the text, `count` ids before it) goes in the log;
 * without (NULL), the key is compared in place. */
__attribute__((always_inline)) static inline size_t
encode_piece(const wn_tok *t, cache_entry *cache, uint64_t check_lo, uint64_t check_hi0,
             const uint8_t *p, size_t n, size_t avail, const wn_tok_key *k, wn_tok_ids *out,
             unverified_log *log, size_t at, size_t count)
{
    cache_entry *e = NULL;
    uint32_t ids[CACHE_BYTES]; /* a piece of n bytes has at most n tokens */
    int64_t whole;
    if (n <= CACHE_BYTES) {
        e = cache_slot(cache, k);
        if (cache_holds(e, k, n, check_lo, check_hi0))
            return emit_entry(out, e);
        whole = log ? wn_tok_lookup_unchecked(t, k) : wn_tok_lookup_key(t, p, n, k);
        if (log && whole >= 0)
            log->u[log->n++] = (unverified){ .w0 = k->w0,
                                             .w1_head = wn_tok_key_w1_head(k),
                                             .id = (uint32_t)whole,
                                             .start = at,
                                             .n = n,
                                             .count = count };
    } else {
        /* its line in the long pieces' cache comes while the vocabulary is probed */
        __builtin_prefetch(long_slot(long_cache(cache), k));
        whole = wn_tok_lookup_key(t, p, n, k);
    }
    if (!e) {
        if (whole < 0)
            return encode_long_cached(t, long_cache(cache), p, n, avail, k, out);
        if (out)
            wn_tok_ids_push1(out, (wn_tok_id)whole);
        return 1;
    }
    if (whole >= 0) { /* always for one byte: loading checks that every byte is a token */
        cache_put_lanes(e, k, n, check_lo, check_hi0, (uint64_t)whole, 0, 1);
        return emit_entry(out, e);
    }
    ids[0] = ids[1] = ids[2] = ids[3] = 0; /* cache_put_ids reads CACHE_IDS */
    size_t m = wn_tok_bpe_small_known(t, p, n, ids, wn_tok_key_has_high_byte(k));
    if (m > CACHE_IDS)
        return wn_tok_ids_emit(out, ids, m);
    cache_put_ids(e, k, n, check_lo, check_hi0, ids, m);
    return emit_entry(out, e); /* the ids just put, as a hit writes them */
}

/* The first of log's pieces [0, upto) that is not the token it was taken as, or upto. */
static inline int unverified_check(const wn_tok *t, const uint8_t *s, const unverified_log *log,
                                   int upto)
{
    for (int i = 0; i < upto; i++) {
        const unverified *u = &log->u[i];
        bool is = wn_tok_token_is(t, u->id, s + u->start, u->n, u->w0, u->w1_head);
        if (__builtin_expect(!is, 0))
            return i;
    }
    return upto;
}

/* Drop log's pieces [0, upto), checked. */
static inline void unverified_drop(unverified_log *log, int upto)
{
    if (upto == 0)
        return;
    for (int i = upto; i < log->n; i++)
        log->u[i - upto] = log->u[i];
    log->n -= upto;
}

/* Where a pass of the encoder's loop stopped: at the piece s[start, start + n) of its text,
 * taken as a token that it is not (a fingerprint's false match). */
typedef struct plain_stop {
    bool failed;
    size_t start, n;
} plain_stop;

/* log's piece `bad` is not its token: the entries in the piece cache of it and of the pieces
 * after it (whose ids were not checked yet) are emptied when they hold them, so encoding
 * again from that piece (encode_plain) takes none of their ids. The ids before it. */
__attribute__((noinline, cold)) static size_t
unverified_fail(cache_entry *cache, uint64_t check_lo, uint64_t check_hi0, const uint8_t *s,
                size_t n, const unverified_log *log, int bad, plain_stop *stop)
{
    for (int i = bad; i < log->n; i++) {
        const unverified *u = &log->u[i];
        wn_tok_key k;
        wn_tok_key_make(&k, s + u->start, u->n, n - u->start);
        cache_entry *e = cache_slot(cache, &k);
        if (cache_holds(e, &k, u->n, check_lo, check_hi0))
            memset(e, 0, sizeof *e);
    }
    stop->failed = true;
    stop->start = log->u[bad].start;
    stop->n = log->u[bad].n;
    return log->u[bad].count;
}

/* The encoder's loop; `masks` (a constant in each instance below): the text has 64 bytes
 * or more and the CPU AVX2, so pieces are cut from the cutter's masks where they tell
 * them, without asking either again for each piece. The tokenizer's fields the loop reads
 * for every piece are locals, read once: through t, they were loaded again after every
 * store of a key or an id. A batch's whole-token ids are checked after the next batch
 * (unverified_log); at the first that is wrong, the loop stops (`stop`) and returns the
 * ids before it, for encode_plain to go on from there. */
__attribute__((always_inline)) static inline size_t
encode_plain_as(const wn_tok *t, const uint8_t *s, size_t n, wn_tok_ids *out, bool masks,
                plain_stop *stop)
{
    size_t count = 0, start[AHEAD + 1];
    wn_tok_key key[AHEAD];
    unverified_log log;
    log.n = 0;
    cache_entry *cache = thread_caches();
    const wn_tok_classes *cls = t->cls;
    const uint32_t *vocab = t->vocab;
    uint64_t vocab_mask = t->vocab_mask;
    uint64_t check_lo = cache_check_lo(t->serial), check_hi0 = cache_check_hi(t->serial, 0);
    wn_tok_cutter cut;
    if (masks)
        wn_tok_cutter_start(cls, &cut, s, n);
    for (size_t p = 0; p < n;) {
        int k = 0, before = log.n; /* the pieces of the batch before, unchecked */
        start[0] = p;
        do {
            size_t q = p;
            p = masks ? wn_tok_next_piece_masks(cls, &cut, s, n, q)
                      : wn_tok_next_piece(cls, s, n, q);
            wn_tok_key_make(&key[k], s + q, p - q, n - q);
            __builtin_prefetch(cache_slot(cache, &key[k]));
            __builtin_prefetch(&vocab[key[k].hash & vocab_mask]);
            start[++k] = p;
            if (p >= n) /* two tests and branches, not a `&&` made of flags (setb, setle) */
                break;
        } while (k < AHEAD);
        for (int i = 0; i < k; i++)
            count += encode_piece(t, cache, check_lo, check_hi0, s + start[i],
                                  start[i + 1] - start[i], n - start[i], &key[i], out, &log,
                                  start[i], count);
        int bad = unverified_check(t, s, &log, before);
        if (bad < before)
            return unverified_fail(cache, check_lo, check_hi0, s, n, &log, bad, stop);
        unverified_drop(&log, before);
    }
    int bad = unverified_check(t, s, &log, log.n);
    if (bad < log.n)
        return unverified_fail(cache, check_lo, check_hi0, s, n, &log, bad, stop);
    return count;
}

/* Text cut by the matcher alone: shorter than the masks' 64 bytes, or no AVX2. */
static size_t encode_plain_matcher(const wn_tok *t, const uint8_t *s, size_t n,
                                   wn_tok_ids *out, plain_stop *stop)
{
    return encode_plain_as(t, s, n, out, false, stop);
}

#if defined(WN_TOK_HAVE_AVX2_KINDS)
/* Compiled for AVX2 and BMI (the CPUs that have the one have the other; tok_classes.c
 * checks both): besides the masks' cut, GCC then shifts by a register without moving the
 * count to CL, masks below a bit in one instruction, and so on. */
__attribute__((target("avx2,bmi,bmi2"))) static size_t
encode_plain_masks(const wn_tok *t, const uint8_t *s, size_t n, wn_tok_ids *out,
                   plain_stop *stop)
{
    return encode_plain_as(t, s, n, out, true, stop);
}
#endif

static size_t encode_plain_once(const wn_tok *t, const uint8_t *s, size_t n, wn_tok_ids *out,
                                plain_stop *stop)
{
#if defined(WN_TOK_HAVE_AVX2_KINDS)
    if (n >= 64 && t->cls->avx2)
        return encode_plain_masks(t, s, n, out, stop);
#endif
    return encode_plain_matcher(t, s, n, out, stop);
}

/* The piece p[0..n) with its key compared in place, after a false match (unverified_fail
 * emptied its cache entry). */
__attribute__((noinline, cold)) static size_t
encode_piece_checked(const wn_tok *t, const uint8_t *p, size_t n, size_t avail, wn_tok_ids *out)
{
    wn_tok_key k;
    wn_tok_key_make(&k, p, n, avail);
    return encode_piece(t, thread_caches(), cache_check_lo(t->serial),
                        cache_check_hi(t->serial, 0), p, n, avail, &k, out, NULL, 0, 0);
}

/* The text's ids: the loop again after each piece it took as a token it is not, from that
 * piece (dropping the ids it gave from there on; pieces are cut the same from any piece's
 * start, the pretokenizer looking only ahead), that piece checked in place. */
static size_t encode_plain(const wn_tok *t, const uint8_t *s, size_t n, wn_tok_ids *out)
{
    size_t count = 0, len0 = out ? out->len : 0;
    for (;;) {
        plain_stop stop = { .failed = false };
        count += encode_plain_once(t, s, n, out, &stop);
        if (!stop.failed)
            return count;
        if (out)
            out->len = len0 + count;
        count += encode_piece_checked(t, s + stop.start, stop.n, n - stop.start, out);
        s += stop.start + stop.n;
        n -= stop.start + stop.n;
    }
}

/* Special token whose name starts at s[i] (which is '<'), or -1. */
static int64_t special_at(const wn_tok *t, const uint8_t *s, size_t n, size_t i)
{
    if (i + 1 >= n || s[i + 1] != '|')
        return -1;
    size_t lim = n - i < t->max_special_len ? n - i : t->max_special_len;
    for (size_t k = 2; k + 1 < lim; k++) {
        if (s[i + k] == '|' && s[i + k + 1] == '>') {
            size_t len = k + 2;
            for (uint32_t id = t->n_ranks; id < t->n_total; id++)
                if (t->off[id + 1] - t->off[id] == len &&
                    memcmp(t->blob + t->off[id], s + i, len) == 0)
                    return id;
            return -1;
        }
    }
    return -1;
}

static size_t encode_any(const wn_tok *t, const char *text, size_t len, unsigned flags,
                         wn_tok_ids *out)
{
    const uint8_t *s = (const uint8_t *)text;
    if (!(flags & WN_TOK_SPECIAL_IN_TEXT) || t->n_total == t->n_ranks)
        return encode_plain(t, s, len, out);
    /* As Hugging Face does: split the text at special-token names first, then encode the
     * text between them on its own. */
    size_t count = 0, start = 0;
    for (size_t i = 0; i < len; i++) {
        if (s[i] != '<')
            continue;
        int64_t id = special_at(t, s, len, i);
        if (id < 0)
            continue;
        count += encode_plain(t, s + start, i - start, out) + 1;
        if (out)
            wn_tok_ids_push(out, (wn_tok_id)id);
        i += t->off[id + 1] - t->off[id] - 1;
        start = i + 1;
    }
    return count + encode_plain(t, s + start, len - start, out);
}

void wn_tok_encode(const wn_tok *t, const char *text, size_t len, unsigned flags,
                   wn_tok_ids *out)
{
    encode_any(t, text, len, flags, out);
}

size_t wn_tok_count(const wn_tok *t, const char *text, size_t len, unsigned flags)
{
    return encode_any(t, text, len, flags, NULL);
}
