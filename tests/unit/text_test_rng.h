/* text_test_rng.h: a deterministic generator for the test_text_*.c files (splitmix64 of a
 * counter): the same texts and choices on every run. */
#ifndef WN_TEXT_TEST_RNG_H
#define WN_TEXT_TEST_RNG_H

#include <stdint.h>

static uint64_t text_rng_counter;

/* A number in [0, n), n > 0. */
static inline uint64_t text_rnd(uint64_t n)
{
    uint64_t z = (text_rng_counter += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return (z ^ (z >> 31)) % n;
}

#endif
