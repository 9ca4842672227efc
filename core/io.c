/* io.c: compressed byte streams; see io.h.
 *
 * Input keeps two buffers: `raw` (bytes as stored) and `buf` (decompressed). Everything above
 * (lines, reads, peeks) works on `buf`; fill() is the only place that talks to the
 * decoders, so member boundaries, truncation and resynchronisation are handled in one spot.
 *
 * gzip is read with ISA-L's igzip, which inflates 2-2.5x faster than zlib (64 MB of JSONL:
 * 0.24 -> 0.11 s) and, like zlib, stops exactly at a member's end, so multi-member files
 * (a .warc.gz has one member per record) are read member by member as before. zlib still
 * writes gzip output.
 */
#include "core/io.h"
#include "core/buf.h"

#include <errno.h>
#include <fcntl.h>
#include <isa-l/igzip_lib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>
#include <zlib.h>
#include <zstd.h>

#define RAW_CHUNK (1u << 20)
#define BUF_INIT (1u << 20)
#define MEMBER_STARTS 64

struct wn_in {
    char *name;
    int fd;              /* -1 for memory input */
    wn_compression comp;
    uint64_t raw_size;

    unsigned char *raw;  /* raw (stored) bytes; for memory input points at the caller's */
    size_t raw_len, raw_pos;
    uint64_t raw_base;   /* file offset of raw[0] */
    bool raw_eof, raw_owned;

    char *buf;           /* decompressed */
    size_t buf_len, buf_pos, buf_cap;
    size_t line_scan;    /* where the last newline search stopped (relative to buf_pos) */
    size_t max_line;     /* longer lines are cut (wn_in_set_max_line); 0: no limit */
    uint64_t cut_len;    /* the full length of the last line returned, when it was cut */
    uint64_t produced;   /* decompressed bytes ever produced */

    struct inflate_state *gz; /* 85 KB (window, tables), so only for gzip input */
    bool in_member;
    ZSTD_DStream *zds;
    uint64_t member_offset;
    /* The last members' starts, decompressed -> stored offset, so a reader can name the
     * member that holds a byte it read even when the buffer already reaches the next one. */
    struct { uint64_t produced, raw; } starts[MEMBER_STARTS];
    unsigned n_starts;

    bool eof, failed, failed_after_member;
    uint64_t fail_raw_offset;
    char errmsg[256];
};

static void in_fail(wn_in *in, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void in_fail(wn_in *in, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(in->errmsg, sizeof in->errmsg, fmt, ap);
    va_end(ap);
    in->failed = true;
    in->fail_raw_offset = in->raw_base + in->raw_pos;
}

/* Up to cap bytes of the file into dst: how many, 0 at its end or on an error (failed). */
static size_t read_some(wn_in *in, void *dst, size_t cap)
{
    for (;;) {
        ssize_t n = read(in->fd, dst, cap);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0)
            in_fail(in, "read error: %s", strerror(errno));
        if (n <= 0) {
            in->raw_eof = true;
            return 0;
        }
        return (size_t)n;
    }
}

/* Make sure raw has unread bytes; returns false at end of file or on a read error. */
static bool raw_more(wn_in *in)
{
    if (in->raw_pos < in->raw_len)
        return true;
    if (in->raw_eof || in->fd < 0) {
        in->raw_eof = true;
        return false;
    }
    in->raw_base += in->raw_len;
    in->raw_len = in->raw_pos = 0;
    in->raw_len = read_some(in, in->raw, RAW_CHUNK);
    return in->raw_len > 0;
}

static void detect(wn_in *in)
{
    if (in->comp != WN_COMP_AUTO)
        return;
    in->comp = WN_COMP_NONE;
    if (!raw_more(in))
        return;
    /* A magic can straddle the first read only for tiny pipes; good enough. */
    const unsigned char *p = in->raw + in->raw_pos;
    size_t n = in->raw_len - in->raw_pos;
    if (n >= 2 && p[0] == 0x1f && p[1] == 0x8b)
        in->comp = WN_COMP_GZIP;
    else if (n >= 4 && ((p[0] == 0x28 && p[1] == 0xb5 && p[2] == 0x2f && p[3] == 0xfd) ||
                        ((p[0] & 0xf0) == 0x50 && p[1] == 0x2a && p[2] == 0x4d && p[3] == 0x18)))
        in->comp = WN_COMP_ZSTD;
}

static wn_in *in_new(const char *name, wn_compression comp)
{
    wn_in *in = wn_xcalloc(1, sizeof *in);
    in->name = wn_xstrdup(name);
    in->fd = -1;
    in->comp = comp;
    in->buf_cap = BUF_INIT;
    in->buf = wn_xmalloc(in->buf_cap + 1);
    return in;
}

/* A .warc.zst may start with its frames' dictionary in a skippable frame of magic
 * 0x184D2A5D (IIPC's "Zstandard Compression for WARC Files"; ArchiveTeam's wget-at writes
 * them), itself zstd-compressed or not: load it for the frames that follow. (zstd skips any
 * other skippable frame by itself.) */
static void load_zstd_dictionary(wn_in *in)
{
    if (!raw_more(in) || in->raw_len - in->raw_pos < 8)
        return;
    const unsigned char *p = in->raw + in->raw_pos;
    if (!(p[0] == 0x5D && p[1] == 0x2A && p[2] == 0x4D && p[3] == 0x18))
        return;
    uint32_t size = p[4] | (uint32_t)p[5] << 8 | (uint32_t)p[6] << 16 | (uint32_t)p[7] << 24;
    in->raw_pos += 8;
    wn_buf dict = WN_BUF_INIT, plain = WN_BUF_INIT;
    while (dict.len < size && raw_more(in)) {
        size_t take = in->raw_len - in->raw_pos;
        if (take > size - dict.len)
            take = size - dict.len;
        wn_buf_append(&dict, in->raw + in->raw_pos, take);
        in->raw_pos += take;
    }
    const wn_buf *use = &dict;
    if (dict.len < size) {
        in_fail(in, "the file ends inside its zstd dictionary frame (%u bytes announced)", size);
    } else if (size >= 4 && !memcmp(dict.data, "\x28\xb5\x2f\xfd", 4)) {
        /* compressed (its size not always in its frame header): decompress it whole */
        ZSTD_DStream *ds = ZSTD_createDStream();
        ZSTD_inBuffer ib = { dict.data, dict.len, 0 };
        size_t rc = 1;
        while (ds && rc != 0 && !ZSTD_isError(rc) && plain.len < (1u << 30)) {
            wn_buf_grow(&plain, 1u << 16);
            ZSTD_outBuffer ob = { plain.data + plain.len, plain.cap - plain.len - 1, 0 };
            rc = ZSTD_decompressStream(ds, &ob, &ib);
            plain.len += ob.pos;
            plain.data[plain.len] = '\0';
            if (!ZSTD_isError(rc) && rc != 0 && ib.pos == ib.size && ob.pos == 0)
                break; /* cut short */
        }
        ZSTD_freeDStream(ds);
        if (rc != 0)
            in_fail(in, "corrupt compressed dictionary in the zstd dictionary frame (%s)",
                    ZSTD_isError(rc) ? ZSTD_getErrorName(rc) : "truncated");
        use = &plain;
    }
    if (!in->failed && ZSTD_isError(ZSTD_DCtx_loadDictionary(in->zds, use->data, use->len)))
        in_fail(in, "the zstd dictionary frame holds no usable dictionary");
    wn_buf_release(&dict);
    wn_buf_release(&plain);
}

static void setup_decoder(wn_in *in)
{
    detect(in);
    if (in->comp == WN_COMP_GZIP) {
        in->gz = wn_xmalloc(sizeof *in->gz);
        isal_inflate_init(in->gz);
    } else if (in->comp == WN_COMP_ZSTD) {
        in->zds = ZSTD_createDStream();
        if (!in->zds)
            wn_xmalloc((size_t)-1 / 2); /* unreachable in practice: treat as OOM */
        ZSTD_initDStream(in->zds);
        load_zstd_dictionary(in);
    }
}

wn_in *wn_in_open(const char *path, wn_compression comp, char *err, size_t errlen)
{
    int fd = strcmp(path, "-") == 0 ? STDIN_FILENO : open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        if (err)
            snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
        if (err)
            snprintf(err, errlen, "cannot read '%s': is a directory", path);
        close(fd);
        return NULL;
    }
    wn_in *in = in_new(path, comp);
    in->fd = fd;
    in->raw_size = S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
    in->raw = wn_xmalloc(RAW_CHUNK);
    in->raw_owned = true;
#ifdef POSIX_FADV_SEQUENTIAL
    posix_fadvise(fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    setup_decoder(in);
    return in;
}

wn_in *wn_in_open_mem(const void *data, size_t len, const char *name, wn_compression comp)
{
    wn_in *in = in_new(name ? name : "<memory>", comp);
    in->raw = (unsigned char *)data;
    in->raw_len = len;
    in->raw_size = len;
    in->raw_eof = true;
    setup_decoder(in);
    return in;
}

void wn_in_close(wn_in *in)
{
    if (!in)
        return;
    free(in->gz);
    if (in->zds)
        ZSTD_freeDStream(in->zds);
    if (in->fd > STDIN_FILENO)
        close(in->fd);
    if (in->raw_owned)
        free(in->raw);
    free(in->buf);
    free(in->name);
    free(in);
}

const char *wn_in_name(const wn_in *in) { return in->name; }
wn_compression wn_in_compression(const wn_in *in) { return in->comp; }
bool wn_in_failed(const wn_in *in) { return in->failed; }
const char *wn_in_errmsg(const wn_in *in) { return in->failed ? in->errmsg : ""; }
bool wn_in_failed_after_member(const wn_in *in) { return in->failed && in->failed_after_member; }
uint64_t wn_in_offset(const wn_in *in) { return in->produced - (in->buf_len - in->buf_pos); }
uint64_t wn_in_raw_consumed(const wn_in *in) { return in->raw_base + in->raw_pos; }
uint64_t wn_in_raw_size(const wn_in *in) { return in->raw_size; }

uint64_t wn_in_raw_offset(const wn_in *in)
{
    if (in->comp == WN_COMP_NONE)
        return wn_in_offset(in);
    return in->raw_base + in->raw_pos;
}

uint64_t wn_in_member_offset(const wn_in *in)
{
    return in->comp == WN_COMP_NONE ? wn_in_offset(in) : in->member_offset;
}

uint64_t wn_in_member_offset_at(const wn_in *in, uint64_t pos)
{
    if (in->comp == WN_COMP_NONE)
        return pos;
    for (unsigned k = 0; k < in->n_starts && k < MEMBER_STARTS; k++) {
        unsigned i = (in->n_starts - 1 - k) % MEMBER_STARTS;
        if (in->starts[i].produced <= pos)
            return in->starts[i].raw;
    }
    return in->member_offset;
}

uint64_t wn_in_record_offset(const wn_in *in, uint64_t pos, uint64_t prev, bool *decompressed)
{
    *decompressed = false;
    if (in->comp == WN_COMP_NONE)
        return pos;
    for (unsigned k = 0; k < in->n_starts && k < MEMBER_STARTS; k++) {
        unsigned i = (in->n_starts - 1 - k) % MEMBER_STARTS;
        if (in->starts[i].produced <= pos) {
            if (prev == UINT64_MAX || in->starts[i].produced > prev)
                return in->starts[i].raw;
            break;
        }
    }
    *decompressed = true;
    return pos;
}

/* A member (frame) starts at the stored position `raw`; its data will begin `ahead` bytes
 * after everything decompressed before this fill. */
static void member_started(wn_in *in, uint64_t raw, size_t ahead)
{
    in->member_offset = raw;
    unsigned i = in->n_starts++ % MEMBER_STARTS;
    in->starts[i].produced = in->produced + ahead;
    in->starts[i].raw = raw;
}

/* Compact buf and make room for at least one more chunk. */
static void make_room(wn_in *in)
{
    if (in->buf_pos > 0) {
        memmove(in->buf, in->buf + in->buf_pos, in->buf_len - in->buf_pos);
        in->buf_len -= in->buf_pos;
        in->buf_pos = 0;
    }
    if (in->buf_cap - in->buf_len < BUF_INIT / 4) {
        in->buf_cap *= 2;
        in->buf = wn_xrealloc(in->buf, in->buf_cap + 1);
    }
}

static size_t fill_plain(wn_in *in)
{
    if (in->raw_pos == in->raw_len && !in->raw_eof && in->fd >= 0) {
        /* nothing read ahead (the format sniffing's bytes are used up): read straight into
         * the line buffer, without a copy through raw (lines of a 24 MB file: 5.6 -> 4.0 ms) */
        in->raw_base += in->raw_len;
        in->raw_len = in->raw_pos = 0;
        size_t n = read_some(in, in->buf + in->buf_len, in->buf_cap - in->buf_len);
        in->raw_base += n;
        in->buf_len += n;
        return n;
    }
    if (!raw_more(in))
        return 0;
    size_t n = in->raw_len - in->raw_pos, room = in->buf_cap - in->buf_len;
    if (n > room)
        n = room;
    memcpy(in->buf + in->buf_len, in->raw + in->raw_pos, n);
    in->raw_pos += n;
    in->buf_len += n;
    return n;
}

static bool at_gzip_magic(wn_in *in)
{
    /* Two bytes may straddle a raw refill; handle by peeking after refilling. */
    if (!raw_more(in))
        return false;
    if (in->raw_len - in->raw_pos >= 2)
        return in->raw[in->raw_pos] == 0x1f && in->raw[in->raw_pos + 1] == 0x8b;
    return in->raw[in->raw_pos] == 0x1f; /* best effort at a chunk edge */
}

/* What igzip's error codes mean, in zlib's words where zlib has them. */
static const char *igzip_error(int rc)
{
    switch (rc) {
    case ISAL_INVALID_BLOCK: return "invalid block";
    case ISAL_INVALID_SYMBOL: return "invalid code";
    case ISAL_INVALID_LOOKBACK: return "invalid distance too far back";
    case ISAL_INVALID_WRAPPER: return "invalid gzip header";
    case ISAL_UNSUPPORTED_METHOD: return "unknown compression method";
    case ISAL_INCORRECT_CHECKSUM: return "incorrect data check";
    default: return "inflate error";
    }
}

static size_t fill_gzip(wn_in *in)
{
    size_t produced = 0;
    while (produced == 0) {
        if (!in->in_member) {
            if (!raw_more(in))
                return 0; /* clean end between members */
            if (!at_gzip_magic(in)) {
                in_fail(in, "data after the last gzip member is not gzip");
                in->failed_after_member = true;
                return 0;
            }
            isal_inflate_reset(in->gz);
            in->gz->crc_flag = ISAL_GZIP; /* parse the header, check the CRC and length */
            member_started(in, in->raw_base + in->raw_pos, produced);
            in->in_member = true;
        }
        if (!raw_more(in)) {
            if (!in->failed)
                in_fail(in, "truncated gzip member starting at offset %llu",
                        (unsigned long long)in->member_offset);
            return 0;
        }
        size_t avail_in = in->raw_len - in->raw_pos, room = in->buf_cap - in->buf_len;
        if (room > UINT32_MAX)
            room = UINT32_MAX; /* igzip counts in 32 bits; RAW_CHUNK keeps avail_in small */
        in->gz->next_in = in->raw + in->raw_pos;
        in->gz->avail_in = (uint32_t)avail_in;
        in->gz->next_out = (uint8_t *)in->buf + in->buf_len;
        in->gz->avail_out = (uint32_t)room;
        int rc = isal_inflate(in->gz);
        size_t used = avail_in - in->gz->avail_in, out = room - in->gz->avail_out;
        in->raw_pos += used;
        in->buf_len += out;
        produced += out;
        if (rc != ISAL_DECOMP_OK) {
            in_fail(in, "corrupt gzip data (%s) in member at offset %llu", igzip_error(rc),
                    (unsigned long long)in->member_offset);
            return produced;
        }
        if (in->gz->block_state == ISAL_BLOCK_FINISH) {
            in->in_member = false; /* igzip has given back what follows the trailer */
        } else if (used == 0 && out == 0) {
            /* input and room, yet no progress: never seen, but a loop here would hang */
            in_fail(in, "gzip decoder stalled in member at offset %llu",
                    (unsigned long long)in->member_offset);
            return produced;
        }
    }
    return produced;
}

static size_t fill_zstd(wn_in *in)
{
    size_t produced = 0;
    while (produced == 0) {
        if (!raw_more(in)) {
            if (in->in_member && !in->failed)
                in_fail(in, "truncated zstd frame starting at offset %llu",
                        (unsigned long long)in->member_offset);
            return 0;
        }
        if (!in->in_member) {
            member_started(in, in->raw_base + in->raw_pos, produced);
            in->in_member = true;
        }
        ZSTD_inBuffer ib = { in->raw, in->raw_len, in->raw_pos };
        /* At most a block's worth a call: given room for a whole small frame, zstd decodes
         * it in one pass and, on an error, returns none of it, losing the records before
         * the damage (a WARC compressed as one frame lost all of them). */
        size_t room = in->buf_cap - in->buf_len, step = ZSTD_DStreamOutSize();
        ZSTD_outBuffer ob = { in->buf + in->buf_len, room < step ? room : step, 0 };
        size_t rc = ZSTD_decompressStream(in->zds, &ob, &ib);
        in->raw_pos = ib.pos;
        in->buf_len += ob.pos;
        produced += ob.pos;
        if (ZSTD_isError(rc)) {
            in_fail(in, "corrupt zstd data (%s) in frame at offset %llu", ZSTD_getErrorName(rc),
                    (unsigned long long)in->member_offset);
            return produced;
        }
        if (rc == 0)
            in->in_member = false;
    }
    return produced;
}

/* Decompress more into buf. Returns bytes added; 0 means end of data or failure. */
static size_t fill(wn_in *in)
{
    if (in->eof || in->failed)
        return 0;
    make_room(in);
    size_t n;
    switch (in->comp) {
    case WN_COMP_GZIP: n = fill_gzip(in); break;
    case WN_COMP_ZSTD: n = fill_zstd(in); break;
    default: n = fill_plain(in); break;
    }
    in->produced += n;
    if (n == 0 && !in->failed)
        in->eof = true;
    return n;
}

bool wn_in_resync(wn_in *in)
{
    /* the header that starts a gzip member (deflate method), or a zstd frame */
    static const unsigned char gzip_magic[] = { 0x1f, 0x8b, 0x08 }, zstd_magic[] = { 0x28, 0xb5, 0x2f, 0xfd };
    if (!in->failed || (in->comp != WN_COMP_GZIP && in->comp != WN_COMP_ZSTD))
        return false;
    const unsigned char *magic = in->comp == WN_COMP_GZIP ? gzip_magic : zstd_magic;
    size_t mlen = in->comp == WN_COMP_GZIP ? sizeof gzip_magic : sizeof zstd_magic;
    if (in->comp == WN_COMP_ZSTD)
        ZSTD_DCtx_reset(in->zds, ZSTD_reset_session_only);
    /* Resume after the start of the broken member, at the next member header. */
    in->failed = in->failed_after_member = false;
    in->errmsg[0] = '\0';
    in->eof = false;
    in->in_member = false;
    uint64_t from = in->member_offset + 1;
    if (from > in->raw_base + in->raw_pos) {
        /* the decoder refused the member without consuming its first byte (zstd does so
         * for a small frame it decodes in one pass): step over that byte */
        if (!raw_more(in))
            return false;
        in->raw_pos++;
    } else if (from >= in->raw_base)
        in->raw_pos = (size_t)(from - in->raw_base);
    for (;;) {
        if (!raw_more(in))
            return false;
        unsigned char *p = in->raw + in->raw_pos;
        size_t n = in->raw_len - in->raw_pos;
        unsigned char *hit = NULL;
        for (size_t i = 0; i + mlen <= n; i++)
            if (p[i] == magic[0] && !memcmp(p + i, magic, mlen)) {
                hit = p + i;
                break;
            }
        if (hit) {
            in->raw_pos += (size_t)(hit - p);
            return true;
        }
        in->raw_pos = in->raw_len > mlen - 1 ? in->raw_len - (mlen - 1) : in->raw_len;
        if (in->raw_eof || in->fd < 0)
            return false;
        /* keep the last bytes for a header that straddles the refill */
        unsigned char tail[4];
        size_t keep = in->raw_len - in->raw_pos;
        memcpy(tail, in->raw + in->raw_pos, keep);
        in->raw_base += in->raw_pos;
        ssize_t r = read(in->fd, in->raw + keep, RAW_CHUNK - keep);
        memcpy(in->raw, tail, keep);
        in->raw_pos = 0;
        in->raw_len = keep + (r > 0 ? (size_t)r : 0);
        if (r <= 0)
            in->raw_eof = true;
        if (r <= 0 && keep < mlen)
            return false;
    }
}

ssize_t wn_in_read(wn_in *in, void *dst, size_t n)
{
    size_t got = 0;
    char *d = dst;
    while (got < n) {
        size_t avail = in->buf_len - in->buf_pos;
        if (avail == 0) {
            if (fill(in) == 0)
                break;
            continue;
        }
        size_t take = n - got < avail ? n - got : avail;
        memcpy(d + got, in->buf + in->buf_pos, take);
        in->buf_pos += take;
        got += take;
    }
    in->line_scan = 0;
    if (got == 0 && in->failed)
        return -1;
    return (ssize_t)got;
}

size_t wn_in_skip(wn_in *in, size_t n)
{
    size_t done = 0;
    while (done < n) {
        size_t avail = in->buf_len - in->buf_pos;
        if (avail == 0) {
            if (fill(in) == 0)
                break;
            continue;
        }
        size_t take = n - done < avail ? n - done : avail;
        in->buf_pos += take;
        done += take;
    }
    in->line_scan = 0;
    return done;
}

size_t wn_in_peek(wn_in *in, const char **p, size_t n)
{
    while (in->buf_len - in->buf_pos < n && fill(in) > 0)
        ;
    *p = in->buf + in->buf_pos;
    size_t avail = in->buf_len - in->buf_pos;
    return avail < n ? avail : n;
}

void wn_in_unread(wn_in *in, const void *data, size_t n)
{
    size_t avail = in->buf_len - in->buf_pos;
    if (in->buf_pos < n) {
        if (in->buf_cap < avail + n) {
            in->buf_cap = avail + n;
            in->buf = wn_xrealloc(in->buf, in->buf_cap + 1);
        }
        memmove(in->buf + n, in->buf + in->buf_pos, avail);
        in->buf_pos = n;
        in->buf_len = avail + n;
    }
    in->buf_pos -= n;
    memmove(in->buf + in->buf_pos, data, n);
    in->line_scan = 0;
}

void wn_in_set_max_line(wn_in *in, size_t max) { in->max_line = max; }
uint64_t wn_in_line_cut(const wn_in *in) { return in->cut_len; }

/* The line at buf_pos is longer than max_line: its first max_line bytes are kept and
 * returned, and the rest is dropped up to its newline as it streams in, so that a line of
 * any length (a file of binary junk without a newline) costs at most about max_line bytes
 * of memory. The decompressed offset stays right: `produced` counts the dropped bytes. */
static const char *cut_line(wn_in *in, size_t *len)
{
    size_t max = in->max_line;
    uint64_t full = max;
    for (;;) {
        char *rest = in->buf + in->buf_pos + max;
        size_t n = in->buf_len - in->buf_pos - max;
        char *nl = memchr(rest, '\n', n);
        if (nl) {
            size_t before = (size_t)(nl - rest), after = n - before - 1;
            full += before;
            memmove(rest, nl + 1, after);
            in->buf_len = in->buf_pos + max + after;
            break;
        }
        full += n;
        in->buf_len = in->buf_pos + max;
        if (fill(in) == 0)
            break; /* the last line of the input (or the input failed: the caller asks) */
    }
    const char *head = in->buf + in->buf_pos;
    in->buf_pos += max;
    in->line_scan = 0;
    in->cut_len = full;
    *len = max;
    return head;
}

const char *wn_in_line(wn_in *in, size_t *len)
{
    in->cut_len = 0;
    for (;;) {
        char *start = in->buf + in->buf_pos;
        size_t avail = in->buf_len - in->buf_pos;
        char *nl = in->line_scan < avail ? memchr(start + in->line_scan, '\n', avail - in->line_scan) : NULL;
        if (nl) {
            *len = (size_t)(nl - start);
            if (in->max_line && *len > in->max_line)
                return cut_line(in, len);
            in->buf_pos += *len + 1;
            in->line_scan = 0;
            return start;
        }
        if (in->max_line && avail > in->max_line)
            return cut_line(in, len);
        in->line_scan = avail;
        if (fill(in) == 0) {
            start = in->buf + in->buf_pos;
            avail = in->buf_len - in->buf_pos;
            in->line_scan = 0;
            if (avail == 0)
                return NULL;
            /* last line without a newline */
            in->buf[in->buf_len] = '\0';
            *len = avail;
            in->buf_pos = in->buf_len;
            return start;
        }
        /* fill() compacts buf, so line_scan (relative to buf_pos) is still right. */
    }
}

char *wn_read_file(const char *path, size_t *len, char *err, size_t errlen)
{
    wn_in *in = wn_in_open(path, WN_COMP_AUTO, err, errlen);
    if (!in)
        return NULL;
    wn_buf b = WN_BUF_INIT;
    char chunk[65536];
    ssize_t n;
    while ((n = wn_in_read(in, chunk, sizeof chunk)) > 0)
        wn_buf_append(&b, chunk, (size_t)n);
    if (wn_in_failed(in)) {
        if (err)
            snprintf(err, errlen, "cannot read '%s': %s", path, wn_in_errmsg(in));
        wn_in_close(in);
        wn_buf_release(&b);
        return NULL;
    }
    wn_in_close(in);
    return wn_buf_detach(&b, len);
}

int wn_file_xxh3_128(const char *path, uint64_t digest[2], uint64_t *bytes)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    XXH3_state_t *st = XXH3_createState();
    if (!st)
        wn_xmalloc((size_t)-1 / 2); /* out of memory */
    XXH3_128bits_reset(st);
    enum { CHUNK = 1 << 20 };
    char *chunk = wn_xmalloc(CHUNK);
    uint64_t total = 0;
    int rc = 0;
    for (;;) {
        ssize_t n = read(fd, chunk, CHUNK);
        if (n < 0 && errno == EINTR)
            continue;
        if (n < 0) {
            rc = -1;
            break;
        }
        if (n == 0)
            break;
        XXH3_128bits_update(st, chunk, (size_t)n);
        total += (uint64_t)n;
    }
    int saved = errno;
    XXH128_hash_t h = XXH3_128bits_digest(st);
    digest[0] = h.low64;
    digest[1] = h.high64;
    *bytes = total;
    XXH3_freeState(st);
    free(chunk);
    close(fd);
    errno = saved;
    return rc;
}

/* ---- output ---- */

struct wn_out {
    char *path, *tmp;
    FILE *f;
    wn_compression comp;
    z_stream zs;
    ZSTD_CStream *zcs;
    unsigned char *cbuf;
    size_t cbuf_cap;
    uint64_t bytes;
    bool failed;
};

static bool ends_with(const char *s, const char *suffix)
{
    size_t n = strlen(s), m = strlen(suffix);
    return n >= m && strcmp(s + n - m, suffix) == 0;
}

int wn_mkdirs(const char *path)
{
    char *p = wn_xstrdup(path);
    for (char *s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) != 0 && errno != EEXIST) {
            free(p);
            return -1;
        }
        *s = '/';
    }
    int rc = (mkdir(p, 0777) != 0 && errno != EEXIST) ? -1 : 0;
    struct stat st;
    if (rc == 0 && (stat(p, &st) != 0 || !S_ISDIR(st.st_mode))) {
        rc = -1; /* an existing file of that name: say so now, not at the first output */
        errno = ENOTDIR;
    }
    free(p);
    return rc;
}

wn_out *wn_out_open(const char *path, wn_compression comp, int level, char *err, size_t errlen)
{
    if (comp == WN_COMP_AUTO)
        comp = ends_with(path, ".gz") ? WN_COMP_GZIP : ends_with(path, ".zst") ? WN_COMP_ZSTD : WN_COMP_NONE;
    wn_out *o = wn_xcalloc(1, sizeof *o);
    o->path = wn_xstrdup(path);
    wn_buf t = WN_BUF_INIT;
    wn_buf_appendf(&t, "%s.tmp-%ld", path, (long)getpid());
    o->tmp = wn_buf_detach(&t, NULL);
    o->comp = comp;
    o->f = fopen(o->tmp, "wb");
    if (!o->f) {
        if (err)
            snprintf(err, errlen, "cannot create '%s': %s", o->tmp, strerror(errno));
        free(o->path);
        free(o->tmp);
        free(o);
        return NULL;
    }
    o->cbuf_cap = 1u << 18;
    o->cbuf = wn_xmalloc(o->cbuf_cap);
    if (comp == WN_COMP_GZIP) {
        if (deflateInit2(&o->zs, level > 0 ? level : 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
            wn_xmalloc((size_t)-1 / 2);
    } else if (comp == WN_COMP_ZSTD) {
        o->zcs = ZSTD_createCStream();
        ZSTD_CCtx_setParameter(o->zcs, ZSTD_c_compressionLevel, level > 0 ? level : 3);
        ZSTD_CCtx_setParameter(o->zcs, ZSTD_c_checksumFlag, 1);
        /* One background worker: compression overlaps with the pipeline's own threads. The
         * bytes zstd writes are the same for any nbWorkers >= 1, so a fixed 1 keeps output
         * independent of -j. (A libzstd built without threads ignores this.) */
        ZSTD_CCtx_setParameter(o->zcs, ZSTD_c_nbWorkers, 1);
    }
    return o;
}

void wn_out_zstd_inline(wn_out *out)
{
    if (out->zcs)
        ZSTD_CCtx_setParameter(out->zcs, ZSTD_c_nbWorkers, 0);
}

const char *wn_out_path(const wn_out *out) { return out->path; }
uint64_t wn_out_bytes(const wn_out *out) { return out->bytes; }

static int out_gzip(wn_out *o, const void *data, size_t n, int flush)
{
    o->zs.next_in = (Bytef *)data;
    o->zs.avail_in = (uInt)n;
    int rc;
    do {
        o->zs.next_out = o->cbuf;
        o->zs.avail_out = (uInt)o->cbuf_cap;
        rc = deflate(&o->zs, flush);
        size_t have = o->cbuf_cap - o->zs.avail_out;
        if (have && fwrite(o->cbuf, 1, have, o->f) != have)
            return -1;
    } while (o->zs.avail_out == 0 || (flush == Z_FINISH && rc != Z_STREAM_END));
    return 0;
}

static int out_zstd(wn_out *o, const void *data, size_t n, ZSTD_EndDirective mode)
{
    ZSTD_inBuffer ib = { data, n, 0 };
    size_t remaining;
    do {
        ZSTD_outBuffer ob = { o->cbuf, o->cbuf_cap, 0 };
        remaining = ZSTD_compressStream2(o->zcs, &ob, &ib, mode);
        if (ZSTD_isError(remaining))
            return -1;
        if (ob.pos && fwrite(o->cbuf, 1, ob.pos, o->f) != ob.pos)
            return -1;
    } while (mode == ZSTD_e_end ? remaining != 0 : ib.pos < ib.size);
    return 0;
}

int wn_out_write(wn_out *o, const void *data, size_t n)
{
    if (o->failed)
        return -1;
    int rc;
    if (o->comp == WN_COMP_GZIP)
        rc = out_gzip(o, data, n, Z_NO_FLUSH);
    else if (o->comp == WN_COMP_ZSTD)
        rc = out_zstd(o, data, n, ZSTD_e_continue);
    else
        rc = (n && fwrite(data, 1, n, o->f) != n) ? -1 : 0;
    if (rc)
        o->failed = true;
    else
        o->bytes += n;
    return rc;
}

static void out_free(wn_out *o)
{
    if (o->comp == WN_COMP_GZIP)
        deflateEnd(&o->zs);
    if (o->zcs)
        ZSTD_freeCStream(o->zcs);
    free(o->cbuf);
    free(o->path);
    free(o->tmp);
    free(o);
}

int wn_out_commit(wn_out *o, char *err, size_t errlen)
{
    int rc = o->failed ? -1 : 0;
    if (!rc && o->comp == WN_COMP_GZIP)
        rc = out_gzip(o, "", 0, Z_FINISH);
    else if (!rc && o->comp == WN_COMP_ZSTD)
        rc = out_zstd(o, "", 0, ZSTD_e_end);
    if (fclose(o->f) != 0)
        rc = -1;
    if (!rc && rename(o->tmp, o->path) != 0)
        rc = -1;
    if (rc) {
        if (err)
            snprintf(err, errlen, "cannot write '%s': %s", o->path, strerror(errno));
        unlink(o->tmp);
    }
    out_free(o);
    return rc;
}

void wn_out_abort(wn_out *o)
{
    if (!o)
        return;
    fclose(o->f);
    unlink(o->tmp);
    out_free(o);
}
