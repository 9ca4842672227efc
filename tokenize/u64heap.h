/* u64heap.h: a binary min-heap of uint64_t in caller-provided storage, for the BPE paths:
 * (rank << 32 | position) entries pop lowest rank first, then leftmost. */
#ifndef WN_U64HEAP_H
#define WN_U64HEAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct wn_u64heap {
    uint64_t *a;
    size_t n, cap; /* the caller guarantees n < cap before a push, or grows a itself */
} wn_u64heap;

static inline void wn_u64heap_push(wn_u64heap *h, uint64_t v)
{
    size_t i = h->n++;
    while (i > 0 && h->a[(i - 1) / 2] > v) {
        h->a[i] = h->a[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    h->a[i] = v;
}

/* Removes and returns the smallest entry; h->n must be > 0. */
static inline uint64_t wn_u64heap_pop(wn_u64heap *h)
{
    uint64_t top = h->a[0], v = h->a[--h->n];
    size_t i = 0;
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= h->n)
            break;
        if (c + 1 < h->n && h->a[c + 1] < h->a[c])
            c++;
        if (h->a[c] >= v)
            break;
        h->a[i] = h->a[c];
        i = c;
    }
    if (h->n)
        h->a[i] = v;
    return top;
}

#endif
