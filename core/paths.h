/* paths.h: where winnow finds the data files it ships (tokenizer, language-ID model, word
 * lists) at run time, so the product never needs ../shared.
 *
 * wn_data_path("models/lid.176.ftz", buf, n) tries, in order:
 *   $WINNOW_DATA/<rel>;  <dir of the executable>/data/<rel>;
 *   <dir of the executable>/../share/winnow/<rel>;  WINNOW_DATADIR/<rel> (set at build).
 * It returns buf with the first that exists, or NULL (buf then holds the first candidate,
 * for the error message).
 */
#ifndef WN_PATHS_H
#define WN_PATHS_H

#include <stddef.h>

const char *wn_data_path(const char *rel, char *buf, size_t n);

#endif
