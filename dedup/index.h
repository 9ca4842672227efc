/* index.h: incremental dedup - a saved index of a deduplicated corpus.
 *
 * An index directory holds signature files (format.h kind 1, the run's config) of the
 * documents a run kept, their uids marked WN_DEDUP_UID_INDEX | generation << 56, and
 * index.json {"config", "generation"}. A later run with --index feeds these signatures
 * to phase 2 with its own; in phase 4 index documents always win the keep rule, so new
 * documents that match the old corpus are removed and the old corpus is never touched.
 * A signature file of another config is refused (format.h). Generations allow 127
 * successive saves; index uids keep 16 bits of file index (65,536 input files per run).
 */
#ifndef WN_DEDUP_INDEX_H
#define WN_DEDUP_INDEX_H

#include <stddef.h>

/* Append the index's signature files (sorted) to *sigs. */
void wn_dedup_index_sig_files(const char *index_dir, char ***sigs, size_t *n);

/* Write index `out_dir`: the signatures in `sigs` minus the documents of `remove_path`,
 * as generation g+1 of `old_dir` (or 1 when old_dir is NULL), plus a copy of old_dir's
 * signature files when out_dir differs from it. 0 or -1 (message in err). */
int wn_dedup_index_save(const char *out_dir, const char *old_dir, char **sigs, size_t n_sigs,
                        const char *remove_path, const char *config, char *err, size_t errlen);

#endif
