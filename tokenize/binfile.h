/* binfile.h: a binary output file written under "<path>.tmp-<pid>" and renamed into place
 * on commit (like core/io.h wn_out), but seekable, so a header can be patched at the end
 * (llm.c's token count). Little-endian helpers for the shard formats. */
#ifndef WN_BINFILE_H
#define WN_BINFILE_H

#include <stdint.h>
#include <stdio.h>

typedef struct wn_binfile {
    char *path, *tmp;
    FILE *f;
    int failed;
} wn_binfile;

int wn_binfile_open(wn_binfile *b, const char *path, char *err, size_t errlen);
void wn_binfile_write(wn_binfile *b, const void *data, size_t n);
void wn_binfile_u8(wn_binfile *b, uint8_t v);
void wn_binfile_u32(wn_binfile *b, uint32_t v);
void wn_binfile_u64(wn_binfile *b, uint64_t v);
/* n 32-bit values, little-endian (int32 and uint32 alike). */
void wn_binfile_u32s(wn_binfile *b, const uint32_t *v, size_t n);
/* Overwrite bytes at offset (then continue at the end). */
void wn_binfile_patch(wn_binfile *b, long offset, const void *data, size_t n);
/* Close and rename; 0 or -1 with a message. Frees the names either way. */
int wn_binfile_commit(wn_binfile *b, char *err, size_t errlen);
/* Close and remove the temporary. Accepts a never-opened (zeroed) file. */
void wn_binfile_abort(wn_binfile *b);

#endif
