/* langid.c: language identification with the official fastText lid.176 model, run by
 * classify/'s C reader (classify/fasttext.h): the label and score go into attributes
 * ("langid.language": "en", "langid.score": [[0, n, 0.97]]); a document is kept when its
 * top language is in `languages` (empty list = any) with score >= min_score (0.65, as
 * FineWeb). Drop reasons: "langid.language", "langid.low_score".
 * As datatrove does, newlines are read as spaces (wn_ft_predict does this itself). Only the
 * first max_bytes (4000 by default, cut between words; 0 = all) are read: the language of a
 * page is settled by its first paragraphs, and fastText's cost grows with the text.
 */
#include "filter/filter.h"
#include "classify/fasttext.h"
#include "core/buf.h"

#include <stdlib.h>
#include <string.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

/* What a document's top label decides, prepared once per label at load: the per-document
 * snprintf of the counter's name and the list scan were ~3% of the stage on prose. */
typedef struct lang_info {
    const char *label; /* the model's own string: predictions point at it */
    const char *lang;  /* without "__label__" */
    char *counter;     /* "langid.lang:<lang>" */
    bool wanted;
} lang_info;

typedef struct langid {
    wn_ft_model *model;
    char **languages;
    size_t n_languages;
    double min_score;
    size_t max_bytes;
    lang_info *labels; /* the model's labels, then "und" (nothing predicted) */
    int n_labels;
} langid;

/* The first max_bytes of the text, cut after a space so no word is split (0 = all). */
static size_t prefix_len(const char *s, size_t n, size_t max)
{
    if (!max || n <= max)
        return n;
    size_t k = max;
    while (k > max / 2 && s[k] != ' ' && s[k] != '\n' && s[k] != '\t')
        k--;
    return k > max / 2 ? k : max;
}

static void prepare_labels(langid *l)
{
    int n = wn_ft_nlabels(l->model);
    l->labels = wn_xcalloc((size_t)n + 1, sizeof *l->labels);
    for (int i = 0; i <= n; i++) {
        lang_info *li = &l->labels[i];
        li->label = i < n ? wn_ft_label(l->model, i) : "und";
        li->lang = li->label;
        if (!strncmp(li->lang, "__label__", 9))
            li->lang += 9;
        size_t len = strlen("langid.lang:") + strlen(li->lang) + 1;
        li->counter = wn_xmalloc(len);
        snprintf(li->counter, len, "langid.lang:%s", li->lang);
        li->wanted = l->n_languages == 0;
        for (size_t k = 0; k < l->n_languages && !li->wanted; k++)
            li->wanted = !strcmp(l->languages[k], li->lang);
    }
    l->n_labels = n;
}

/* The prepared entry of a predicted label (the model's pointer; labels come most frequent
 * first in lid.176, so the scan is short), or "und" for no prediction. */
static const lang_info *label_info(const langid *l, const char *label, int k)
{
    for (int i = 0; k > 0 && i < l->n_labels; i++)
        if (l->labels[i].label == label)
            return &l->labels[i];
    return &l->labels[l->n_labels];
}

/* The characters of s[0..n) as wn_text_count_chars counts them (a valid UTF-8 sequence is one
 * character, an invalid byte one), for the signal's span. That count decodes every
 * non-ASCII character, and it covers the whole text where language ID reads 4,000 bytes: on
 * the filter bench's web pages it took as many instructions as the prediction. Here valid
 * UTF-8 is checked 16 bytes at a time (SSE2, baseline x86-64) from masks of the byte kinds:
 * every lead byte must be one of C2..F4 and be followed by exactly the continuations it
 * announces (the continuations expected from the leads' masks shifted by 1, 2 and 3 equal
 * the continuations found), and the second byte after E0, ED, F0 and F4 must be in range
 * (no overlong, surrogate or > U+10FFFF). Then every continuation belongs to a character, and
 * the count is n minus them; any other text is counted by wn_text_count_chars. */
static size_t count_chars(const char *s, size_t n)
{
#ifdef __SSE2__
    if (n > UINT32_MAX)
        return wn_text_count_chars(s, n); /* which counts only the first 4 GB */
    const __m128i ones = _mm_set1_epi8(1), zero = _mm_setzero_si128();
    __m128i conts = zero;   /* continuations, summed per 8-byte lane */
    uint32_t want_next = 0; /* continuations the last chunk's leads announce in this one */
    uint32_t special_next = 0; /* bit 0: E0, ED, F0 or F4 was the last chunk's last byte */
    uint32_t e0_next = 0, ed_next = 0, f0_next = 0, f4_next = 0;
    for (size_t i = 0; i < n; i += 16) {
        while (!want_next && n - i >= 64) { /* ASCII 64 bytes at a time: most of English */
            const __m128i *v = (const __m128i *)(const void *)(s + i);
            __m128i x = _mm_or_si128(_mm_or_si128(_mm_loadu_si128(v), _mm_loadu_si128(v + 1)),
                                     _mm_or_si128(_mm_loadu_si128(v + 2), _mm_loadu_si128(v + 3)));
            if (_mm_movemask_epi8(x))
                break;
            i += 64;
        }
        if (i >= n)
            break;
        __m128i b;
        if (n - i >= 16) {
            b = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
        } else {
            char tail[16] = {0}; /* NUL is ASCII: a sequence cut by the end fails below */
            memcpy(tail, s + i, n - i);
            b = _mm_loadu_si128((const __m128i *)(const void *)tail);
        }
        uint32_t high = (uint32_t)_mm_movemask_epi8(b);
        if (!high && !want_next)
            continue;
        __m128i cv = _mm_cmplt_epi8(b, _mm_set1_epi8(-64)); /* 80..BF */
        uint32_t cont = (uint32_t)_mm_movemask_epi8(cv);
        uint32_t l2 = (uint32_t)_mm_movemask_epi8(_mm_and_si128( /* C2..DF */
            _mm_cmpgt_epi8(b, _mm_set1_epi8(-63)), _mm_cmplt_epi8(b, _mm_set1_epi8(-32))));
        uint32_t l3 = (uint32_t)_mm_movemask_epi8(_mm_and_si128( /* E0..EF */
            _mm_cmpgt_epi8(b, _mm_set1_epi8(-33)), _mm_cmplt_epi8(b, _mm_set1_epi8(-16))));
        uint32_t l4 = (uint32_t)_mm_movemask_epi8(_mm_and_si128( /* F0..F4 */
            _mm_cmpgt_epi8(b, _mm_set1_epi8(-17)), _mm_cmplt_epi8(b, _mm_set1_epi8(-11))));
        uint32_t lead = l2 | l3 | l4;
        if ((high & ~cont) != lead) /* C0, C1, F5..FF */
            return wn_text_count_chars(s, n);
        uint32_t want = (lead << 1 | (l3 | l4) << 2 | l4 << 3) | want_next;
        if ((want & 0xFFFF) != cont)
            return wn_text_count_chars(s, n);
        want_next = want >> 16;
        __m128i e0 = _mm_cmpeq_epi8(b, _mm_set1_epi8((char)0xE0));
        __m128i ed = _mm_cmpeq_epi8(b, _mm_set1_epi8((char)0xED));
        __m128i f0 = _mm_cmpeq_epi8(b, _mm_set1_epi8((char)0xF0));
        __m128i f4 = _mm_cmpeq_epi8(b, _mm_set1_epi8((char)0xF4));
        uint32_t special = (uint32_t)_mm_movemask_epi8(
            _mm_or_si128(_mm_or_si128(e0, ed), _mm_or_si128(f0, f4)));
        if (special | special_next) { /* the second bytes of E0, ED, F0, F4 */
            uint32_t e0m = (uint32_t)_mm_movemask_epi8(e0) << 1 | e0_next;
            uint32_t edm = (uint32_t)_mm_movemask_epi8(ed) << 1 | ed_next;
            uint32_t f0m = (uint32_t)_mm_movemask_epi8(f0) << 1 | f0_next;
            uint32_t f4m = (uint32_t)_mm_movemask_epi8(f4) << 1 | f4_next;
            uint32_t below_a0 = (uint32_t)_mm_movemask_epi8(
                _mm_cmplt_epi8(b, _mm_set1_epi8(-96))); /* 80..9F */
            uint32_t below_90 = (uint32_t)_mm_movemask_epi8(
                _mm_cmplt_epi8(b, _mm_set1_epi8(-112))); /* 80..8F */
            uint32_t bad = (e0m & below_a0) | (edm & cont & ~below_a0) | (f0m & below_90) |
                           (f4m & cont & ~below_90);
            if (bad & 0xFFFF)
                return wn_text_count_chars(s, n);
            e0_next = e0m >> 16;
            ed_next = edm >> 16;
            f0_next = f0m >> 16;
            f4_next = f4m >> 16;
            special_next = e0_next | ed_next | f0_next | f4_next;
        }
        conts = _mm_add_epi64(conts, _mm_sad_epu8(_mm_and_si128(cv, ones), zero));
    }
    if (want_next) /* a sequence cut by the text's end (at a chunk boundary) */
        return wn_text_count_chars(s, n);
    uint64_t lanes[2];
    _mm_storeu_si128((__m128i *)(void *)lanes, conts);
    return n - (size_t)(lanes[0] + lanes[1]);
#else
    return wn_text_count_chars(s, n);
#endif
}

static void langid_doc(void *state, wn_doc *d, wn_stats *s)
{
    const langid *l = state;
    wn_ft_prediction pred;
    size_t len = prefix_len(d->text.ptr, d->text.len, l->max_bytes);
    int k = wn_ft_predict(l->model, d->text.ptr, len, 1, 0.0f, &pred);
    const lang_info *li = label_info(l, k > 0 ? pred.label : NULL, k);
    double score = k > 0 ? pred.prob : 0.0;
    /* only the length: a document this stage drops never needs the word analysis */
    size_t n_chars = count_chars(d->text.ptr ? d->text.ptr : "", d->text.len);
    wn_doc_attr_set_label(d, "langid.language", li->lang); /* the model owns its labels */
    wn_filter_signal(d, n_chars, s, "langid.score", score, 0, 1.0001);
    wn_stats_count(s, li->counter, 1, d->text.len, n_chars);
    if (!li->wanted)
        d->drop_reason = "langid.language";
    else if (score < l->min_score)
        d->drop_reason = "langid.low_score";
}

static void langid_release(void *state)
{
    langid *l = state;
    for (int i = 0; l->labels && i <= l->n_labels; i++)
        free(l->labels[i].counter);
    free(l->labels);
    wn_ft_free(l->model);
    for (size_t i = 0; i < l->n_languages; i++)
        free(l->languages[i]);
    free(l->languages);
    free(l);
}

wn_stage *wn_filter_langid_new(wn_fparams *p)
{
    static const char *const model_def[] = {"data/models/lid.176.ftz", NULL};
    static const char *const lang_def[] = {"en", NULL};
    langid *l = wn_xcalloc(1, sizeof *l);
    size_t nm;
    char **model = wn_fp_paths(p, "model", model_def, &nm);
    l->languages = wn_fp_strs(p, "languages", lang_def, &l->n_languages);
    l->min_score = wn_fp_num(p, "min_score", 0.65);
    l->max_bytes = (size_t)wn_fp_num(p, "max_bytes", 4000);
    char err[512];
    if (nm != 1)
        wn_fp_fail(p, "give one 'model'");
    else if (!(l->model = wn_ft_load(model[0], err, sizeof err)))
        wn_fp_fail(p, "%s", err);
    for (size_t i = 0; i < nm; i++)
        free(model[i]);
    free(model);
    if (!l->model) {
        langid_release(l);
        return NULL;
    }
    prepare_labels(l);
    return wn_filter_stage_new("langid", l, langid_doc, langid_release);
}
