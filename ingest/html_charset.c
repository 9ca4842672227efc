/* html_charset.c: choose a page's charset and turn its bytes into valid UTF-8 (ICU).
 *
 * Order of trust: a byte-order mark; then the bytes themselves when they are valid UTF-8
 * with at least one multi-byte sequence (a page that decodes as UTF-8 is UTF-8 whatever a
 * header says: accidental validity in a legacy charset is vanishingly rare, while wrong
 * "ISO-8859-1" headers on UTF-8 pages are common); then the HTTP hint; then the <meta>
 * charset; then ICU's detector. Labels are mapped the way browsers map them (WHATWG
 * Encoding Standard): "iso-8859-1" and "us-ascii" mean windows-1252, "gb2312" means GBK,
 * and so on. Undecodable sequences become U+FFFD and are counted.
 *
 * A page declared UTF-8 (BOM, HTTP or meta) whose bytes are mostly not UTF-8 is where we
 * part from WHATWG, which decodes it as UTF-8 with U+FFFD for every bad byte: for a corpus
 * that destroys the text of a Latin-1 page behind a wrong header ("caf\xe9" -> "caf\uFFFD").
 * We decode it in the charset the bytes are in (detected; windows-1252 by default), keeping
 * its valid UTF-8 sequences as UTF-8 when that charset is single-byte (a UTF-8 template
 * around Latin-1 text from a database), and flag it (declared_utf8_not_utf8) so it is
 * counted. A page mostly UTF-8 with a few bad bytes is decoded as UTF-8 with U+FFFD.
 */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <strings.h>
#include <stdbool.h>
#include <string.h>

#include <unicode/ucnv.h>
#include <unicode/ucnv_err.h>
#include <unicode/ucsdet.h>
#include <unicode/ustring.h>
#include <unicode/utf8.h>

#include "core/utf8.h"
#include "ingest/html_internal.h"

/* Skip ASCII eight bytes at a time: most of any page is ASCII markup. */
static size_t ascii_run(const unsigned char *s, size_t len)
{
    size_t i = 0;
    while (i + 8 <= len) {
        uint64_t w;
        memcpy(&w, s + i, 8);
        if (w & 0x8080808080808080ull)
            break;
        i += 8;
    }
    while (i < len && s[i] < 0x80)
        i++;
    return i;
}

/* Counts the multi-byte sequences and the invalid bytes of s, to tell "UTF-8 with a few
 * broken bytes" from "a legacy charset". Stops early once the verdict is clear. */
static void utf8_census(const unsigned char *s, size_t len, size_t *multi, size_t *bad)
{
    size_t i = 0;
    *multi = *bad = 0;
    while (i < len) {
        i += ascii_run(s + i, len - i);
        if (i >= len)
            break;
        size_t n = wn_utf8_seq_len(s + i, len - i);
        if (n == 0) {
            (*bad)++;
            i++;
        } else {
            (*multi)++;
            i += n;
        }
    }
}

static bool label_is(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0;
}

static bool is_utf8_label(const char *l)
{
    return label_is(l, "utf-8") || label_is(l, "utf8") || label_is(l, "unicode-1-1-utf-8") ||
           label_is(l, "x-unicode20utf8");
}

/* WHATWG label -> the ICU converter that decodes like a browser. NULL for unknown. */
static const char *icu_name_for_label(const char *l)
{
    static const struct { const char *label, *icu; } map[] = {
        { "iso-8859-1", "windows-1252" }, { "iso8859-1", "windows-1252" },
        { "latin1", "windows-1252" },     { "l1", "windows-1252" },
        { "us-ascii", "windows-1252" },   { "ascii", "windows-1252" },
        { "cp819", "windows-1252" },      { "iso_8859-1", "windows-1252" },
        { "windows-1252", "windows-1252" }, { "cp1252", "windows-1252" },
        { "x-cp1252", "windows-1252" },
        { "iso-8859-9", "windows-1254" }, { "latin5", "windows-1254" },
        { "tis-620", "windows-874" },     { "iso-8859-11", "windows-874" },
        { "gb2312", "GBK" },              { "gbk", "GBK" }, { "x-gbk", "GBK" },
        { "gb18030", "GB18030" },         { "big5", "Big5-HKSCS" },
        { "euc-kr", "windows-949" },      { "ks_c_5601-1987", "windows-949" },
        { "shift_jis", "windows-31j" },   { "sjis", "windows-31j" },
        { "x-sjis", "windows-31j" },      { "windows-31j", "windows-31j" },
        { "euc-jp", "EUC-JP" },           { "iso-2022-jp", "ISO-2022-JP" },
        { "utf-16", "UTF-16LE" },         { "utf-16le", "UTF-16LE" },
        { "utf-16be", "UTF-16BE" },
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (label_is(l, map[i].label))
            return map[i].icu;
    return NULL;
}

/* Trim a label (quotes, spaces) into buf; returns buf or NULL if empty/too long. */
static const char *clean_label(const char *s, size_t n, char *buf, size_t cap)
{
    while (n && (isspace((unsigned char)*s) || *s == '"' || *s == '\''))
        s++, n--;
    size_t k = 0;
    while (k < n && (isalnum((unsigned char)s[k]) || strchr("-_.:", s[k])))
        k++;
    if (k == 0 || k >= cap)
        return NULL;
    memcpy(buf, s, k);
    buf[k] = '\0';
    return buf;
}

/* Find "charset" in the first bytes of the page inside a <meta ...> tag, the way a browser's
 * prescan does (both <meta charset=x> and content="text/html; charset=x"). */
static const char *meta_charset(const char *s, size_t len, char *buf, size_t cap)
{
    size_t end = len < 16384 ? len : 16384;
    for (size_t i = 0; i + 5 < end; i++) {
        if (s[i] != '<' || strncasecmp(s + i + 1, "meta", 4) != 0)
            continue;
        size_t j = i + 5, tag_end = j;
        while (tag_end < end && s[tag_end] != '>')
            tag_end++;
        for (; j + 7 < tag_end; j++) {
            if (strncasecmp(s + j, "charset", 7) != 0)
                continue;
            size_t k = j + 7;
            while (k < tag_end && isspace((unsigned char)s[k]))
                k++;
            if (k < tag_end && s[k] == '=') {
                k++;
                const char *l = clean_label(s + k, tag_end - k, buf, cap);
                if (l)
                    return l;
            }
        }
        i = tag_end;
    }
    return NULL;
}

/* ICU's detector on the head of the page (markup stripped by ICU's input filter). */
static const char *detect_charset(const char *s, size_t len, char *buf, size_t cap)
{
    UErrorCode err = U_ZERO_ERROR;
    UCharsetDetector *det = ucsdet_open(&err);
    if (U_FAILURE(err))
        return NULL;
    const char *name = NULL;
    ucsdet_enableInputFilter(det, 1);
    ucsdet_setText(det, s, (int32_t)(len < 65536 ? len : 65536), &err);
    const UCharsetMatch *m = U_SUCCESS(err) ? ucsdet_detect(det, &err) : NULL;
    if (m && U_SUCCESS(err)) {
        const char *n = ucsdet_getName(m, &err);
        if (U_SUCCESS(err) && n && strlen(n) < cap) {
            strcpy(buf, n);
            name = buf;
        }
    }
    ucsdet_close(det);
    return name;
}

typedef struct count_ctx {
    uint64_t bad;
} count_ctx;

/* ICU to-Unicode callback: each undecodable sequence becomes one U+FFFD, and is counted
 * (ICU calls once per maximal ill-formed sequence, as core/utf8.h's repair counts). */
static void count_and_substitute(const void *context, UConverterToUnicodeArgs *args,
                                 const char *units, int32_t length, UConverterCallbackReason reason,
                                 UErrorCode *err)
{
    if (reason > UCNV_IRREGULAR)
        return; /* reset/close/clone: nothing to do */
    count_ctx *c = (count_ctx *)context;
    static const UChar fffd = 0xFFFD;
    c->bad++;
    *err = U_ZERO_ERROR;
    ucnv_cbToUWriteUChars(args, &fffd, 1, 0, err);
    (void)units;
}

/* Convert with ICU converter `icu_name`. Returns -1 if ICU has no such converter. */
static int convert_icu(const char *icu_name, const char *in, size_t len, wn_buf *out,
                       uint64_t *bad)
{
    UErrorCode err = U_ZERO_ERROR;
    UConverter *src = ucnv_open(icu_name, &err);
    if (U_FAILURE(err))
        return -1;
    UConverter *dst = ucnv_open("UTF-8", &err);
    if (U_FAILURE(err)) {
        ucnv_close(src);
        return -1;
    }
    count_ctx cc = { 0 };
    ucnv_setToUCallBack(src, count_and_substitute, &cc, NULL, NULL, &err);
    /* A legacy byte becomes at most 3 UTF-8 bytes (U+FFFD included); UTF-16 input shrinks. */
    wn_buf_reset(out);
    wn_buf_grow(out, len * 3 + 16);
    UChar pivot[4096];
    UChar *ps = pivot, *pt = pivot;
    char *t = out->data;
    const char *s = in;
    ucnv_convertEx(dst, src, &t, out->data + out->cap - 1, &s, in + len, pivot, &ps, &pt,
                   pivot + 4096, true, true, &err);
    out->len = (size_t)(t - out->data);
    out->data[out->len] = '\0';
    ucnv_close(src);
    ucnv_close(dst);
    if (U_FAILURE(err))
        return -1;
    *bad = cc.bad;
    return 0;
}

/* A page declared UTF-8 in a single-byte charset: its valid UTF-8 multi-byte sequences stay
 * UTF-8, each other byte is decoded by `sbcs` (an ICU single-byte converter). Returns -1
 * when `sbcs` is not a single-byte charset ICU knows. */
static int convert_utf8_or_sbcs(const char *sbcs, const char *in, size_t len, wn_buf *out,
                                uint64_t *bad)
{
    UErrorCode err = U_ZERO_ERROR;
    UConverter *cnv = ucnv_open(sbcs, &err);
    if (U_FAILURE(err))
        return -1;
    if (ucnv_getMaxCharSize(cnv) != 1) {
        ucnv_close(cnv);
        return -1;
    }
    /* the charset's table for bytes 0x80..0xFF, each as UTF-8 (a byte it leaves undefined
     * gives U+FFFD, counted) */
    char high[128];
    for (int i = 0; i < 128; i++)
        high[i] = (char)(0x80 + i);
    UChar table[128];
    int32_t n = ucnv_toUChars(cnv, table, 128, high, 128, &err);
    ucnv_close(cnv);
    if (U_FAILURE(err) || n != 128)
        return -1;
    const unsigned char *u = (const unsigned char *)in;
    wn_buf_reset(out);
    wn_buf_grow(out, len * 3 + 16);
    *bad = 0;
    size_t i = 0;
    while (i < len) {
        size_t a = ascii_run(u + i, len - i);
        wn_buf_append(out, in + i, a);
        i += a;
        if (i >= len)
            break;
        size_t k = wn_utf8_seq_len(u + i, len - i);
        if (k) {
            wn_buf_append(out, in + i, k);
            i += k;
            continue;
        }
        UChar c = table[u[i++] - 0x80];
        *bad += c == 0xFFFD;
        uint8_t enc[U8_MAX_LENGTH];
        size_t m = 0;
        U8_APPEND_UNSAFE(enc, m, c);
        wn_buf_append(out, enc, m);
    }
    out->data[out->len] = '\0';
    return 0;
}

static void set_charset(wn_html_result *res, const char *name, wn_html_charset_source src)
{
    snprintf(res->charset, sizeof res->charset, "%s", name);
    res->charset_source = src;
}

/* Binary junk: control bytes other than whitespace in the head of the page. */
static bool looks_binary(const unsigned char *s, size_t len)
{
    size_t n = len < 4096 ? len : 4096, ctl = 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' && s[i] != '\f' &&
            s[i] != 0x1B /* ISO-2022 escapes */)
            ctl++;
    return n > 0 && ctl * 50 > n; /* more than 2% */
}

static const char *utf16_without_bom(const unsigned char *s, size_t len)
{
    size_t n = (len < 4096 ? len : 4096) & ~(size_t)1, even = 0, odd = 0;
    for (size_t i = 0; i < n; i += 2) {
        even += s[i] == 0;
        odd += s[i + 1] == 0;
    }
    if (n < 16)
        return NULL;
    if (odd * 10 > n * 4 && even * 50 < n) /* > 80% of odd bytes NUL, < 4% of even */
        return "UTF-16LE";
    if (even * 10 > n * 4 && odd * 50 < n)
        return "UTF-16BE";
    return NULL;
}

int html_decode_utf8(const char *in, size_t len, const char *hint, wn_buf *scratch,
                     const char **utf8, size_t *utf8_len, wn_html_result *res)
{
    const unsigned char *u = (const unsigned char *)in;
    char hbuf[40], mbuf[40], dbuf[40];
    *utf8 = in;
    *utf8_len = len;
    res->invalid_bytes = 0;
    res->declared_utf8_not_utf8 = 0;

    /* Byte-order marks are unambiguous. */
    const char *bom = NULL;
    size_t bom_len = 0;
    if (len >= 3 && u[0] == 0xEF && u[1] == 0xBB && u[2] == 0xBF)
        bom = "UTF-8", bom_len = 3;
    else if (len >= 2 && u[0] == 0xFF && u[1] == 0xFE)
        bom = "UTF-16LE", bom_len = 2;
    else if (len >= 2 && u[0] == 0xFE && u[1] == 0xFF)
        bom = "UTF-16BE", bom_len = 2;
    if (bom && strcmp(bom, "UTF-8") != 0) {
        uint64_t bad = 0;
        if (convert_icu(bom, in + bom_len, len - bom_len, scratch, &bad) == 0) {
            set_charset(res, bom, WN_HTML_CS_BOM);
            res->invalid_bytes = bad;
            *utf8 = scratch->data;
            *utf8_len = scratch->len;
            return 0;
        }
    }
    if (bom) {
        in += bom_len, u += bom_len, len -= bom_len;
        *utf8 = in;
        *utf8_len = len;
    }
    if (!bom) {
        /* UTF-16 without a BOM: NULs in every other byte of mostly-ASCII markup */
        const char *u16 = utf16_without_bom(u, len);
        if (u16 && convert_icu(u16, in, len, scratch, &res->invalid_bytes) == 0) {
            set_charset(res, u16, WN_HTML_CS_DETECTED);
            *utf8 = scratch->data;
            *utf8_len = scratch->len;
            return 0;
        }
    }
    if (looks_binary(u, len))
        return WN_HTML_NOT_HTML;

    const char *hint_l = hint ? clean_label(hint, strlen(hint), hbuf, sizeof hbuf) : NULL;
    const char *meta_l = meta_charset(in, len, mbuf, sizeof mbuf);

    size_t multi = 0, bad = 0;
    utf8_census(u, len, &multi, &bad);
    bool hint_utf8 = hint_l && is_utf8_label(hint_l);
    bool meta_utf8 = meta_l && is_utf8_label(meta_l);
    if (bad == 0) {
        wn_html_charset_source src = bom ? WN_HTML_CS_BOM
                                   : hint_utf8 ? WN_HTML_CS_HTTP
                                   : (!hint_l && meta_utf8) ? WN_HTML_CS_META
                                   : WN_HTML_CS_DEFAULT;
        set_charset(res, "UTF-8", src);
        return 0;
    }
    /* Broken bytes in what is mostly UTF-8 (a cut page, a stray Latin-1 byte): repair. */
    bool declared_utf8 = bom || hint_utf8 || (!hint_l && meta_utf8);
    if (multi >= bad || (declared_utf8 && multi * 4 >= bad)) {
        wn_buf_reset(scratch);
        res->invalid_bytes = (uint64_t)wn_utf8_repair(in, len, scratch);
        set_charset(res, "UTF-8", bom ? WN_HTML_CS_BOM : hint_utf8 ? WN_HTML_CS_HTTP
                                  : meta_utf8 ? WN_HTML_CS_META : WN_HTML_CS_DETECTED);
        *utf8 = scratch->data;
        *utf8_len = scratch->len;
        return 0;
    }

    /* A legacy charset: declared ones first (unless they claim UTF-8, disproved above). */
    res->declared_utf8_not_utf8 = declared_utf8;
    struct { const char *label; wn_html_charset_source src; } tries[3] = {
        { hint_l && !hint_utf8 ? hint_l : NULL, WN_HTML_CS_HTTP },
        { meta_l && !meta_utf8 ? meta_l : NULL, WN_HTML_CS_META },
        { NULL, WN_HTML_CS_DETECTED },
    };
    for (int i = 0; i < 3; i++) {
        const char *label = tries[i].label;
        if (i == 2) {
            label = detect_charset(in, len, dbuf, sizeof dbuf);
            if (!label || is_utf8_label(label))
                label = "windows-1252"; /* the web's default legacy charset */
        }
        if (!label)
            continue;
        const char *icu = icu_name_for_label(label);
        uint64_t nbad = 0;
        if ((!declared_utf8 || convert_utf8_or_sbcs(icu ? icu : label, in, len, scratch, &nbad) != 0) &&
            convert_icu(icu ? icu : label, in, len, scratch, &nbad) != 0)
            continue; /* ICU does not know this label */
        set_charset(res, icu ? icu : label, tries[i].src);
        res->invalid_bytes = nbad;
        *utf8 = scratch->data;
        *utf8_len = scratch->len;
        return 0;
    }
    /* Unreachable in practice (windows-1252 always converts); stay defined anyway. */
    wn_buf_reset(scratch);
    res->invalid_bytes = (uint64_t)wn_utf8_repair(in, len, scratch);
    set_charset(res, "UTF-8", WN_HTML_CS_DEFAULT);
    *utf8 = scratch->data;
    *utf8_len = scratch->len;
    return 0;
}
