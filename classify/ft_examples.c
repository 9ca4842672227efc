/* ft_examples.c: the training lines, encoded once (input rows, labels, token count) and
 * spooled to an unlinked temporary file that the epochs read through mmap. The corpus is
 * thus never held in process memory; the page cache keeps what fits and the kernel pages
 * the rest. Only an 8-byte offset per line stays in memory. */
#include "classify/ft_internal.h"

#include "core/buf.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int wn_ft_examples_open(wn_ft_examples *e, char *err, size_t errlen)
{
    memset(e, 0, sizeof *e);
    const char *dir = getenv("TMPDIR");
    char path[4096];
    snprintf(path, sizeof path, "%s/winnow-fasttext-XXXXXX", dir && *dir ? dir : "/tmp");
    int fd = mkstemp(path);
    if (fd < 0 || !(e->spool = fdopen(fd, "w+b"))) {
        snprintf(err, errlen, "cannot create a temporary file in '%s': %s",
                 dir && *dir ? dir : "/tmp", strerror(errno));
        if (fd >= 0)
            close(fd);
        return -1;
    }
    unlink(path); /* gone from the directory; the space is freed when we close it */
    return 0;
}

int wn_ft_examples_add(wn_ft_examples *e, int32_t ntokens, const wn_ft_ivec *rows,
                       const wn_ft_ivec *labels)
{
    if (e->n == e->cap) {
        e->cap = e->cap ? e->cap * 2 : 4096;
        e->off = wn_xrealloc(e->off, e->cap * sizeof *e->off);
    }
    e->off[e->n++] = e->bytes / sizeof(int32_t);
    int32_t head[3] = { ntokens, (int32_t)rows->n, (int32_t)labels->n };
    /* an empty vector may have no storage: fwrite's pointer must not be NULL (UBSan) */
    if (fwrite(head, sizeof head, 1, e->spool) != 1 ||
        (rows->n && fwrite(rows->v, sizeof(int32_t), rows->n, e->spool) != rows->n) ||
        (labels->n && fwrite(labels->v, sizeof(int32_t), labels->n, e->spool) != labels->n))
        return -1;
    e->bytes += sizeof head + (rows->n + labels->n) * sizeof(int32_t);
    return 0;
}

int wn_ft_examples_seal(wn_ft_examples *e, char *err, size_t errlen)
{
    if (fflush(e->spool) != 0 || e->bytes == 0) {
        snprintf(err, errlen, "cannot write the temporary file of encoded lines: %s",
                 e->bytes ? strerror(errno) : "no lines");
        return -1;
    }
    void *p = mmap(NULL, e->bytes, PROT_READ, MAP_SHARED, fileno(e->spool), 0);
    if (p == MAP_FAILED) {
        snprintf(err, errlen, "cannot map the encoded lines: %s", strerror(errno));
        return -1;
    }
    e->map = p;
    return 0;
}

void wn_ft_examples_release(wn_ft_examples *e)
{
    if (e->map)
        munmap((void *)e->map, e->bytes);
    if (e->spool)
        fclose(e->spool);
    free(e->off);
    memset(e, 0, sizeof *e);
}
