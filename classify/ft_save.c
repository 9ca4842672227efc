/* ft_save.c: writes a model as fastText's .bin or .ftz (FastText::saveModel: signModel,
 * Args::save, Dictionary::save, then the two matrices, dense or product-quantized;
 * ../shared/FORMATS.md (g)), with the prune map of a pruned dictionary. The file goes to a
 * temporary name and is renamed when complete (core/io.h wn_out). */
#include "classify/ft_internal.h"

#include "core/buf.h"
#include "core/io.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void put(wn_buf *b, const void *p, size_t n)
{
    wn_buf_append(b, p, n);
}

static void put_i32(wn_buf *b, int32_t v)
{
    put(b, &v, 4);
}

static void put_i64(wn_buf *b, int64_t v)
{
    put(b, &v, 8);
}

/* Header, arguments and dictionary: everything before the input matrix. */
static void put_head(wn_buf *b, const wn_ft_model *m)
{
    const wn_ft_args *a = &m->args;
    const wn_ft_dict *d = &m->dict;
    put_i32(b, WN_FT_MAGIC);
    put_i32(b, WN_FT_VERSION);
    int32_t v[12] = { a->dim, a->ws, a->epoch, a->min_count, a->neg, a->word_ngrams,
                      a->loss, a->model, a->bucket, a->minn, a->maxn, a->lr_update_rate };
    for (int i = 0; i < 12; i++)
        put_i32(b, v[i]);
    put(b, &a->t, 8);
    put_i32(b, d->size);
    put_i32(b, d->nwords);
    put_i32(b, d->nlabels);
    put_i64(b, d->ntokens);
    put_i64(b, d->prune_size); /* -1: not pruned */
    for (int32_t i = 0; i < d->size; i++) {
        put(b, d->words[i], (size_t)d->lens[i] + 1);
        put_i64(b, d->counts[i]);
        put(b, &d->types[i], 1);
    }
    /* the prune map, bucket -> row after the words (fastText writes its unordered_map) */
    for (uint32_t i = 0; d->prune_size > 0 && i <= d->prune_mask; i++)
        if (d->prune[i].key >= 0) {
            put_i32(b, d->prune[i].key);
            put_i32(b, d->prune[i].val);
        }
}

/* ProductQuantizer::save */
static void put_pq(wn_buf *b, const wn_ft_pq *pq)
{
    put_i32(b, pq->dim);
    put_i32(b, pq->nsubq);
    put_i32(b, pq->dsub);
    put_i32(b, pq->lastdsub);
    put(b, pq->centroids, (size_t)pq->dim * 256 * sizeof *pq->centroids);
}

/* The matrix's flag byte (quant_input, then qout), then DenseMatrix::save or
 * QuantMatrix::save. */
static int write_matrix(wn_out *out, const wn_ft_matrix *mx)
{
    int64_t dims[2] = { mx->m, mx->n };
    uint8_t quant = mx->quant;
    if (wn_out_write(out, &quant, 1))
        return -1;
    if (mx->quant) {
        wn_buf b = WN_BUF_INIT;
        uint8_t qnorm = mx->qnorm;
        put(&b, &qnorm, 1);
        put(&b, dims, sizeof dims);
        put_i32(&b, (int32_t)(mx->m * mx->pq.nsubq));
        put(&b, mx->codes, (size_t)mx->m * (size_t)mx->pq.nsubq);
        put_pq(&b, &mx->pq);
        if (mx->qnorm) {
            put(&b, mx->norm_codes, (size_t)mx->m);
            put_pq(&b, &mx->npq);
        }
        int rc = wn_out_write(out, b.data, b.len);
        wn_buf_release(&b);
        return rc;
    }
    if (wn_out_write(out, dims, sizeof dims))
        return -1;
    /* in slices, so a large matrix is never copied whole */
    size_t total = (size_t)mx->m * (size_t)mx->n * sizeof(float), done = 0;
    const char *p = (const char *)mx->data;
    while (done < total) {
        size_t n = total - done < (64u << 20) ? total - done : (64u << 20);
        if (wn_out_write(out, p + done, n))
            return -1;
        done += n;
    }
    return 0;
}

int wn_ft_save(const wn_ft_model *m, const char *path, char *err, size_t errlen)
{
    if ((m->output.quant || m->dict.prune_size >= 0) && !m->input.quant) {
        snprintf(err, errlen, "cannot write '%s': a pruned dictionary or a quantized output "
                 "needs a quantized input (fastText reads no other)", path);
        return -1;
    }
    wn_out *out = wn_out_open(path, WN_COMP_NONE, 0, err, errlen);
    if (!out)
        return -1;
    wn_buf head = WN_BUF_INIT;
    put_head(&head, m);
    /* each matrix is preceded by its quantization flag (quant_input, then qout) */
    int rc = wn_out_write(out, head.data, head.len) || write_matrix(out, &m->input) ||
             write_matrix(out, &m->output);
    wn_buf_release(&head);
    if (rc) {
        snprintf(err, errlen, "cannot write '%s'", path);
        wn_out_abort(out);
        return -1;
    }
    return wn_out_commit(out, err, errlen);
}

int wn_ft_save_vectors(const wn_ft_model *m, const char *path, char *err, size_t errlen)
{
    wn_out *out = wn_out_open(path, WN_COMP_NONE, 0, err, errlen);
    if (!out)
        return -1;
    const wn_ft_dict *d = &m->dict;
    int32_t dim = m->args.dim;
    float *vec = wn_xmalloc((size_t)dim * sizeof *vec);
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%d %d\n", d->nwords, dim);
    int rc = 0;
    for (int32_t w = 0; w < d->nwords && !rc; w++) {
        /* FastText::getWordVector: the mean of the word's rows (word + char n-grams) */
        memset(vec, 0, (size_t)dim * sizeof *vec);
        int32_t first = d->sub_start[w], n = d->sub_start[w + 1] - first;
        for (int32_t r = 0; r < n; r++)
            wn_ft_matrix_add_row(&m->input, d->sub_rows[first + r], vec);
        if (n > 0) {
            float inv = (float)(1.0 / (double)n);
            for (int32_t j = 0; j < dim; j++)
                vec[j] *= inv;
        }
        /* "word v1 v2 ... vn \n": std::setprecision(5), a space after every value */
        wn_buf_append(&b, d->words[w], d->lens[w]);
        wn_buf_appendc(&b, ' ');
        for (int32_t j = 0; j < dim; j++)
            wn_buf_appendf(&b, "%.5g ", (double)vec[j]);
        wn_buf_appendc(&b, '\n');
        if (b.len > (1u << 20) || w + 1 == d->nwords) {
            rc = wn_out_write(out, b.data, b.len);
            wn_buf_reset(&b);
        }
    }
    if (d->nwords == 0)
        rc = wn_out_write(out, b.data, b.len);
    wn_buf_release(&b);
    free(vec);
    if (rc) {
        snprintf(err, errlen, "cannot write '%s'", path);
        wn_out_abort(out);
        return -1;
    }
    return wn_out_commit(out, err, errlen);
}
