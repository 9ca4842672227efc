/* remove.c: phase 5 - a stage that drops the documents of a removal set. */
#include "dedup/remove.h"

#include "core/buf.h"

#include "core/log.h"
#include "dedup/format.h"

#include <stdlib.h>
#include <string.h>

typedef struct remove_state {
    const wn_dedup_removal *removal;
    const wn_dedup_uids *uids;
    const char *reason;
    const uint64_t *signed_records; /* NULL: no check */
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

/* Only inputs read in this run are compared (others have no count yet); an input cut to
 * nothing escapes the check. */
static int remove_finish(void *p, wn_stats *stats)
{
    remove_state *s = p;
    (void)stats;
    const wn_dedup_uids *u = s->uids;
    for (size_t k = 0; k < u->n_all_inputs; k++) {
        uint64_t then = s->signed_records[k], now = u->file_docs[k];
        if (then == UINT64_MAX || now == 0 || now == then)
            continue;
        wn_error("'%s' has %llu records, %llu when it was signed: it changed since the sign "
                 "phase, so the removal list names other documents; run every phase again",
                 u->all_inputs[k], (unsigned long long)now, (unsigned long long)then);
        return -1;
    }
    return 0;
}

void wn_dedup_remove_check_inputs(wn_stage *remove_stage, const uint64_t *signed_records)
{
    remove_state *s = remove_stage->state;
    s->signed_records = signed_records;
    remove_stage->finish = signed_records ? remove_finish : NULL;
}

uint64_t *wn_dedup_signed_records(char **tables, size_t n_tables, const char *config,
                                  size_t n_inputs)
{
    uint64_t *v = NULL;
    for (size_t t = 0; t < n_tables; t++) {
        char err[256];
        /* a table of another method or run is not this removal's business */
        wn_dedup_file *f = wn_dedup_file_open(tables[t], WN_DEDUP_KIND_FILES, config, err,
                                              sizeof err);
        if (!f)
            continue;
        if (!v) {
            v = wn_xmalloc((n_inputs ? n_inputs : 1) * sizeof *v);
            memset(v, 0xff, (n_inputs ? n_inputs : 1) * sizeof *v);
        }
        wn_dedup_files_rec r;
        while (wn_dedup_file_read(f, &r, 1) == 1)
            if (r.file < n_inputs)
                v[r.file] = r.docs;
        wn_dedup_file_close(f);
    }
    return v;
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
