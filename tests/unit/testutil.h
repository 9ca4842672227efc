/* testutil.h: helpers shared by the cmocka unit tests.
 *
 * Tests that read real data find it under $WINNOW_SHARED/data (../shared/data beside the
 * repository). When it is missing, the test is reported as skipped, never as passed. */
#ifndef WN_TESTUTIL_H
#define WN_TESTUTIL_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

/* Path of shared/data/<rel> in buf, or skip() the current test when it is not there. */
#define SHARED_OR_SKIP(buf, rel)                                                       \
    do {                                                                               \
        const char *root_ = getenv("WINNOW_SHARED");                                   \
        snprintf((buf), sizeof(buf), "%s/data/%s", root_ ? root_ : "../shared", (rel)); \
        if (access((buf), R_OK) != 0) {                                                \
            print_message("shared data '%s' not found: skipped\n", (buf));             \
            skip();                                                                    \
        }                                                                              \
    } while (0)

/* A fresh temporary directory for one test (removed by tmpdir_remove). */
static inline char *tmpdir_new(void)
{
    char *t = strdup("/tmp/winnow-test-XXXXXX");
    if (!mkdtemp(t)) {
        free(t);
        return NULL;
    }
    return t;
}

static inline void tmpdir_remove(char *t)
{
    if (!t)
        return;
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", t);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", t);
    free(t);
}

#endif
