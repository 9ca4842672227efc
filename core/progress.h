/* progress.h: the progress line on a terminal ("docs, MB, MB/s, ETA"), redrawn at most a
 * few times a second, only when stderr is a TTY and not --quiet. Process-wide; call from
 * one thread. wn_progress_clear_line lets log messages print over it cleanly. */
#ifndef WN_PROGRESS_H
#define WN_PROGRESS_H

#include <stdbool.h>
#include <stdint.h>

void wn_progress_begin(const char *label, uint64_t total_bytes, bool quiet);
void wn_progress_update(uint64_t docs, uint64_t bytes);
void wn_progress_end(void);
void wn_progress_clear_line(void);
double wn_now(void); /* monotonic seconds */

#endif
