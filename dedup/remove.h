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

#endif
