/* digest.h: WARC-Block-Digest checking (WARC 1.1 §5.8: "algorithm:value" over the record's
 * block as stored, e.g. "sha1:2WAXX5NUWNNCS2BDKCO5OVDQBJVNKIVV"). */
#ifndef WN_INGEST_DIGEST_H
#define WN_INGEST_DIGEST_H

#include <stddef.h>

typedef enum wn_block_digest_result {
    WN_BLOCK_DIGEST_MATCH,
    WN_BLOCK_DIGEST_MISMATCH,
    WN_BLOCK_DIGEST_UNKNOWN_ALGORITHM, /* not sha1, sha256 or sha512: not checked */
    WN_BLOCK_DIGEST_UNREADABLE,        /* no "algorithm:", or a value of the wrong length or alphabet */
} wn_block_digest_result;

/* Check the WARC-Block-Digest field value `value` against the `len` bytes at `block`.
 * Algorithms sha1, sha256, sha512 (also spelled sha-1 ...; any case); values in base32
 * (RFC 4648, any case, padding optional), base16 or base64 (standard or URL-safe). On a mismatch, `actual` (when not NULL,
 * `actual_len` bytes) receives the block's digest as "algorithm:BASE32" for messages. */
wn_block_digest_result wn_block_digest_check(const char *value, const void *block, size_t len,
                                             char *actual, size_t actual_len);

#endif
