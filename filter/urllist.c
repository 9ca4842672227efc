/* urllist.c: UT1 `urls` lists, see urllist.h. Entries are kept normalised in a sorted
 * array; a URL is normalised the same way and each of its prefixes that ends at a path
 * boundary is looked up (a handful of binary searches per URL). */
#include "filter/urllist.h"

#include "core/args.h"
#include "core/buf.h"
#include "filter/filter.h"
#include "filter/wordlist.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct wn_urllist {
    char **entries; /* normalised, sorted, unique */
    size_t n;
};

/* Length of a leading "www.", "www2.", "web.", "ftp3." ... label of a host, 0 if none. */
static size_t service_label(const char *h, size_t n)
{
    static const char *const names[] = {"www", "web", "ftp"};
    for (size_t k = 0; k < 3; k++) {
        if (n < 4 || memcmp(h, names[k], 3) != 0)
            continue;
        size_t i = 3;
        while (i < n && isdigit((unsigned char)h[i]))
            i++;
        if (i < n && h[i] == '.' && i + 1 < n)
            return i + 1;
    }
    return 0;
}

/* "Scheme://user@Host:port/Path?q" -> "host/path?q" (lowercased, service label and a final
 * '/' dropped) appended to out. */
static void normalise(const char *url, size_t n, wn_buf *out)
{
    const char *h;
    size_t hn, path = wn_url_host_span(url, n, &h, &hn);
    size_t start = out->len;
    for (size_t i = 0; i < hn; i++)
        wn_buf_appendc(out, (char)tolower((unsigned char)h[i]));
    size_t skip = service_label(out->data ? out->data + start : "", out->len - start);
    if (skip) {
        memmove(out->data + start, out->data + start + skip, out->len - start - skip);
        out->len -= skip;
    }
    for (size_t i = path; i < n; i++)
        wn_buf_appendc(out, (char)tolower((unsigned char)url[i]));
    while (out->len > start && out->data[out->len - 1] == '/')
        out->len--;
    wn_buf_appendc(out, '\0');
    out->len--;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

wn_urllist *wn_urllist_load(char *const *paths, size_t n, char *err, size_t errlen)
{
    char **raw;
    size_t n_raw;
    if (wn_list_read(paths, n, &raw, &n_raw, err, errlen) != 0)
        return NULL;
    wn_urllist *ul = wn_xcalloc(1, sizeof *ul);
    ul->entries = wn_xcalloc(n_raw ? n_raw : 1, sizeof *ul->entries);
    wn_buf b = WN_BUF_INIT;
    for (size_t i = 0; i < n_raw; i++) {
        wn_buf_reset(&b);
        normalise(raw[i], strlen(raw[i]), &b);
        if (b.len && raw[i][0] != '#')
            ul->entries[ul->n++] = wn_xstrdup(b.data);
    }
    wn_buf_release(&b);
    wn_free_strv(raw, n_raw);
    qsort(ul->entries, ul->n, sizeof *ul->entries, cmp_str);
    size_t k = 0;
    for (size_t i = 0; i < ul->n; i++) {
        if (k && strcmp(ul->entries[k - 1], ul->entries[i]) == 0)
            free(ul->entries[i]);
        else
            ul->entries[k++] = ul->entries[i];
    }
    ul->n = k;
    if (!ul->n) {
        snprintf(err, errlen, "no entries in '%s'%s", n ? paths[0] : "", n > 1 ? " and the other lists" : "");
        wn_urllist_free(ul);
        return NULL;
    }
    return ul;
}

void wn_urllist_free(wn_urllist *ul)
{
    if (!ul)
        return;
    wn_free_strv(ul->entries, ul->n);
    free(ul);
}

size_t wn_urllist_size(const wn_urllist *ul)
{
    return ul->n;
}

static bool has(const wn_urllist *ul, const char *s)
{
    return bsearch(&s, ul->entries, ul->n, sizeof *ul->entries, cmp_str) != NULL;
}

bool wn_urllist_blocks(const wn_urllist *ul, const char *url, size_t n)
{
    wn_buf b = WN_BUF_INIT;
    normalise(url, n, &b);
    bool hit = false;
    /* every prefix that ends where a path segment, the query or the fragment starts */
    for (size_t i = 1; i <= b.len && !hit; i++) {
        char c = i < b.len ? b.data[i] : '\0';
        if (c != '\0' && c != '/' && c != '?' && c != '#')
            continue;
        b.data[i < b.len ? i : b.len] = '\0';
        hit = has(ul, b.data);
        if (i < b.len)
            b.data[i] = c;
    }
    wn_buf_release(&b);
    return hit;
}
