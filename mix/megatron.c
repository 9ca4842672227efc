/* megatron.c: Megatron indexed dataset reader and writer; see megatron.h and
 * ../shared/FORMATS.md (a). The arrays in .idx start at offset 34, unaligned, so they are
 * decoded byte by byte (little-endian) and never cast from the file image. */
#include "mix/megatron.h"
#include "core/buf.h"
#include "core/io.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

static const unsigned char mg_magic[9] = {'M', 'M', 'I', 'D', 'I', 'D', 'X', 0, 0};
#define MG_HEADER 34

size_t wn_mg_itemsize(int dtype)
{
    switch (dtype) {
    case WN_MG_UINT8: case WN_MG_INT8: return 1;
    case WN_MG_INT16: case WN_MG_UINT16: return 2;
    case WN_MG_INT32: case WN_MG_FLOAT32: return 4;
    case WN_MG_INT64: case WN_MG_FLOAT64: return 8;
    default: return 0;
    }
}

int wn_mg_optimal_dtype(uint64_t vocab_size)
{
    return vocab_size < 65500 ? WN_MG_UINT16 : WN_MG_INT32;
}

static uint64_t le_get(const unsigned char *p, int n)
{
    uint64_t v = 0;
    for (int i = n - 1; i >= 0; i--)
        v = v << 8 | p[i];
    return v;
}

static void le_put(unsigned char *p, uint64_t v, int n)
{
    for (int i = 0; i < n; i++, v >>= 8)
        p[i] = (unsigned char)v;
}

static int fail(char *err, size_t errlen, const char *file, const char *what, uint64_t off)
{
    snprintf(err, errlen, "'%s': %s at offset %llu", file, what, (unsigned long long)off);
    return -1;
}

/* Check the decoded index against itself and the .bin size. */
static int mg_check(wn_mg_reader *r, const char *idx, const char *bin, uint64_t bin_size,
                    char *err, size_t errlen)
{
    uint64_t at = 0;
    for (uint64_t i = 0; i < r->n_seqs; i++) {
        if (r->seq_lens[i] < 0)
            return fail(err, errlen, idx, "negative sequence length", MG_HEADER + 4 * i);
        if ((uint64_t)r->seq_ptrs[i] != at)
            return fail(err, errlen, idx, "sequence pointer does not follow the previous one",
                        MG_HEADER + 4 * r->n_seqs + 8 * i);
        at += (uint64_t)r->seq_lens[i] * r->itemsize;
        r->n_tokens += (uint64_t)r->seq_lens[i];
    }
    uint64_t di_off = MG_HEADER + 12 * r->n_seqs;
    if (r->doc_index[0] != 0)
        return fail(err, errlen, idx, "document index does not start at 0", di_off);
    for (uint64_t k = 1; k <= r->n_docs; k++)
        if (r->doc_index[k] < r->doc_index[k - 1] || (uint64_t)r->doc_index[k] > r->n_seqs)
            return fail(err, errlen, idx, "document index out of order", di_off + 8 * k);
    if ((uint64_t)r->doc_index[r->n_docs] != r->n_seqs)
        return fail(err, errlen, idx, "last document index is not the sequence count",
                    di_off + 8 * r->n_docs);
    if (at != bin_size) {
        snprintf(err, errlen, "'%s': size %llu bytes but the index describes %llu", bin,
                 (unsigned long long)bin_size, (unsigned long long)at);
        return -1;
    }
    return 0;
}

static int mg_read_index(wn_mg_reader *r, const char *idx, const unsigned char *p, size_t n,
                         char *err, size_t errlen)
{
    if (n < MG_HEADER || memcmp(p, mg_magic, 9) != 0)
        return fail(err, errlen, idx, "not a Megatron index (bad magic)", 0);
    if (le_get(p + 9, 8) != 1)
        return fail(err, errlen, idx, "unsupported version (expected 1)", 9);
    r->dtype = p[17];
    r->itemsize = wn_mg_itemsize(r->dtype);
    if (!r->itemsize || r->dtype == WN_MG_FLOAT32 || r->dtype == WN_MG_FLOAT64)
        return fail(err, errlen, idx, "dtype code is not an integer token type", 17);
    uint64_t s = le_get(p + 18, 8), d = le_get(p + 26, 8);
    if (d == 0 || s > n || d > n || (MG_HEADER + 12 * s + 8 * d != n && MG_HEADER + 13 * s + 8 * d != n))
        return fail(err, errlen, idx, "file size does not match the sequence and document counts", 18);
    r->n_seqs = s;
    r->n_docs = d - 1;
    r->seq_lens = wn_xmalloc(s * sizeof *r->seq_lens + 1);
    r->seq_ptrs = wn_xmalloc(s * sizeof *r->seq_ptrs + 1);
    r->doc_index = wn_xmalloc(d * sizeof *r->doc_index);
    const unsigned char *q = p + MG_HEADER;
    for (uint64_t i = 0; i < s; i++)
        r->seq_lens[i] = (int32_t)le_get(q + 4 * i, 4);
    q += 4 * s;
    for (uint64_t i = 0; i < s; i++)
        r->seq_ptrs[i] = (int64_t)le_get(q + 8 * i, 8);
    q += 8 * s;
    for (uint64_t i = 0; i < d; i++)
        r->doc_index[i] = (int64_t)le_get(q + 8 * i, 8);
    return 0;
}

int wn_mg_open(wn_mg_reader *r, const char *prefix, char *err, size_t errlen)
{
    memset(r, 0, sizeof *r);
    r->prefix = wn_xstrdup(prefix);
    wn_buf idx = WN_BUF_INIT, bin = WN_BUF_INIT;
    wn_buf_appendf(&idx, "%s.idx", prefix);
    wn_buf_appendf(&bin, "%s.bin", prefix);
    int rc = -1;
    size_t n;
    char *image = wn_read_file(idx.data, &n, err, errlen);
    if (!image)
        goto out;
    if (mg_read_index(r, idx.data, (unsigned char *)image, n, err, errlen) != 0)
        goto out;
    int fd = open(bin.data, O_RDONLY);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0) {
        snprintf(err, errlen, "cannot open '%s': %s", bin.data, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto out;
    }
    r->bin_size = (size_t)st.st_size;
    if (r->bin_size) {
        void *m = mmap(NULL, r->bin_size, PROT_READ, MAP_PRIVATE, fd, 0);
        if (m == MAP_FAILED) {
            snprintf(err, errlen, "cannot map '%s': %s", bin.data, strerror(errno));
            close(fd);
            goto out;
        }
        r->bin = m;
    }
    close(fd);
    rc = mg_check(r, idx.data, bin.data, r->bin_size, err, errlen);
out:
    free(image);
    wn_buf_release(&idx);
    wn_buf_release(&bin);
    if (rc != 0)
        wn_mg_close(r);
    return rc;
}

void wn_mg_close(wn_mg_reader *r)
{
    if (r->bin)
        munmap((void *)r->bin, r->bin_size);
    free(r->prefix);
    free(r->seq_lens);
    free(r->seq_ptrs);
    free(r->doc_index);
    memset(r, 0, sizeof *r);
}

uint64_t wn_mg_doc_tokens(const wn_mg_reader *r, uint64_t k)
{
    uint64_t n = 0;
    for (int64_t s = r->doc_index[k]; s < r->doc_index[k + 1]; s++)
        n += (uint64_t)r->seq_lens[s];
    return n;
}

void wn_mg_doc_copy(const wn_mg_reader *r, uint64_t k, uint32_t *dst)
{
    int64_t first = r->doc_index[k], end = r->doc_index[k + 1];
    if (first == end)
        return;
    const unsigned char *p = r->bin + r->seq_ptrs[first];
    uint64_t n = wn_mg_doc_tokens(r, k); /* sequences of a document are contiguous */
    for (uint64_t i = 0; i < n; i++, p += r->itemsize)
        dst[i] = (uint32_t)le_get(p, (int)r->itemsize);
}

struct wn_mg_writer {
    char *prefix;
    int dtype;
    size_t itemsize;
    wn_out *bin;
    wn_buf lens;    /* int32 LE per sequence */
    wn_buf docs;    /* int64 LE per document boundary, starting with 0 */
    uint64_t n_seqs, n_docs_entries, bin_bytes;
    wn_buf chunk;   /* encoding scratch */
};

wn_mg_writer *wn_mg_writer_open(const char *prefix, int dtype, char *err, size_t errlen)
{
    if (dtype != WN_MG_INT32 && dtype != WN_MG_UINT16) {
        snprintf(err, errlen, "'%s': unsupported output dtype %d", prefix, dtype);
        return NULL;
    }
    wn_buf path = WN_BUF_INIT;
    wn_buf_appendf(&path, "%s.bin", prefix);
    wn_out *bin = wn_out_open(path.data, WN_COMP_NONE, 0, err, errlen);
    wn_buf_release(&path);
    if (!bin)
        return NULL;
    wn_mg_writer *w = wn_xcalloc(1, sizeof *w);
    w->prefix = wn_xstrdup(prefix);
    w->dtype = dtype;
    w->itemsize = wn_mg_itemsize(dtype);
    w->bin = bin;
    unsigned char zero[8] = {0};
    wn_buf_append(&w->docs, zero, 8);
    w->n_docs_entries = 1;
    return w;
}

int wn_mg_add_sequence(wn_mg_writer *w, const uint32_t *tokens, size_t n)
{
    uint32_t max = w->dtype == WN_MG_UINT16 ? 0xffffu : 0x7fffffffu;
    if (n > 0x7fffffffu)
        return -1;
    wn_buf_reset(&w->chunk);
    wn_buf_grow(&w->chunk, n * w->itemsize);
    unsigned char *p = (unsigned char *)w->chunk.data;
    for (size_t i = 0; i < n; i++) {
        if (tokens[i] > max)
            return -1;
        le_put(p + i * w->itemsize, tokens[i], (int)w->itemsize);
    }
    if (wn_out_write(w->bin, p, n * w->itemsize) != 0)
        return -1;
    unsigned char len[4];
    le_put(len, n, 4);
    wn_buf_append(&w->lens, len, 4);
    w->n_seqs++;
    w->bin_bytes += n * w->itemsize;
    return 0;
}

void wn_mg_end_document(wn_mg_writer *w)
{
    unsigned char v[8];
    le_put(v, w->n_seqs, 8);
    wn_buf_append(&w->docs, v, 8);
    w->n_docs_entries++;
}

uint64_t wn_mg_bin_bytes(const wn_mg_writer *w)
{
    return w->bin_bytes;
}

static void mg_writer_free(wn_mg_writer *w)
{
    free(w->prefix);
    wn_buf_release(&w->lens);
    wn_buf_release(&w->docs);
    wn_buf_release(&w->chunk);
    free(w);
}

static int mg_write_index(wn_mg_writer *w, wn_out *idx)
{
    unsigned char h[MG_HEADER];
    memcpy(h, mg_magic, 9);
    le_put(h + 9, 1, 8);
    h[17] = (unsigned char)w->dtype;
    le_put(h + 18, w->n_seqs, 8);
    le_put(h + 26, w->n_docs_entries, 8);
    if (wn_out_write(idx, h, sizeof h) != 0 || wn_out_write(idx, w->lens.data, w->lens.len) != 0)
        return -1;
    uint64_t ptr = 0;
    for (uint64_t i = 0; i < w->n_seqs; i++) {
        unsigned char v[8];
        le_put(v, ptr, 8);
        if (wn_out_write(idx, v, 8) != 0)
            return -1;
        ptr += le_get((unsigned char *)w->lens.data + 4 * i, 4) * w->itemsize;
    }
    return wn_out_write(idx, w->docs.data, w->docs.len);
}

int wn_mg_writer_commit(wn_mg_writer *w, char *err, size_t errlen)
{
    wn_buf path = WN_BUF_INIT;
    wn_buf_appendf(&path, "%s.idx", w->prefix);
    int rc = -1;
    wn_out *idx = wn_out_open(path.data, WN_COMP_NONE, 0, err, errlen);
    if (!idx) {
        wn_out_abort(w->bin);
    } else if (mg_write_index(w, idx) != 0) {
        snprintf(err, errlen, "cannot write '%s'", path.data);
        wn_out_abort(idx);
        wn_out_abort(w->bin);
    } else if (wn_out_commit(w->bin, err, errlen) != 0) {
        wn_out_abort(idx);
    } else {
        rc = wn_out_commit(idx, err, errlen); /* the index last: it names a complete .bin */
    }
    wn_buf_release(&path);
    mg_writer_free(w);
    return rc;
}

void wn_mg_writer_abort(wn_mg_writer *w)
{
    if (!w)
        return;
    wn_out_abort(w->bin);
    mg_writer_free(w);
}
