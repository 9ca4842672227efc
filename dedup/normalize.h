/* normalize.h: the text and URL normalisations dedup hashes (rules in docs/dedup.md). */
#ifndef WN_DEDUP_NORMALIZE_H
#define WN_DEDUP_NORMALIZE_H

#include "core/buf.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Exact-dedup values: XXH3-128 of the text with every run of white space collapsed to
 * one space and the ends trimmed, into out[4]. Returns false when nothing is left (empty
 * document). */
bool wn_dedup_text_values(const char *text, size_t len, uint32_t out[4]);

/* Normalise a URL into out (reset first): scheme and host lowercased, default port
 * dropped, fragment dropped, empty path -> "/", trailing "/" of a non-root path dropped.
 * Returns false when there is no "scheme://host". */
bool wn_dedup_url_normalize(const char *url, size_t len, wn_buf *out);

#endif
