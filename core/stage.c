/* stage.c: see stage.h. */
#include "core/stage.h"

#include <stdlib.h>

void wn_stage_free(wn_stage *st)
{
    if (!st)
        return;
    if (st->release)
        st->release(st->state);
    free(st);
}
