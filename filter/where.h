/* where.h: thresholds over stored signals, decided again without recomputing them.
 *
 * An expression names document attributes written by the filters (or any Dolma tagger):
 *
 *   gopher.symbol_ratio <= 0.15 && fineweb.line_punct_ratio >= 0.12
 *   langid.language == en || (langid.language == fr and langid.score > 0.8)
 *   !(nsfw.dirty_words > 2)
 *
 * Operators: < <= > >= == != on numbers, == != on strings (quoted or bare), && and, || or,
 * ! not, parentheses. A numeric attribute is a number or a Dolma span list (the first span's
 * score). A comparison on a missing attribute is false (and counted by the stage).
 *
 * Ownership: wn_where owns a copy of the expression text; wn_where_text returns it.
 */
#ifndef WN_FILTER_WHERE_H
#define WN_FILTER_WHERE_H

#include "core/buf.h"
#include "core/doc.h"
#include "core/stage.h"

#include <stdbool.h>

typedef struct wn_where wn_where;

/* Parse; NULL with a message ("expected a number after '<=' at column 12") on error. */
wn_where *wn_where_parse(const char *expr, char *err, size_t errlen);
void wn_where_free(wn_where *w);
const char *wn_where_text(const wn_where *w);

/* true when d satisfies w; *missing (may be NULL) is set when an attribute was absent. */
bool wn_where_eval(const wn_where *w, const wn_doc *d, bool *missing);

/* Does the expression name the signal that `reason` drops on? Filters name a drop reason
 * after its signal ("gopher.symbol_ratio"), so what-if can tell the decisions EXPR makes
 * again from those of the other rules. */
bool wn_where_decides(const wn_where *w, const char *reason);

/* Notes which of the attributes w names d has (safe from several threads at once). */
void wn_where_note_present(wn_where *w, const wn_doc *d);

/* After documents were noted: the k-th name w uses that no document had, or NULL (also
 * when none was noted). */
const char *wn_where_absent_name(const wn_where *w, size_t k);

/* After documents were noted: how many of the names w uses no document had, listed into
 * out as "'a', 'b'" (a misspelled signal fails every comparison). 0 when none was noted. */
size_t wn_where_absent_names(const wn_where *w, wn_buf *out);

/* A stage keeping documents that satisfy the expression; the others are dropped with the
 * reason "where: <expr>"; at the end it warns of names no document had
 * (counted as where.attribute_never_present). Takes ownership of w. */
wn_stage *wn_where_stage_new(wn_where *w);

#endif
