/* paths.c: see paths.h. */
#include "core/paths.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef WINNOW_DATADIR
#define WINNOW_DATADIR "/usr/share/winnow"
#endif

static int exists(const char *p)
{
    return access(p, R_OK) == 0;
}

const char *wn_data_path(const char *rel, char *buf, size_t n)
{
    char first[PATH_MAX] = "";
    const char *env = getenv("WINNOW_DATA");
    if (env && *env) {
        snprintf(buf, n, "%s/%s", env, rel);
        snprintf(first, sizeof first, "%s", buf);
        if (exists(buf))
            return buf;
    }
    char exe[PATH_MAX];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len > 0) {
        exe[len] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        const char *fmts[] = { "%s/data/%s", "%s/../data/%s", "%s/../share/winnow/%s" };
        for (size_t i = 0; i < sizeof fmts / sizeof *fmts; i++) {
            snprintf(buf, n, fmts[i], exe, rel);
            if (!first[0])
                snprintf(first, sizeof first, "%s", buf);
            if (exists(buf))
                return buf;
        }
    }
    snprintf(buf, n, "%s/%s", WINNOW_DATADIR, rel);
    if (exists(buf))
        return buf;
    snprintf(buf, n, "%s", first[0] ? first : rel);
    return NULL;
}
