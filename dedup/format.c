/* format.c: headered binary phase files (spec in format.h and docs/dedup.md). */
#include "dedup/format.h"

#include "core/buf.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xxhash.h>

/* Records are written as the in-memory structs: the format is little-endian, so is the host. */
_Static_assert(__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__, "dedup files need a little-endian host");
_Static_assert(sizeof(wn_dedup_band_rec) == 24 && sizeof(wn_dedup_edge_rec) == 16 &&
               sizeof(wn_dedup_cluster_rec) == 24 && sizeof(wn_dedup_remove_rec) == 16 &&
               sizeof(wn_dedup_line_rec) == 24 && sizeof(wn_dedup_sig_rec) == 16 &&
               sizeof(wn_dedup_files_rec) == 16,
               "record layouts are fixed by docs/dedup.md");

struct wn_dedup_file {
    FILE *fp;
    char *path;      /* final name */
    char *tmp_path;  /* writers only */
    bool writing;
    wn_dedup_header h;
    uint64_t written;
    uint64_t read;
    wn_buf docbuf;   /* document-table record being read */
    char err[256];
};

uint64_t wn_dedup_config_hash(const char *config)
{
    return XXH3_64bits(config, strlen(config));
}

static void put32(unsigned char *p, uint32_t v)
{
    for (int i = 0; i < 4; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static void put64(unsigned char *p, uint64_t v)
{
    for (int i = 0; i < 8; i++) p[i] = (unsigned char)(v >> (8 * i));
}
static uint32_t get32(const unsigned char *p)
{
    uint32_t v = 0;
    for (int i = 3; i >= 0; i--) v = v << 8 | p[i];
    return v;
}
static uint64_t get64(const unsigned char *p)
{
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--) v = v << 8 | p[i];
    return v;
}

static void encode_header(const wn_dedup_header *h, unsigned char out[WN_DEDUP_HEADER_SIZE])
{
    memset(out, 0, WN_DEDUP_HEADER_SIZE);
    memcpy(out, WN_DEDUP_MAGIC, 8); /* includes the NUL */
    put32(out + 8, h->version);
    put32(out + 12, h->kind);
    put64(out + 16, h->config_hash);
    put64(out + 24, h->count);
    put32(out + 32, h->record_size);
    put32(out + 36, h->shard_index);
    put32(out + 40, h->shard_count);
    memcpy(out + 64, h->config, strnlen(h->config, WN_DEDUP_CONFIG_MAX));
}

wn_dedup_file *wn_dedup_file_create(const char *path, wn_dedup_kind kind, const char *config,
                                    uint32_t record_size, uint32_t shard_index,
                                    uint32_t shard_count, char *err, size_t errlen)
{
    if (strlen(config) > WN_DEDUP_CONFIG_MAX) {
        snprintf(err, errlen, "config text too long for '%s'", path);
        return NULL;
    }
    wn_dedup_file *f = wn_xcalloc(1, sizeof *f);
    f->path = wn_xstrdup(path);
    wn_buf t = WN_BUF_INIT;
    wn_buf_appendf(&t, "%s.tmp-%ld", path, (long)getpid());
    f->tmp_path = wn_buf_detach(&t, NULL);
    f->writing = true;
    f->h.version = WN_DEDUP_FORMAT_VERSION;
    f->h.kind = kind;
    f->h.config_hash = wn_dedup_config_hash(config);
    f->h.record_size = record_size;
    f->h.shard_index = shard_index;
    f->h.shard_count = shard_count;
    snprintf(f->h.config, sizeof f->h.config, "%s", config);
    f->fp = fopen(f->tmp_path, "wb");
    if (!f->fp) {
        snprintf(err, errlen, "cannot create '%s': %s", f->tmp_path, strerror(errno));
        free(f->tmp_path); free(f->path); free(f);
        return NULL;
    }
    setvbuf(f->fp, NULL, _IOFBF, 1 << 20);
    unsigned char hdr[WN_DEDUP_HEADER_SIZE];
    encode_header(&f->h, hdr);
    fwrite(hdr, 1, sizeof hdr, f->fp);
    return f;
}

int wn_dedup_file_write(wn_dedup_file *f, const void *rec, size_t bytes, uint64_t n_records)
{
    if (bytes && fwrite(rec, 1, bytes, f->fp) != bytes) return -1;
    f->written += n_records;
    return 0;
}

int wn_dedup_file_commit(wn_dedup_file *f, char *err, size_t errlen)
{
    f->h.count = f->written;
    unsigned char hdr[WN_DEDUP_HEADER_SIZE];
    encode_header(&f->h, hdr);
    int bad = fflush(f->fp) != 0 || ferror(f->fp) || fseek(f->fp, 0, SEEK_SET) != 0 ||
              fwrite(hdr, 1, sizeof hdr, f->fp) != sizeof hdr;
    bad |= fclose(f->fp) != 0;
    f->fp = NULL;
    if (!bad && rename(f->tmp_path, f->path) != 0) bad = 1;
    if (bad) {
        snprintf(err, errlen, "cannot write '%s': %s", f->path, strerror(errno));
        unlink(f->tmp_path);
    }
    free(f->tmp_path); free(f->path); free(f);
    return bad ? -1 : 0;
}

void wn_dedup_file_abort(wn_dedup_file *f)
{
    if (!f) return;
    if (f->fp) fclose(f->fp);
    if (f->tmp_path) unlink(f->tmp_path);
    free(f->tmp_path); free(f->path);
    wn_buf_release(&f->docbuf);
    free(f);
}

static const char *kind_name(uint32_t k)
{
    static const char *names[] = {"?", "signatures", "document table", "band run", "edges",
                                  "clusters", "removal set", "line hashes", "line set",
                                  "files table", "embedding rows", "centroids",
                                  "clustered rows", "cluster assignment", "input fingerprints"};
    return k < sizeof names / sizeof *names ? names[k] : "?";
}

wn_dedup_file *wn_dedup_file_open(const char *path, wn_dedup_kind kind, const char *config,
                                  char *err, size_t errlen)
{
    FILE *fp = fopen(path, "rb");
    if (!fp) {
        snprintf(err, errlen, "cannot open '%s': %s", path, strerror(errno));
        return NULL;
    }
    unsigned char hdr[WN_DEDUP_HEADER_SIZE];
    if (fread(hdr, 1, sizeof hdr, fp) != sizeof hdr || memcmp(hdr, WN_DEDUP_MAGIC, 8) != 0) {
        snprintf(err, errlen, "'%s' is not a winnow dedup file (bad magic)", path);
        fclose(fp);
        return NULL;
    }
    wn_dedup_header h = {0};
    h.version = get32(hdr + 8);
    h.kind = get32(hdr + 12);
    h.config_hash = get64(hdr + 16);
    h.count = get64(hdr + 24);
    h.record_size = get32(hdr + 32);
    h.shard_index = get32(hdr + 36);
    h.shard_count = get32(hdr + 40);
    memcpy(h.config, hdr + 64, WN_DEDUP_CONFIG_MAX);
    h.config[WN_DEDUP_CONFIG_MAX] = '\0';
    const char *why = NULL;
    if (h.version != WN_DEDUP_FORMAT_VERSION) why = "version";
    else if (h.kind != (uint32_t)kind) why = "kind";
    if (why) {
        snprintf(err, errlen, "'%s' has %s %u (a %s file, format version %u), expected a %s "
                 "file, version %u", path, why, why[0] == 'v' ? h.version : h.kind,
                 kind_name(h.kind), h.version, kind_name(kind), WN_DEDUP_FORMAT_VERSION);
        fclose(fp);
        return NULL;
    }
    if (config && (h.config_hash != wn_dedup_config_hash(config) || strcmp(h.config, config))) {
        snprintf(err, errlen, "'%s' was made with config '%s', this run uses '%s'; refusing "
                 "to mix them", path, h.config, config);
        fclose(fp);
        return NULL;
    }
    if (h.record_size) {
        struct stat st;
        if (fstat(fileno(fp), &st) != 0 ||
            (uint64_t)st.st_size != WN_DEDUP_HEADER_SIZE + h.count * h.record_size) {
            snprintf(err, errlen, "'%s' is truncated or corrupt: %llu records of %u bytes "
                     "announced, file has %lld bytes", path, (unsigned long long)h.count,
                     h.record_size, (long long)st.st_size);
            fclose(fp);
            return NULL;
        }
    }
    wn_dedup_file *f = wn_xcalloc(1, sizeof *f);
    f->fp = fp;
    setvbuf(fp, NULL, _IOFBF, 1 << 20);
    f->path = wn_xstrdup(path);
    f->h = h;
    return f;
}

const wn_dedup_header *wn_dedup_file_header(const wn_dedup_file *f) { return &f->h; }
const char *wn_dedup_file_path(const wn_dedup_file *f) { return f->path; }
const char *wn_dedup_file_error(const wn_dedup_file *f) { return f->err; }

long wn_dedup_file_read(wn_dedup_file *f, void *dst, size_t n)
{
    uint64_t left = f->h.count - f->read;
    if (n > left) n = (size_t)left;
    if (n == 0) return 0;
    size_t got = fread(dst, f->h.record_size, n, f->fp);
    if (got != n) {
        snprintf(f->err, sizeof f->err, "short read in '%s' at record %llu", f->path,
                 (unsigned long long)(f->read + got));
        return -1;
    }
    f->read += n;
    return (long)n;
}

int wn_dedup_doc_write(wn_dedup_file *f, uint64_t uid, uint64_t text_bytes, const char *id,
                       size_t id_len, const char *date, size_t date_len)
{
    if (id_len > 65535) id_len = 65535;
    if (date_len > 65535) date_len = 65535;
    unsigned char h[20];
    put64(h, uid);
    put64(h + 8, text_bytes);
    h[16] = (unsigned char)id_len; h[17] = (unsigned char)(id_len >> 8);
    h[18] = (unsigned char)date_len; h[19] = (unsigned char)(date_len >> 8);
    if (wn_dedup_file_write(f, h, sizeof h, 1) || wn_dedup_file_write(f, id, id_len, 0) ||
        wn_dedup_file_write(f, date, date_len, 0))
        return -1;
    return 0;
}

int wn_dedup_doc_read(wn_dedup_file *f, wn_dedup_doc_rec *d)
{
    if (f->read >= f->h.count) return 0;
    unsigned char h[20];
    if (fread(h, 1, sizeof h, f->fp) != sizeof h) goto corrupt;
    size_t id_len = h[16] | (size_t)h[17] << 8, date_len = h[18] | (size_t)h[19] << 8;
    wn_buf_reset(&f->docbuf);
    wn_buf_grow(&f->docbuf, id_len + date_len + 2);
    char *p = f->docbuf.data;
    if (fread(p, 1, id_len, f->fp) != id_len) goto corrupt;
    p[id_len] = '\0';
    if (fread(p + id_len + 1, 1, date_len, f->fp) != date_len) goto corrupt;
    p[id_len + 1 + date_len] = '\0';
    d->uid = get64(h);
    d->text_bytes = get64(h + 8);
    d->id = p; d->id_len = id_len;
    d->date = p + id_len + 1; d->date_len = date_len;
    f->read++;
    return 1;
corrupt:
    snprintf(f->err, sizeof f->err, "'%s' is truncated at document %llu", f->path,
             (unsigned long long)f->read);
    return -1;
}

void wn_dedup_file_close(wn_dedup_file *f)
{
    if (!f) return;
    if (f->writing) { wn_dedup_file_abort(f); return; }
    fclose(f->fp);
    wn_buf_release(&f->docbuf);
    free(f->path);
    free(f);
}
