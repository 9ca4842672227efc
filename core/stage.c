/* stage.c: see stage.h. */
#include "core/stage.h"
#include "core/buf.h"

#include <stdlib.h>

void wn_stage_free(wn_stage *st)
{
    if (!st)
        return;
    if (st->release)
        st->release(st->state);
    free(st);
}

wn_stage *wn_stage_new(const char *name, void *state,
                       void (*process_doc)(void *state, wn_doc *doc, wn_stats *stats),
                       void (*release)(void *state))
{
    wn_stage *st = wn_xcalloc(1, sizeof *st);
    st->name = name;
    st->state = state;
    st->process_doc = process_doc;
    st->release = release;
    return st;
}
