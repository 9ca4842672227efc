/* handout.c: runs of equal keys per thread, with stealing from the back (handout.h). */
#include "core/handout.h"

#include "core/buf.h" /* wn_xrealloc */
#include "core/log.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

/* A thread's stretch of the sorted items: [front, back) in one word, front in the low 32
 * bits, so that its owner (front) and a thief (back) never take the same item. A cache
 * line each: the owners change theirs at every document. */
struct wn_handout_stretch {
    _Alignas(64) _Atomic uint64_t ends;
};

static uint64_t ends_of(uint32_t front, uint32_t back)
{
    return (uint64_t)back << 32 | front;
}

void wn_handout_init(wn_handout *h)
{
    memset(h, 0, sizeof *h);
}

void wn_handout_release(wn_handout *h)
{
    free(h->items);
    free(h->spare);
    free(h->stretches);
    wn_handout_init(h);
}

wn_handout_item *wn_handout_reset(wn_handout *h, size_t n)
{
    if (h->cap < n) {
        h->cap = n;
        h->items = wn_xrealloc(h->items, n * sizeof *h->items);
        h->spare = wn_xrealloc(h->spare, n * sizeof *h->spare);
    }
    h->n = n;
    h->nthreads = 0;
    return h->items;
}

/* Sorts the items by key, stably, so that equal keys stay in the order they came in (the
 * caller's index order): an LSD radix sort by bytes, skipping the bytes all keys share. A
 * batch has ~70 distinct keys among thousands of items; qsort took 0.58 ms for the 6,647
 * documents of the multilingual mix, 4% of a one-thread pass and, done before any thread
 * can start, 7% of a two-thread one. */
static void sort_by_key(wn_handout *h)
{
    size_t n = h->n, hist[8][256];
    memset(hist, 0, sizeof hist);
    for (size_t i = 0; i < n; i++)
        for (int d = 0; d < 8; d++)
            hist[d][(h->items[i].key >> (8 * d)) & 255]++;
    for (int d = 0; d < 8; d++) {
        size_t *count = hist[d], at = 0;
        if (count[(h->items[0].key >> (8 * d)) & 255] == n)
            continue; /* every key has this byte */
        for (int v = 0; v < 256; v++) {
            size_t c = count[v];
            count[v] = at;
            at += c;
        }
        for (size_t i = 0; i < n; i++)
            h->spare[count[(h->items[i].key >> (8 * d)) & 255]++] = h->items[i];
        wn_handout_item *t = h->items;
        h->items = h->spare;
        h->spare = t;
    }
}

/* Within a stretch, the items of at least 1/BIG_SHARE of a thread's share go first (in key
 * order), the smaller ones after them (in key order): the owner starts with its big items,
 * and a thief, taking from the back, takes small ones, so that a round does not end with one
 * thread alone on a big item. On the Installation Guide (17 MB, pages up to 800 KB) the last
 * thread's wait in a two-thread pass was 3.6 ms in key order alone, 0.2 ms so. */
enum { BIG_SHARE = 16 };

/* Moves the items of [from, to) of at least `big` bytes to its front, each part in the
 * order it had. */
static void big_first(wn_handout *h, size_t from, size_t to, uint64_t big)
{
    if (to - from < 2)
        return;
    size_t k = 0;
    for (size_t i = from; i < to; i++)
        if (h->items[i].bytes >= big)
            h->spare[k++] = h->items[i];
    for (size_t i = from; i < to; i++)
        if (h->items[i].bytes < big)
            h->spare[k++] = h->items[i];
    memcpy(h->items + from, h->spare, k * sizeof *h->items);
}

/* A stretch that ends inside a group (the keys' high halves: a script, for the tokenizer)
 * makes two threads learn that group's words; it ends at a change of group instead when
 * one is at most a share / GROUP_SLACK of bytes away from the cut by bytes, and stealing
 * evens out the rest. On the 43-language mix (36% of its bytes before the Latin script,
 * 64% from it) two threads ran 205 -> 210 MB/s (8 rounds); the cut is 14% of the bytes
 * from the half, 27% of a share. GNOME Help (29% of a share away) ran the same, and a cut
 * 50% of a share away (the Installation Guide's) 1% slower, which the slack leaves out. */
enum { GROUP_SLACK = 3 };

static uint32_t group_of(const wn_handout_item *it)
{
    return (uint32_t)(it->key >> 32);
}

/* The cut of the stretch [front, cut) moved to the nearest change of group at most slack
 * bytes away (the nearer one, ties to the left), or left where it is; *before (the bytes of
 * the items before the cut) follows it. */
static size_t cut_at_group(const wn_handout *h, size_t front, size_t cut, uint64_t *before,
                           uint64_t slack)
{
    const wn_handout_item *it = h->items;
    if (cut <= front || cut >= h->n || group_of(&it[cut]) != group_of(&it[cut - 1]))
        return cut;
    uint64_t left = 0, right = 0;
    size_t to_left = 0, to_right = 0;
    for (size_t j = cut - 1; j > front; j--) { /* cut before item j: it and those after move */
        left += it[j].bytes;
        if (left > slack)
            break;
        if (group_of(&it[j]) != group_of(&it[j - 1])) {
            to_left = j;
            break;
        }
    }
    for (size_t j = cut + 1; j < h->n; j++) { /* cut before item j: items [cut, j) move */
        right += it[j - 1].bytes;
        if (right > slack)
            break;
        if (group_of(&it[j]) != group_of(&it[j - 1])) {
            to_right = j;
            break;
        }
    }
    if (to_left && (!to_right || left <= right)) {
        *before -= left;
        return to_left;
    }
    if (to_right) {
        *before += right;
        return to_right;
    }
    return cut;
}

void wn_handout_plan(wn_handout *h, int nthreads)
{
    if (nthreads < 1)
        nthreads = 1;
    if (h->cap_threads < nthreads) {
        free(h->stretches);
        h->stretches = aligned_alloc(64, (size_t)nthreads * sizeof *h->stretches);
        if (!h->stretches)
            wn_fatal("out of memory allocating %d work stretches", nthreads);
        h->cap_threads = nthreads;
    }
    h->nthreads = nthreads;
    if (h->n > 1)
        sort_by_key(h);
    uint64_t total = 0;
    for (size_t i = 0; i < h->n; i++)
        total += h->items[i].bytes;
    /* stretch t begins at the first item with t/nthreads of the bytes before it */
    size_t i = 0;
    uint64_t before = 0;
    uint32_t front = 0;
    for (int t = 0; t < nthreads; t++) {
        uint64_t share = (uint64_t)((double)total * (t + 1) / nthreads);
        while (i < h->n && (t == nthreads - 1 || before + h->items[i].bytes / 2 < share))
            before += h->items[i++].bytes;
        if (t < nthreads - 1)
            i = cut_at_group(h, front, i, &before, total / (uint64_t)nthreads / GROUP_SLACK);
        if (nthreads > 1)
            big_first(h, front, i, total / (uint64_t)nthreads / BIG_SHARE);
        atomic_init(&h->stretches[t].ends, ends_of(front, (uint32_t)i));
        front = (uint32_t)i;
    }
}

/* Takes the item at the front (own) or the back (stolen) of stretch s, or returns false
 * when it is empty. */
static bool take(wn_handout *h, int s, bool from_front, size_t *index)
{
    _Atomic uint64_t *ends = &h->stretches[s].ends;
    uint64_t cur = atomic_load(ends);
    for (;;) {
        uint32_t front = (uint32_t)cur, back = (uint32_t)(cur >> 32);
        if (front >= back)
            return false;
        uint32_t at = from_front ? front : back - 1;
        uint64_t next = from_front ? ends_of(front + 1, back) : ends_of(front, back - 1);
        if (atomic_compare_exchange_weak(ends, &cur, next)) {
            *index = h->items[at].index;
            return true;
        }
    }
}

size_t wn_handout_next(wn_handout *h, int t)
{
    size_t index;
    if (take(h, t, true, &index))
        return index;
    for (;;) {
        int victim = -1;
        uint32_t most = 0;
        for (int s = 0; s < h->nthreads; s++) {
            uint64_t cur = atomic_load(&h->stretches[s].ends);
            uint32_t left = (uint32_t)(cur >> 32) - (uint32_t)cur;
            if ((uint32_t)cur < (uint32_t)(cur >> 32) && left > most) {
                most = left;
                victim = s;
            }
        }
        if (victim < 0)
            return WN_HANDOUT_DONE; /* items are never added: empty stays empty */
        if (take(h, victim, false, &index))
            return index;
        /* another thread emptied it first: look again */
    }
}
