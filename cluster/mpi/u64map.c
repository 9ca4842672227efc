/* u64map.c: see u64map.h. */
#include "cluster/mpi/u64map.h"
#include "core/buf.h"

#include <stdlib.h>
#include <string.h>

void wn_u64map_init(wn_u64map *m)
{
    memset(m, 0, sizeof *m);
}

void wn_u64map_release(wn_u64map *m)
{
    free(m->keys);
    free(m->vals);
    wn_u64map_init(m);
}

static size_t slot_of(uint64_t key, size_t cap)
{
    key ^= key >> 33; /* murmur3 finaliser: uids are structured (file << 40 | record) */
    key *= 0xff51afd7ed558ccdULL;
    key ^= key >> 33;
    return (size_t)key & (cap - 1);
}

uint64_t *wn_u64map_get(const wn_u64map *m, uint64_t key)
{
    if (!m->cap) return NULL;
    for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
        if (m->keys[i] == key) return &m->vals[i];
        if (m->keys[i] == WN_U64MAP_EMPTY) return NULL;
    }
}

static void grow(wn_u64map *m)
{
    wn_u64map old = *m;
    m->cap = old.cap ? old.cap * 2 : 64;
    m->keys = wn_xmalloc(m->cap * sizeof *m->keys);
    m->vals = wn_xmalloc(m->cap * sizeof *m->vals);
    memset(m->keys, 0xff, m->cap * sizeof *m->keys);
    m->n = 0;
    for (size_t i = 0; i < old.cap; i++)
        if (old.keys[i] != WN_U64MAP_EMPTY) wn_u64map_put(m, old.keys[i], old.vals[i]);
    free(old.keys);
    free(old.vals);
}

uint64_t *wn_u64map_put(wn_u64map *m, uint64_t key, uint64_t value)
{
    if ((m->n + 1) * 2 > m->cap) grow(m);
    size_t i = slot_of(key, m->cap);
    for (; m->keys[i] != WN_U64MAP_EMPTY; i = (i + 1) & (m->cap - 1))
        if (m->keys[i] == key) return &m->vals[i];
    m->keys[i] = key;
    m->vals[i] = value;
    m->n++;
    return &m->vals[i];
}
