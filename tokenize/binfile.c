/* binfile.c: see binfile.h. Integers are written little-endian byte by byte, so the files
 * are the same on any host. */
#include "tokenize/binfile.h"

#include "core/buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int wn_binfile_open(wn_binfile *b, const char *path, char *err, size_t errlen)
{
    memset(b, 0, sizeof *b);
    b->path = wn_xstrdup(path);
    wn_buf t = WN_BUF_INIT;
    wn_buf_appendf(&t, "%s.tmp-%ld", path, (long)getpid());
    b->tmp = wn_buf_detach(&t, NULL);
    b->f = fopen(b->tmp, "w+b");
    if (!b->f) {
        snprintf(err, errlen, "cannot create '%s': %s", b->tmp, strerror(errno));
        free(b->path);
        free(b->tmp);
        memset(b, 0, sizeof *b);
        return -1;
    }
    setvbuf(b->f, NULL, _IOFBF, 1 << 20);
    return 0;
}

void wn_binfile_write(wn_binfile *b, const void *data, size_t n)
{
    if (n && fwrite(data, 1, n, b->f) != n)
        b->failed = errno ? errno : EIO;
}

void wn_binfile_u8(wn_binfile *b, uint8_t v)
{
    wn_binfile_write(b, &v, 1);
}

void wn_binfile_u32(wn_binfile *b, uint32_t v)
{
    uint8_t le[4] = { (uint8_t)v, (uint8_t)(v >> 8), (uint8_t)(v >> 16), (uint8_t)(v >> 24) };
    wn_binfile_write(b, le, 4);
}

void wn_binfile_u64(wn_binfile *b, uint64_t v)
{
    uint8_t le[8];
    for (int i = 0; i < 8; i++)
        le[i] = (uint8_t)(v >> (8 * i));
    wn_binfile_write(b, le, 8);
}

void wn_binfile_u32s(wn_binfile *b, const uint32_t *v, size_t n)
{
#if __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
    wn_binfile_write(b, v, n * sizeof *v);
#else
    for (size_t i = 0; i < n; i++)
        wn_binfile_u32(b, v[i]);
#endif
}

void wn_binfile_patch(wn_binfile *b, long offset, const void *data, size_t n)
{
    if (fseek(b->f, offset, SEEK_SET) != 0)
        b->failed = errno;
    wn_binfile_write(b, data, n);
    if (fseek(b->f, 0, SEEK_END) != 0)
        b->failed = errno;
}

int wn_binfile_commit(wn_binfile *b, char *err, size_t errlen)
{
    int rc = 0;
    if (fclose(b->f) != 0 && !b->failed)
        b->failed = errno ? errno : EIO;
    b->f = NULL;
    if (b->failed) {
        snprintf(err, errlen, "cannot write '%s': %s", b->tmp, strerror(b->failed));
        unlink(b->tmp);
        rc = -1;
    } else if (rename(b->tmp, b->path) != 0) {
        snprintf(err, errlen, "cannot rename '%s' to '%s': %s", b->tmp, b->path,
                 strerror(errno));
        unlink(b->tmp);
        rc = -1;
    }
    free(b->path);
    free(b->tmp);
    memset(b, 0, sizeof *b);
    return rc;
}

void wn_binfile_abort(wn_binfile *b)
{
    if (b->f) {
        fclose(b->f);
        unlink(b->tmp);
    }
    free(b->path);
    free(b->tmp);
    memset(b, 0, sizeof *b);
}
