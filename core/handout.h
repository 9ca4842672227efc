/* handout.h: a batch's documents handed out to a team of threads so that each thread takes
 * runs of documents with equal keys, and none waits while work is left.
 *
 * The documents are sorted by key (equal keys in input order) and cut into one stretch
 * per thread, of about equal bytes, moved to a change of the keys' high half (a group: a
 * script, for the tokenizer) when one is near; with more than one thread, a stretch's big
 * documents go to its front. A thread takes its own stretch from the front; once it is empty, it takes
 * from the back of the stretch with the most left (work stealing, as Cilk and TBB do), so
 * that the last documents of a round are small ones.
 * Each stretch's front and back are one 64-bit word changed by compare-and-swap, so every
 * document is taken exactly once with no lock.
 *
 * Only the order of the work changes: the caller keeps each document's slot and place in
 * the output, so output is the same at any thread count (what it can change is which thread
 * meets a bad record first, as any parallel order does).
 *
 * Ownership: a wn_handout owns its arrays (wn_handout_release frees them) and is reused from
 * batch to batch. Fill it and plan it on one thread; then any number of threads of the team
 * may call wn_handout_next at once.
 *
 *   wn_handout h;
 *   wn_handout_init(&h);
 *   wn_handout_item *it = wn_handout_reset(&h, n);
 *   for (i...) it[i] = (wn_handout_item){ key_of(i), bytes_of(i), i };
 *   wn_handout_plan(&h, nthreads);
 *   #pragma omp parallel num_threads(nthreads)
 *   for (size_t i; (i = wn_handout_next(&h, omp_get_thread_num())) != WN_HANDOUT_DONE;)
 *       work(i);
 */
#ifndef WN_HANDOUT_H
#define WN_HANDOUT_H

#include <stddef.h>
#include <stdint.h>

typedef struct wn_handout_item {
    uint64_t key;   /* equal keys go to one thread as far as the load allows, and keys of
                     * one high half (a group) where a stretch's end can move to spare it */
    uint64_t bytes; /* the work's size, to give each thread a fair stretch */
    size_t index;   /* the caller's own: what wn_handout_next returns */
} wn_handout_item;

struct wn_handout_stretch;

typedef struct wn_handout {
    wn_handout_item *items;
    wn_handout_item *spare; /* as many, for sorting */
    size_t n, cap;
    struct wn_handout_stretch *stretches; /* one per thread, a cache line each */
    int nthreads, cap_threads;
} wn_handout;

#define WN_HANDOUT_DONE SIZE_MAX

void wn_handout_init(wn_handout *h);
void wn_handout_release(wn_handout *h);
/* Room for n items, to be filled by the caller (items[0..n)); forgets the last plan. At
 * most UINT32_MAX items. */
wn_handout_item *wn_handout_reset(wn_handout *h, size_t n);
/* Sorts the items by key, stably (equal keys in the order the caller filled them in), and
 * cuts them into nthreads stretches (nthreads >= 1). */
void wn_handout_plan(wn_handout *h, int nthreads);
/* The next item's index for thread t (0 <= t < nthreads), or WN_HANDOUT_DONE when every
 * item has been taken. */
size_t wn_handout_next(wn_handout *h, int t);

#endif
