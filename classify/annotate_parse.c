/* annotate_parse.c: scores from answers and from log-probabilities; see annotate_parse.h. */
#include "classify/annotate_parse.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <ctype.h>
#include <math.h>
#include <pcre2.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static void trim(const char **s, size_t *len)
{
    while (*len && isspace((unsigned char)**s))
        (*s)++, (*len)--;
    while (*len && isspace((unsigned char)(*s)[*len - 1]))
        (*len)--;
}

int wn_ann_token_value(const wn_ann_config *c, const char *tok, size_t len, double *value)
{
    trim(&tok, &len);
    if (!len || len > 32)
        return -1;
    if (c->kind == WN_ANN_CHOICE) {
        for (size_t k = 0; k < c->n_choices; k++)
            if (strlen(c->choices[k]) == len && !strncasecmp(c->choices[k], tok, len)) {
                *value = (double)k;
                return 0;
            }
        return -1;
    }
    char num[33], *end;
    memcpy(num, tok, len);
    num[len] = '\0';
    double v = strtod(num, &end);
    if (*end || !isfinite(v) || v < c->min || v > c->max)
        return -1;
    *value = v;
    return 0;
}

wn_ann_parse_status wn_ann_parse_answer(const wn_ann_config *c, const char *answer, size_t len,
                                        wn_ann_score *out)
{
    memset(out, 0, sizeof *out);
    pcre2_match_data *md = pcre2_match_data_create_from_pattern(c->re, NULL);
    PCRE2_SIZE start = 0, cap_lo = 0, cap_hi = 0;
    int found = 0;
    while (start <= len) {
        int rc = pcre2_match(c->re, (PCRE2_SPTR)answer, len, start, 0, md, NULL);
        if (rc < 2)
            break; /* no match (or the group did not take part) */
        PCRE2_SIZE *ov = pcre2_get_ovector_pointer(md);
        if (ov[2] != PCRE2_UNSET) {
            cap_lo = ov[2];
            cap_hi = ov[3];
            found = 1;
        }
        start = ov[1] > ov[0] ? ov[1] : ov[0] + 1;
    }
    pcre2_match_data_free(md);
    if (!found)
        return WN_ANN_NO_MATCH;
    double v;
    if (wn_ann_token_value(c, answer + cap_lo, cap_hi - cap_lo, &v) < 0)
        return WN_ANN_OUT_OF_RANGE;
    out->match_start = cap_lo;
    out->match_len = cap_hi - cap_lo;
    if (c->kind == WN_ANN_CHOICE) {
        out->choice = (int)v;
        out->score = out->choice == c->positive ? 1.0 : 0.0;
    } else {
        out->score = v;
    }
    return WN_ANN_PARSED;
}

static const char *token_text(const json_t *entry, size_t *len)
{
    json_t *t = json_object_get(entry, "token");
    if (!json_is_string(t))
        return NULL;
    *len = json_string_length(t);
    return json_string_value(t);
}

/* Index of the generated token that holds the capture's first non-space byte. When the
 * tokens spell the answer exactly, by offsets; otherwise the last token whose text is the
 * captured value. -1 when neither finds it. */
static long find_score_token(const wn_ann_config *c, const char *answer, size_t len,
                             const json_t *content, const wn_ann_score *s)
{
    size_t n = json_array_size(content), pos = 0;
    size_t target = s->match_start;
    while (target < s->match_start + s->match_len && isspace((unsigned char)answer[target]))
        target++;
    long by_offset = -1;
    int spelled = 1;
    for (size_t i = 0; i < n; i++) {
        size_t tl;
        const char *t = token_text(json_array_get(content, i), &tl);
        if (!t || pos + tl > len || memcmp(answer + pos, t, tl)) {
            spelled = 0;
            break;
        }
        if (by_offset < 0 && target >= pos && target < pos + tl)
            by_offset = (long)i;
        pos += tl;
    }
    if (spelled && by_offset >= 0)
        return by_offset;
    double want;
    if (wn_ann_token_value(c, answer + s->match_start, s->match_len, &want) < 0)
        return -1;
    for (size_t i = n; i-- > 0;) {
        size_t tl;
        double v;
        const char *t = token_text(json_array_get(content, i), &tl);
        if (t && wn_ann_token_value(c, t, tl, &v) == 0 && v == want)
            return (long)i;
    }
    return -1;
}

/* Adds exp(logprob) of a valid score token into probs[value slot]. Duplicate spellings
 * (" 3" and "3") are distinct tokens and both count. */
static void add_alternative(const wn_ann_config *c, const json_t *alt, double *probs, int nslots)
{
    size_t tl;
    const char *t = token_text(alt, &tl);
    json_t *lp = json_object_get(alt, "logprob");
    double v;
    if (!t || !json_is_number(lp) || wn_ann_token_value(c, t, tl, &v) < 0)
        return;
    if (v != floor(v))
        return; /* "2.5" as one token is no class; only whole scores are slots */
    int slot = c->kind == WN_ANN_CHOICE ? (int)v : (int)v - c->min;
    if (slot >= 0 && slot < nslots)
        probs[slot] += exp(json_number_value(lp));
}

int wn_ann_apply_logprobs(const wn_ann_config *c, const char *answer, size_t len,
                          const json_t *content, wn_ann_score *s)
{
    if (!json_is_array(content) || json_array_size(content) == 0)
        return 0;
    long i = find_score_token(c, answer, len, content, s);
    if (i < 0)
        return 0;
    const json_t *entry = json_array_get(content, (size_t)i);
    json_t *top = json_object_get(entry, "top_logprobs");
    int nslots = c->kind == WN_ANN_CHOICE ? (int)c->n_choices : c->max - c->min + 1;
    double *probs = calloc((size_t)nslots, sizeof *probs);
    if (!probs)
        return 0;
    size_t k;
    json_t *alt;
    int chosen_listed = 0;
    size_t ctl = 0;
    const char *ct = token_text(entry, &ctl);
    json_array_foreach(top, k, alt) {
        size_t tl;
        const char *t = token_text(alt, &tl);
        if (t && ct && tl == ctl && !memcmp(t, ct, tl))
            chosen_listed = 1;
        add_alternative(c, alt, probs, nslots);
    }
    if (!chosen_listed) /* a server may list fewer alternatives than the sampled token */
        add_alternative(c, entry, probs, nslots);
    double mass = 0, ev = 0;
    int best = 0;
    for (int j = 0; j < nslots; j++) {
        mass += probs[j];
        ev += probs[j] * (c->kind == WN_ANN_CHOICE ? 0 : c->min + j);
        if (probs[j] > probs[best])
            best = j;
    }
    int applied = 0;
    if (mass > 0) {
        if (c->kind == WN_ANN_CHOICE) {
            s->choice = best;
            s->score = probs[c->positive] / mass;
        } else {
            s->score = ev / mass;
        }
        s->mass = mass;
        s->from_logprobs = 1;
        applied = 1;
    }
    free(probs);
    return applied;
}
