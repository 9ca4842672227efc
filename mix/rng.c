/* rng.c: splitmix64 (Steele, Lea, Flood 2014) streams seeded by (seed, label). Chosen for
 * being tiny and fully specified, so a mix is reproducible from the manifest alone. */
#include "mix/mix_internal.h"

#include <string.h>
#include <xxhash.h>

void mx_rng_init(mx_rng *r, uint64_t seed, const char *label)
{
    r->state = XXH64(label, strlen(label), seed);
}

uint64_t mx_rng_next(mx_rng *r)
{
    uint64_t z = (r->state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

uint64_t mx_rng_below(mx_rng *r, uint64_t n)
{
    unsigned __int128 m = (unsigned __int128)mx_rng_next(r) * n;
    uint64_t low = (uint64_t)m;
    if (low < n) {
        uint64_t threshold = -n % n;
        while (low < threshold) {
            m = (unsigned __int128)mx_rng_next(r) * n;
            low = (uint64_t)m;
        }
    }
    return (uint64_t)(m >> 64);
}
