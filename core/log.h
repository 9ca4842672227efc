/* log.h: messages to stderr, in git's style: lowercase, no full stop, subject quoted.
 *
 * Only the CLI exits; library code reports and returns an error. wn_fatal is reserved for
 * conditions nothing can recover from (out of memory).
 */
#ifndef WN_LOG_H
#define WN_LOG_H

#include <stdbool.h>

/* Set by the CLI from --quiet / -v. */
extern int wn_log_verbosity; /* 0 quiet, 1 normal, 2 verbose */

void wn_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wn_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wn_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void wn_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
_Noreturn void wn_fatal(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
