/* fingerprint.h: what each input file was when a dedup phase read it, so that a later
 * phase can refuse an input edited in place since then.
 *
 * A document's uid is its input's position and its line in that input (uidsource.h), so
 * the removal list of phase 4 names documents by where they were. The files table
 * (files-I.wfl) keeps each input's record count, which catches an input cut or grown, but
 * not one edited in place with as many records. The sign (minhash, exact, url) and hash
 * (line) phases therefore also write fprint-I.wfp: per input of their shard, its size and
 * the low 64 bits of the XXH3-128 of all its stored bytes (wn_file_xxh3_128) (content only, so the state stays byte-identical
 * whatever the inputs' mtimes). The removal and line-apply phases, run on their own, check
 * the inputs they are about to read against it, before writing anything: another size
 * fails at once, the same size is hashed again. See docs/dedup.md, "Input fingerprints",
 * for the cost.
 */
#ifndef WN_DEDUP_FINGERPRINT_H
#define WN_DEDUP_FINGERPRINT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct wn_dedup_fprint_rec {
    uint64_t file; /* index in the sorted list of all inputs */
    uint64_t size; /* bytes as stored */
    uint64_t hash; /* XXH3-128 of those bytes, its low 64 bits */
} wn_dedup_fprint_rec;

/* Size of the file at `path` and, unless stat_only, the hash of all its bytes (as above). 0, or -1
 * with a message. */
int wn_dedup_fingerprint(const char *path, bool stat_only, wn_dedup_fprint_rec *r, char *err,
                         size_t errlen);

/* Write `outdir`/fprint-I.wfp (I = shard_index, %05u) for the inputs k of this shard
 * (k % shard_count == shard_index), under `config`. 0, or -1 with a message. */
int wn_dedup_fprint_write(const char *outdir, char **all_inputs, size_t n_all,
                          unsigned shard_index, unsigned shard_count, const char *config,
                          char *err, size_t errlen);

/* Compare the inputs of shards first..last (of shard_count) with the fingerprints in
 * `tables` made with `config` (tables of another config, and inputs without a fingerprint,
 * are not checked: a state from before fingerprints still runs). 0 when none changed, else
 * -1 with a message naming the first input that did. */
int wn_dedup_fprint_check(char **tables, size_t n_tables, const char *config,
                          char **all_inputs, size_t n_all, unsigned first, unsigned last,
                          unsigned shard_count, char *err, size_t errlen);

#endif
