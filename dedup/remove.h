/* remove.h: the phase-5 stage: drop every document whose uid is in a removal set.
 * Use with wn_run and wn_dedup_uid_source_open (same wn_dedup_uids). The stage borrows
 * `removal` and `uids`; both must outlive the run. `reason` is static, e.g.
 * "dedup.minhash". */
#ifndef WN_DEDUP_REMOVE_H
#define WN_DEDUP_REMOVE_H

#include "core/stage.h"
#include "dedup/minhash.h"
#include "dedup/uidsource.h"

wn_stage *wn_dedup_remove_stage(const wn_dedup_removal *removal, const wn_dedup_uids *uids,
                                const char *reason);

/* Records per input (by index in uids' all_inputs) when the inputs were signed, from the
 * state's files-*.wfl tables; UINT64_MAX where unknown. NULL (and *n 0) when the state has
 * no table made with `config`. */
uint64_t *wn_dedup_signed_records(char **tables, size_t n_tables, const char *config,
                                  size_t n_inputs);
/* With the counts above, the stage's finish compares every input it read with its count
 * at signing: an input cut or grown since then makes the removal list name other
 * documents, so the run fails (exit 1, no .done). The stage borrows `signed_records`. */
void wn_dedup_remove_check_inputs(wn_stage *remove_stage, const uint64_t *signed_records);

#endif
