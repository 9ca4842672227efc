/* io.h: byte streams in and out, with gzip and zstd detected on input and chosen by file
 * extension on output.
 *
 * Input (wn_in): compression is detected from the first bytes, not the name: gzip (1f 8b,
 * any number of members back to back, as .warc.gz needs), zstd (28 b5 2f fd, or a skippable
 * frame 5? 2a 4d 18 first; a first 5d 2a 4d 18 frame holds the dictionary of the frames
 * after it, as in a dictionary-compressed .warc.zst), or plain. `raw_offset` is the position in the file as stored
 * (compressed), which is what an error report names: it lets a user seek to the member.
 *
 * Output (wn_out): written to "<path>.tmp-<pid>" and renamed to <path> by wn_out_commit, so
 * a crash never leaves a half-written file under the final name. wn_out_abort removes the
 * temporary. ".gz" -> gzip, ".zst" -> zstd (level 3 by default), otherwise plain.
 *
 * Ownership: the stream owns its buffers; pointers returned by wn_in_line stay valid until
 * the next call on the same stream. Streams are not shared between threads.
 */
#ifndef WN_IO_H
#define WN_IO_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

typedef enum {
    WN_COMP_AUTO = 0, /* detect (input) or by extension (output) */
    WN_COMP_NONE,
    WN_COMP_GZIP,
    WN_COMP_ZSTD,
} wn_compression;

typedef struct wn_in wn_in;

/* Open `path` ("-" is stdin). NULL with a message in err (may be NULL) on failure. */
wn_in *wn_in_open(const char *path, wn_compression comp, char *err, size_t errlen);
/* Wrap an in-memory buffer (not copied; must outlive the stream). */
wn_in *wn_in_open_mem(const void *data, size_t len, const char *name, wn_compression comp);
void wn_in_close(wn_in *in);

const char *wn_in_name(const wn_in *in);
wn_compression wn_in_compression(const wn_in *in);

/* Read up to n bytes of decompressed data; returns bytes read, 0 at end, -1 on a
 * container error (see wn_in_errmsg). */
ssize_t wn_in_read(wn_in *in, void *dst, size_t n);
/* Skip n decompressed bytes; returns bytes skipped (< n at end or on error). */
size_t wn_in_skip(wn_in *in, size_t n);
/* Look at up to n bytes ahead without consuming them; returns how many are available. */
size_t wn_in_peek(wn_in *in, const char **p, size_t n);
/* Put n bytes just consumed back in front of the stream (a reader that read too far, e.g.
 * past a wrong WARC Content-Length); the decompressed offset moves back by n. `data` must
 * not point into the stream's own buffers. */
void wn_in_unread(wn_in *in, const void *data, size_t n);

/* Next line without its '\n' (a trailing '\r' is kept). Returns NULL at end or on error
 * (wn_in_failed tells which). Lines of any length are returned whole, unless a limit is
 * set (wn_in_set_max_line). */
const char *wn_in_line(wn_in *in, size_t *len);
/* Lines longer than max bytes (0: no limit, the default) are cut: wn_in_line returns their
 * first max bytes and skips the rest without keeping it, so memory stays bounded whatever
 * the input holds. */
void wn_in_set_max_line(wn_in *in, size_t max);
/* The full length of the line wn_in_line last returned when it was cut, else 0. */
uint64_t wn_in_line_cut(const wn_in *in);

/* Offsets: decompressed bytes consumed so far, and the compressed position of the start of
 * the current gzip member / zstd frame (for plain files, equal to the decompressed one). */
uint64_t wn_in_offset(const wn_in *in);
uint64_t wn_in_raw_offset(const wn_in *in);
uint64_t wn_in_member_offset(const wn_in *in);
/* The stored position of the member / frame holding decompressed byte `pos` (a byte read
 * recently: the last 64 members are remembered); for plain files, pos. */
uint64_t wn_in_member_offset_at(const wn_in *in, uint64_t pos);
/* Where a user finds the record (or line) that starts at decompressed byte `pos`, when the
 * one before it started at `prev` (UINT64_MAX: none): the stored offset of the member /
 * frame holding pos when that member starts after `prev` (seek there and decompress: this
 * record comes first); otherwise, as in a WARC compressed as one zstd frame, no stored
 * offset leads to it, so pos itself, an offset in the decompressed data, with *decompressed
 * set. For plain files, pos. */
uint64_t wn_in_record_offset(const wn_in *in, uint64_t pos, uint64_t prev, bool *decompressed);
/* Bytes of the underlying file read so far (for progress). */
uint64_t wn_in_raw_consumed(const wn_in *in);
/* Size of the file as stored, 0 when unknown (stdin). */
uint64_t wn_in_raw_size(const wn_in *in);

bool wn_in_failed(const wn_in *in);
const char *wn_in_errmsg(const wn_in *in);
/* The failure is bytes that are not gzip after a complete member: everything read before
 * it is whole. */
bool wn_in_failed_after_member(const wn_in *in);
/* After a container error in a gzip / zstd stream: look for the next gzip member / zstd
 * frame header after the failure point and continue from there. Returns true when reading
 * can go on; the bytes skipped are lost and should be reported by the caller. */
bool wn_in_resync(wn_in *in);

/* Whole-file convenience (tests, small configs). Returns malloc'd bytes, NUL-terminated. */
char *wn_read_file(const char *path, size_t *len, char *err, size_t errlen);
/* The XXH3-128 of the file's bytes as stored (not decompressed), streamed: digest[0] its low
 * 64 bits, digest[1] its high ones, *bytes how many were hashed (the file may grow while it
 * is read). 0, or -1 with errno set when it cannot be opened or read. The one way winnow
 * fingerprints whole files (mix inputs, run fingerprints, dedup inputs). */
int wn_file_xxh3_128(const char *path, uint64_t digest[2], uint64_t *bytes);

typedef struct wn_out wn_out;

wn_out *wn_out_open(const char *path, wn_compression comp, int level, char *err, size_t errlen);
/* zstd: compress in the calling thread rather than in a zstd worker thread, for a caller
 * that writes from a thread of its own. Call before the first write. The bytes differ from
 * the worker's (both decompress to the same data), so a caller chooses one way for good. */
void wn_out_zstd_inline(wn_out *out);
int wn_out_write(wn_out *out, const void *data, size_t n);
/* Uncompressed bytes written so far. */
uint64_t wn_out_bytes(const wn_out *out);
/* Finish compression, fsync-free close, rename into place. 0 on success. */
int wn_out_commit(wn_out *out, char *err, size_t errlen);
/* Close and remove the temporary. Accepts NULL. */
void wn_out_abort(wn_out *out);
const char *wn_out_path(const wn_out *out);

/* mkdir -p. 0 on success (the directory exists); -1 with errno set. */
int wn_mkdirs(const char *path);

#endif
