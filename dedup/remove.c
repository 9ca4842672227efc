/* remove.c: phase 5 - a stage that drops the documents of a removal set. */
#include "dedup/remove.h"

#include "core/buf.h"

#include <stdlib.h>

typedef struct remove_state {
    const wn_dedup_removal *removal;
    const wn_dedup_uids *uids;
    const char *reason;
} remove_state;

static void remove_batch(void *p, wn_batch *b, wn_stats *stats)
{
    remove_state *s = p;
    (void)stats;
    for (size_t i = 0; i < b->n; i++) {
        wn_doc *d = &b->docs[i];
        if (!d->drop_reason && wn_dedup_removal_has(s->removal, wn_dedup_uid_of(s->uids, d)))
            d->drop_reason = s->reason;
    }
}

static void remove_release(void *p)
{
    free(p);
}

wn_stage *wn_dedup_remove_stage(const wn_dedup_removal *removal, const wn_dedup_uids *uids,
                                const char *reason)
{
    remove_state *s = wn_xcalloc(1, sizeof *s);
    s->removal = removal;
    s->uids = uids;
    s->reason = reason;
    wn_stage *st = wn_xcalloc(1, sizeof *st);
    st->name = "dedup";
    st->state = s;
    st->process_batch = remove_batch;
    st->release = remove_release;
    return st;
}
