/* piece_cache_shared.h: the threads' piece caches (tokenize/encode.c), each readable by the
 * others. A thread that misses its own cache and must run BPE first looks in one other
 * thread's cache (the next in order of registration: with two threads, each other's), so
 * the threads of a run merge a word of a text once between them rather than once each; an
 * entry found there is copied into the thread's own cache, so with more threads entries
 * travel round the ring.
 *
 * Race-free in C11 terms: an entry's words are atomic (relaxed loads and stores, plain moves
 * on x86), and only the thread that owns a cache writes it, each write bracketed by a
 * sequence count shared by a block of entries: odd while a write is under way. A reader
 * copies an entry between two loads of its block's count and keeps the copy only if both
 * are the same even value, so a copy is always one complete write, never a mix; an entry
 * being written, or written during the copy, is a miss. What the words mean (the piece's
 * key, the tokenizer's serial, the ids) is encode.c's, which compares the key as for its
 * own cache: a hit is an entry a thread made from the same bytes with the same tokenizer,
 * so ids never depend on which thread wrote it or when.
 *
 * A cache's block outlives its thread: given back at exit, it stays mapped (another thread
 * may be reading it) and is handed to the next thread that encodes. */
#ifndef WN_TOK_PIECE_CACHE_SHARED_H
#define WN_TOK_PIECE_CACHE_SHARED_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* An entry as encode.c packs it: the piece's two key words, its tag (serial, length, ids)
 * and more ids. Zero is no piece (serials start at 1). */
typedef struct wn_tok_cache_entry {
    _Atomic uint64_t w0, w1;
    _Atomic uint64_t tag, more;
} wn_tok_cache_entry;

/* The owner thread's write of an entry: the count odd before any word (begin), even again
 * after the last (end, with the value begin returned). */
static inline uint64_t wn_tok_seq_write_begin(_Atomic uint64_t *seq)
{
    uint64_t s = atomic_load_explicit(seq, memory_order_relaxed); /* only the owner writes */
    atomic_store_explicit(seq, s + 1, memory_order_relaxed);
    /* the odd count before the words: a reader that sees a word sees the count move */
    atomic_thread_fence(memory_order_release);
    return s;
}

static inline void wn_tok_seq_write_end(_Atomic uint64_t *seq, uint64_t begun)
{
    atomic_store_explicit(seq, begun + 2, memory_order_release);
}

static inline void wn_tok_cache_entry_write(_Atomic uint64_t *seq, wn_tok_cache_entry *e,
                                            uint64_t w0, uint64_t w1, uint64_t tag,
                                            uint64_t more)
{
    uint64_t s = wn_tok_seq_write_begin(seq);
    atomic_store_explicit(&e->w0, w0, memory_order_relaxed);
    atomic_store_explicit(&e->w1, w1, memory_order_relaxed);
    atomic_store_explicit(&e->tag, tag, memory_order_relaxed);
    atomic_store_explicit(&e->more, more, memory_order_relaxed);
    wn_tok_seq_write_end(seq, s);
}

/* Another thread's copy of *e (whose block count is *seq) into *copy: true if no write
 * overlapped it, so *copy is one complete entry as its owner wrote it; false otherwise. */
static inline bool wn_tok_cache_entry_read(_Atomic uint64_t *seq, const wn_tok_cache_entry *e,
                                           wn_tok_cache_entry *copy)
{
    uint64_t s = atomic_load_explicit(seq, memory_order_acquire);
    if (s & 1)
        return false;
    atomic_store_explicit(&copy->w0, atomic_load_explicit(&e->w0, memory_order_relaxed),
                          memory_order_relaxed);
    atomic_store_explicit(&copy->w1, atomic_load_explicit(&e->w1, memory_order_relaxed),
                          memory_order_relaxed);
    atomic_store_explicit(&copy->tag, atomic_load_explicit(&e->tag, memory_order_relaxed),
                          memory_order_relaxed);
    atomic_store_explicit(&copy->more, atomic_load_explicit(&e->more, memory_order_relaxed),
                          memory_order_relaxed);
    /* the words' loads before the count's second load: if one of them saw a word of a later
     * write, that write's odd count is visible here */
    atomic_thread_fence(memory_order_acquire);
    return atomic_load_explicit(seq, memory_order_relaxed) == s;
}

#define WN_TOK_SHARERS 64 /* threads whose caches others read; more keep theirs private */

/* A block of `bytes` (the same for every call) for the calling thread, and its place in
 * *index: a block some exited thread gave back (its entries still hold correct ids), else
 * fresh zero pages; *index = -1 when every place is taken: then a private mapping. */
void *wn_tok_sharers_take(size_t bytes, int *index);

/* Give back the block of place index (taken by wn_tok_sharers_take); a private one
 * (index -1) is unmapped. */
void wn_tok_sharers_give_back(void *block, size_t bytes, int index);

/* The block of the place after index in order of registration (wrapping round), or NULL
 * when index is -1 or the only place. */
const void *wn_tok_sharers_peer(int index);

#endif
