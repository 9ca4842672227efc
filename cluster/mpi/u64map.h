/* u64map.h: an open-addressing hash map from uint64 keys to uint64 values (linear
 * probing, power-of-two capacity, load <= 1/2). Key UINT64_MAX is reserved as "empty".
 * Used for the label of each document a rank owns in the distributed union-find. */
#ifndef WN_MPI_U64MAP_H
#define WN_MPI_U64MAP_H

#include <stddef.h>
#include <stdint.h>

#define WN_U64MAP_EMPTY UINT64_MAX

typedef struct wn_u64map {
    uint64_t *keys, *vals;
    size_t cap, n;
} wn_u64map;

void wn_u64map_init(wn_u64map *m);
void wn_u64map_release(wn_u64map *m);
/* Pointer to the value of key, or NULL. */
uint64_t *wn_u64map_get(const wn_u64map *m, uint64_t key);
/* Insert key with value if absent; returns a pointer to its value either way. */
uint64_t *wn_u64map_put(wn_u64map *m, uint64_t key, uint64_t value);

#endif
