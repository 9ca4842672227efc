/* log.c: stderr messages; see log.h. One fprintf per message so threads do not interleave. */
#include "core/log.h"
#include "core/progress.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

int wn_log_verbosity = 1;

static void emit(const char *prefix, const char *fmt, va_list ap)
{
    char msg[2048];
    vsnprintf(msg, sizeof msg, fmt, ap);
    wn_progress_clear_line();
    fprintf(stderr, "%s%s\n", prefix, msg);
}

#define WN_LOG_FN(name, prefix, min)      \
    void name(const char *fmt, ...)       \
    {                                     \
        if (wn_log_verbosity < (min))     \
            return;                       \
        va_list ap;                       \
        va_start(ap, fmt);                \
        emit(prefix, fmt, ap);            \
        va_end(ap);                       \
    }

WN_LOG_FN(wn_error, "error: ", 0)
WN_LOG_FN(wn_warn, "warning: ", 1)
WN_LOG_FN(wn_info, "", 1)
WN_LOG_FN(wn_debug, "debug: ", 2)

void wn_fatal(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    emit("fatal: ", fmt, ap);
    va_end(ap);
    exit(70);
}
