/* piece_cache_shared.c: the places of the threads whose piece caches others read (see
 * piece_cache_shared.h). */
#include "tokenize/piece_cache_shared.h"

#include "core/log.h"

#include <stdatomic.h>
#include <stdbool.h>
#include <sys/mman.h>

static _Atomic(void *) g_block[WN_TOK_SHARERS];
static atomic_bool g_in_use[WN_TOK_SHARERS];
static atomic_int g_places; /* places claimed so far (their blocks may still be mapping) */

static void *map_block(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        wn_fatal("out of memory mapping the tokenizer's piece cache (%zu bytes)", bytes);
    return p;
}

void *wn_tok_sharers_take(size_t bytes, int *index)
{
    int places = atomic_load(&g_places);
    for (int i = 0; i < places && i < WN_TOK_SHARERS; i++) {
        void *b = atomic_load_explicit(&g_block[i], memory_order_acquire);
        bool free_place = false;
        if (b && atomic_compare_exchange_strong(&g_in_use[i], &free_place, true)) {
            *index = i;
            return b;
        }
    }
    int i = atomic_fetch_add(&g_places, 1);
    if (i >= WN_TOK_SHARERS) {
        atomic_fetch_sub(&g_places, 1);
        *index = -1;
        return map_block(bytes);
    }
    void *b = map_block(bytes);
    atomic_store(&g_in_use[i], true);
    atomic_store_explicit(&g_block[i], b, memory_order_release);
    *index = i;
    return b;
}

void wn_tok_sharers_give_back(void *block, size_t bytes, int index)
{
    if (index < 0)
        munmap(block, bytes);
    else
        atomic_store_explicit(&g_in_use[index], false, memory_order_release);
}

const void *wn_tok_sharers_peer(int index)
{
    int places = atomic_load_explicit(&g_places, memory_order_relaxed);
    places = places < WN_TOK_SHARERS ? places : WN_TOK_SHARERS;
    if (index < 0 || places < 2)
        return NULL;
    return atomic_load_explicit(&g_block[(index + 1) % places], memory_order_acquire);
}
