/* nsfw.c: the NSFW filters.
 *
 * nsfw_words: Llama 3's dirty-word counting (and C4's bad-words rule, with lists: [en.txt]
 *   and max_hits: 0): the LDNOOBW lists of all languages, matched at once with Hyperscan
 *   (wordlist.h: whole words where words are spaced, substrings in CJK and Thai), the
 *   document's own language's list when langid ran before (by_language). Drops
 *   ("nsfw.dirty_words") when hits > max_hits or hits / words > max_ratio. Signals:
 *   nsfw.dirty_words, nsfw.dirty_ratio.
 *
 * url: the RefinedWeb/FineWeb URL filter (datatrove URLFilter) plus UT1-format domain lists:
 *   host or a parent domain in domain_lists                    -> url.blocked_domain
 *   host/path under an entry of url_lists (UT1 `urls` files)   -> url.blocked_url
 *   a URL word (split on non-alphanumerics) in banned_words    -> url.banned_word
 *   >= soft_word_threshold URL words in soft_banned_words      -> url.soft_banned_words
 *   a banned subword in the URL reduced to [a-z0-9]            -> url.banned_subword
 *   Documents without a URL pass (counted as "url.missing").
 */
#include "filter/filter.h"
#include "filter/urllist.h"
#include "filter/wordlist.h"
#include "core/args.h"
#include "core/buf.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

static void free_paths(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(v[i]);
    free(v);
}

/* ---- nsfw_words ---- */

/* One list per language when the lists come from a directory of <lang>.txt files: a
 * document is matched against its own language's list (from langid), so that "am" (a
 * Turkish entry) or "negro" (French) do not count in English text. Documents without a
 * language, or in a language without a list, are matched against all lists together. */
typedef struct lang_list {
    char *lang;
    wn_wordlist *wl;
} lang_list;

typedef struct nsfw {
    wn_wordlist *all;
    lang_list *langs;
    size_t n_langs;
    double max_hits, max_ratio;
} nsfw;

static const wn_wordlist *list_for(const nsfw *f, const wn_doc *d)
{
    const char *lang = wn_doc_attr_get_string(d, "langid.language");
    for (size_t i = 0; lang && i < f->n_langs; i++)
        if (!strcmp(f->langs[i].lang, lang))
            return f->langs[i].wl;
    return f->all;
}

static void nsfw_doc(void *state, wn_doc *d, wn_stats *s)
{
    const nsfw *f = state;
    const wn_text *t = wn_text_analyze(d);
    size_t hits = wn_wordlist_count(list_for(f, d), d->text.ptr, d->text.len, 0);
    double ratio = t->n_nonsym ? (double)hits / (double)t->n_nonsym : 0.0;
    wn_filter_signal(d, t->n_chars, s, "nsfw.dirty_words", (double)hits, 0, 50);
    wn_filter_signal(d, t->n_chars, s, "nsfw.dirty_ratio", ratio, 0, 0.1);
    if ((double)hits > f->max_hits || ratio > f->max_ratio)
        d->drop_reason = "nsfw.dirty_words";
}

static void nsfw_release(void *state)
{
    nsfw *f = state;
    wn_wordlist_free(f->all);
    for (size_t i = 0; i < f->n_langs; i++) {
        free(f->langs[i].lang);
        wn_wordlist_free(f->langs[i].wl);
    }
    free(f->langs);
    free(f);
}

/* Per-language lists from the *.txt files of directories ("fr-CA-u-sd-caqc.txt" joins
 * "fr"). Returns 0 or -1 with err set. */
static int load_languages(nsfw *f, char **paths, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        char **files;
        size_t nf;
        if (!wn_list_dir(paths[i], &files, &nf))
            continue; /* a plain file: only in the union */
        for (size_t k = 0; k < nf; k++) {
            const char *base = strrchr(files[k], '/') + 1;
            size_t len = strcspn(base, "-.");
            char *lang = wn_xstrndup(base, len);
            size_t j;
            for (j = 0; j < f->n_langs && strcmp(f->langs[j].lang, lang); j++)
                ;
            if (j < f->n_langs) { /* a regional list: rebuild the language's list with it */
                free(lang);
                continue;
            }
            char **group = wn_xcalloc(nf, sizeof *group);
            size_t ng = 0;
            for (size_t m = 0; m < nf; m++) {
                const char *b = strrchr(files[m], '/') + 1;
                if (strcspn(b, "-.") == len && !strncmp(b, lang, len))
                    group[ng++] = files[m];
            }
            wn_wordlist *wl = wn_wordlist_load(group, ng, false, true, err, errlen);
            free(group);
            if (!wl) {
                free(lang);
                wn_free_strv(files, nf);
                return -1;
            }
            f->langs = wn_xrealloc(f->langs, (f->n_langs + 1) * sizeof *f->langs);
            f->langs[f->n_langs++] = (lang_list){lang, wl};
        }
        wn_free_strv(files, nf);
    }
    return 0;
}

wn_stage *wn_filter_nsfw_words_new(wn_fparams *p)
{
    static const char *const defs[] = {"data/nsfw/ldnoobw", NULL};
    nsfw *f = wn_xcalloc(1, sizeof *f);
    size_t n;
    char **lists = wn_fp_paths(p, "lists", defs, &n);
    bool by_language = wn_fp_bool(p, "by_language", true);
    f->max_hits = wn_fp_num(p, "max_hits", 2);
    f->max_ratio = wn_fp_num(p, "max_ratio", 0.01);
    char err[512];
    f->all = wn_wordlist_load(lists, n, false, true, err, sizeof err);
    if (f->all && by_language && load_languages(f, lists, n, err, sizeof err)) {
        wn_wordlist_free(f->all);
        f->all = NULL;
    }
    free_paths(lists, n);
    if (!f->all) {
        wn_fp_fail(p, "%s", err);
        nsfw_release(f);
        return NULL;
    }
    return wn_filter_stage_new("nsfw_words", f, nsfw_doc, nsfw_release);
}

/* ---- url ---- */

typedef struct urlf {
    wn_wordlist *domains, *banned, *soft, *subwords; /* any may be NULL */
    wn_urllist *urls;                                /* may be NULL */
    double soft_threshold;
} urlf;

/* Is host, or a domain it is under, in the list? ("a.b.example.com" checks all suffixes) */
static bool domain_blocked(const wn_wordlist *wl, const char *host, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (wn_wordlist_contains(wl, host + i, n - i))
            return true;
        const char *dot = memchr(host + i, '.', n - i);
        if (!dot)
            break;
        i = (size_t)(dot - host) + 1;
    }
    return false;
}

static void url_doc(void *state, wn_doc *d, wn_stats *s)
{
    const urlf *u = state;
    if (!d->url.len) {
        wn_stats_add(s, "url.missing", 1);
        return;
    }
    char host[256];
    size_t hn = wn_url_host(d->url.ptr, d->url.len, host, sizeof host);
    if (u->domains && hn && domain_blocked(u->domains, host, hn)) {
        d->drop_reason = "url.blocked_domain";
        return;
    }
    if (u->urls && wn_urllist_blocks(u->urls, d->url.ptr, d->url.len)) {
        d->drop_reason = "url.blocked_url";
        return;
    }
    /* words of the lowercased URL split on non-alphanumerics, and the URL reduced to them */
    wn_buf joined = WN_BUF_INIT;
    size_t soft = 0;
    bool banned = false;
    const char *p = d->url.ptr, *end = p + d->url.len;
    while (p < end) {
        while (p < end && !isalnum((unsigned char)*p))
            p++;
        const char *w = p;
        while (p < end && isalnum((unsigned char)*p))
            p++;
        if (p == w)
            continue;
        size_t wl = (size_t)(p - w);
        banned |= u->banned && wn_wordlist_contains(u->banned, w, wl);
        soft += u->soft && wn_wordlist_contains(u->soft, w, wl);
        for (size_t i = 0; i < wl; i++)
            wn_buf_appendc(&joined, (char)tolower((unsigned char)w[i]));
    }
    if (banned)
        d->drop_reason = "url.banned_word";
    else if ((double)soft >= u->soft_threshold)
        d->drop_reason = "url.soft_banned_words";
    else if (u->subwords && joined.len && wn_wordlist_count(u->subwords, joined.data, joined.len, 1))
        d->drop_reason = "url.banned_subword";
    wn_buf_release(&joined);
}

static void url_release(void *state)
{
    urlf *u = state;
    wn_wordlist_free(u->domains);
    wn_urllist_free(u->urls);
    wn_wordlist_free(u->banned);
    wn_wordlist_free(u->soft);
    wn_wordlist_free(u->subwords);
    free(u);
}

static wn_wordlist *load_lists(wn_fparams *p, const char *key, const char *const *defs,
                               bool normalize, bool scan)
{
    size_t n;
    char **paths = wn_fp_paths(p, key, defs, &n);
    wn_wordlist *wl = NULL;
    if (n) {
        char err[512];
        wl = wn_wordlist_load(paths, n, normalize, scan, err, sizeof err);
        if (!wl)
            wn_fp_fail(p, "%s: %s", key, err);
    }
    free_paths(paths, n);
    return wl;
}

wn_stage *wn_filter_url_new(wn_fparams *p)
{
    static const char *const dom[] = {"data/nsfw/blocklists/pi_blocklist_porn_top1m.list", NULL};
    static const char *const ban[] = {"data/nsfw/url/banned_words.txt", NULL};
    static const char *const soft[] = {"data/nsfw/url/soft_banned_words.txt", NULL};
    static const char *const sub[] = {"data/nsfw/url/banned_subwords.txt", NULL};
    urlf *u = wn_xcalloc(1, sizeof *u);
    u->domains = load_lists(p, "domain_lists", dom, false, false);
    size_t n_urls;
    char **url_paths = wn_fp_paths(p, "url_lists", NULL, &n_urls);
    if (n_urls) {
        char err[512];
        u->urls = wn_urllist_load(url_paths, n_urls, err, sizeof err);
        if (!u->urls)
            wn_fp_fail(p, "url_lists: %s", err);
    }
    free_paths(url_paths, n_urls);
    u->banned = load_lists(p, "banned_words", ban, false, false);
    u->soft = load_lists(p, "soft_banned_words", soft, false, false);
    u->subwords = load_lists(p, "banned_subwords", sub, true, true);
    u->soft_threshold = wn_fp_num(p, "soft_word_threshold", 2);
    return wn_filter_stage_new("url", u, url_doc, url_release);
}
