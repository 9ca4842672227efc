/* digest.h: WARC digest checking (WARC 1.1 §5.8-5.9: "algorithm:value", e.g.
 * "sha1:2WAXX5NUWNNCS2BDKCO5OVDQBJVNKIVV"): WARC-Block-Digest over the record's block as
 * stored, WARC-Payload-Digest over its payload (warc.c says which bytes). */
#ifndef WN_INGEST_DIGEST_H
#define WN_INGEST_DIGEST_H

#include <stddef.h>

typedef enum wn_digest_result {
    WN_DIGEST_MATCH,
    WN_DIGEST_MISMATCH,
    WN_DIGEST_UNKNOWN_ALGORITHM, /* not sha1, sha256 or sha512: not checked */
    WN_DIGEST_UNREADABLE,        /* no "algorithm:", or a value of the wrong length or alphabet */
} wn_digest_result;

/* Check the digest field value `value` against the `len` bytes at `data`.
 * Algorithms sha1, sha256, sha512 (also spelled sha-1 ...; any case); values in base32
 * (RFC 4648, any case, padding optional), base16 or base64 (standard or URL-safe). On a mismatch, `actual` (when not NULL,
 * `actual_len` bytes) receives the data's digest as "algorithm:BASE32" for messages. */
wn_digest_result wn_warc_digest_check(const char *value, const void *data, size_t len,
                                      char *actual, size_t actual_len);

#endif
