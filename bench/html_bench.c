/* html_bench.c: HTML-to-text speed and quality on the article-extraction benchmark pages.
 *
 *   html_bench speed DIR [SECONDS]   MB/s of HTML per core: wn_html_extract vs libxml2's own
 *                                    parse-only time (SAX with no callbacks = the ceiling,
 *                                    and a full tree parse, htmlReadMemory, for reference)
 *   html_bench dump DIR OUT.json     {"<sha256>": {"articleBody": text}} for bench/html_eval.py
 *
 * DIR is the benchmark folder (with html/<sha256>.html.gz). Pages are decompressed into
 * memory first so only the HTML work is timed; each variant runs over all pages repeatedly
 * for about SECONDS (default 3) on one thread. Built and run by bench/html.sh.
 */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libxml/HTMLparser.h>
#include <libxml/HTMLtree.h>
#include <zlib.h>

#include "core/buf.h"
#include "ingest/html.h"

typedef struct page {
    char *name; /* sha256 */
    wn_buf html;
} page;

static int cmp_page(const void *a, const void *b)
{
    return strcmp(((const page *)a)->name, ((const page *)b)->name);
}

static int load_pages(const char *dir, page **out, size_t *n_out)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/html", dir);
    DIR *d = opendir(path);
    if (!d) {
        fprintf(stderr, "cannot open '%s'\n", path);
        return -1;
    }
    page *pages = NULL;
    size_t n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t l = strlen(e->d_name);
        if (l < 9 || strcmp(e->d_name + l - 8, ".html.gz") != 0)
            continue;
        snprintf(path, sizeof path, "%s/html/%s", dir, e->d_name);
        gzFile gz = gzopen(path, "rb");
        if (!gz)
            continue;
        if (n == cap) {
            cap = cap ? cap * 2 : 128;
            pages = wn_xrealloc(pages, cap * sizeof *pages);
        }
        page *p = &pages[n++];
        p->name = wn_xstrndup(e->d_name, l - 8);
        p->html = (wn_buf)WN_BUF_INIT;
        char buf[65536];
        int got;
        while ((got = gzread(gz, buf, sizeof buf)) > 0)
            wn_buf_append(&p->html, buf, (size_t)got);
        gzclose(gz);
    }
    closedir(d);
    qsort(pages, n, sizeof *pages, cmp_page);
    *out = pages;
    *n_out = n;
    return 0;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static double thread_cpu(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

enum variant { V_EXTRACT, V_SAX_NOOP, V_SAX_EMPTY, V_TREE };

static void empty_start(void *c, const xmlChar *n, const xmlChar **a) { (void)c, (void)n, (void)a; }
static void empty_end(void *c, const xmlChar *n) { (void)c, (void)n; }
static void empty_chars(void *c, const xmlChar *t, int n) { (void)c, (void)t, (void)n; }

static void run_once(enum variant v, const page *p, wn_html_result *r)
{
    if (v == V_EXTRACT) {
        wn_html_extract(p->html.data, p->html.len, NULL, NULL, r);
    } else if (v == V_SAX_NOOP || v == V_SAX_EMPTY) {
        /* the parser alone: tokenising, entity decoding, implied tags; no callbacks, or
         * callbacks that do nothing (what any SAX consumer pays) */
        htmlSAXHandler sax;
        memset(&sax, 0, sizeof sax);
        if (v == V_SAX_EMPTY) {
            sax.startElement = empty_start;
            sax.endElement = empty_end;
            sax.characters = empty_chars;
            sax.ignorableWhitespace = empty_chars;
        }
        htmlParserCtxtPtr c = htmlCreatePushParserCtxt(&sax, NULL, NULL, 0, NULL,
                                                       XML_CHAR_ENCODING_UTF8);
        htmlCtxtUseOptions(c, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                  HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC);
        htmlParseChunk(c, p->html.data, (int)p->html.len, 1);
        htmlFreeParserCtxt(c);
    } else {
        htmlDocPtr doc = htmlReadMemory(p->html.data, (int)p->html.len, NULL, "UTF-8",
                                        HTML_PARSE_RECOVER | HTML_PARSE_NOERROR |
                                            HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
        xmlFreeDoc(doc);
    }
}

/* CPU seconds per pass over all pages (best of the passes, to resist load from others). */
static double measure(enum variant v, const page *pages, size_t n, double seconds, size_t *bytes)
{
    wn_html_result r;
    wn_html_result_init(&r);
    double best = 1e30, start = now();
    int passes = 0;
    *bytes = 0;
    for (size_t i = 0; i < n; i++)
        *bytes += pages[i].html.len;
    do {
        double t0 = thread_cpu();
        for (size_t i = 0; i < n; i++)
            run_once(v, &pages[i], &r);
        double t = thread_cpu() - t0;
        if (t < best)
            best = t;
        passes++;
    } while (now() - start < seconds || passes < 2);
    wn_html_result_release(&r);
    return best;
}

static int cmd_speed(const char *dir, double seconds)
{
    page *pages;
    size_t n;
    if (load_pages(dir, &pages, &n) != 0 || n == 0)
        return 1;
    size_t bytes;
    double t_ex = measure(V_EXTRACT, pages, n, seconds, &bytes);
    double t_sax = measure(V_SAX_NOOP, pages, n, seconds, &bytes);
    double t_empty = measure(V_SAX_EMPTY, pages, n, seconds, &bytes);
    double t_tree = measure(V_TREE, pages, n, seconds, &bytes);
    double mb = (double)bytes / 1e6;
    printf("pages: %zu, %.1f MB of HTML; one thread, CPU time, best pass of several\n", n, mb);
    printf("  libxml2 SAX parse only (ceiling) %8.1f MB/s\n", mb / t_sax);
    printf("  libxml2 SAX, empty callbacks     %8.1f MB/s\n", mb / t_empty);
    printf("  libxml2 tree parse (htmlReadMemory)%6.1f MB/s\n", mb / t_tree);
    printf("  wn_html_extract                  %8.1f MB/s  (%.2fx the parse-only time)\n",
           mb / t_ex, t_ex / t_sax);
    for (size_t i = 0; i < n; i++) {
        free(pages[i].name);
        wn_buf_release(&pages[i].html);
    }
    free(pages);
    return 0;
}

static int cmd_dump(const char *dir, const char *out_path)
{
    page *pages;
    size_t n;
    if (load_pages(dir, &pages, &n) != 0)
        return 1;
    json_t *root = json_object();
    wn_html_result r;
    wn_html_result_init(&r);
    for (size_t i = 0; i < n; i++) {
        wn_html_extract(pages[i].html.data, pages[i].html.len, NULL, NULL, &r);
        json_t *o = json_object();
        json_object_set_new(o, "articleBody", json_stringn(r.text.data ? r.text.data : "",
                                                           r.text.len));
        json_object_set_new(o, "title", json_stringn(r.title.data ? r.title.data : "",
                                                     r.title.len));
        json_object_set_new(root, pages[i].name, o);
        free(pages[i].name);
        wn_buf_release(&pages[i].html);
    }
    wn_html_result_release(&r);
    free(pages);
    int rc = json_dump_file(root, out_path, JSON_INDENT(1) | JSON_SORT_KEYS);
    json_decref(root);
    return rc == 0 ? 0 : 1;
}

/* The block table of the page whose name starts with `prefix`. */
static int cmd_explain(const char *dir, const char *prefix)
{
    page *pages;
    size_t n;
    if (load_pages(dir, &pages, &n) != 0)
        return 1;
    wn_html_result r;
    wn_html_result_init(&r);
    wn_html_options opt = { .explain = stdout };
    for (size_t i = 0; i < n; i++)
        if (strncmp(pages[i].name, prefix, strlen(prefix)) == 0)
            wn_html_extract_opts(pages[i].html.data, pages[i].html.len, NULL, NULL, &opt, &r);
    wn_html_result_release(&r);
    return 0;
}

int main(int argc, char **argv)
{
    wn_html_global_init();
    if (argc >= 3 && strcmp(argv[1], "speed") == 0)
        return cmd_speed(argv[2], argc > 3 ? atof(argv[3]) : 3.0);
    if (argc == 4 && strcmp(argv[1], "dump") == 0)
        return cmd_dump(argv[2], argv[3]);
    if (argc == 4 && strcmp(argv[1], "explain") == 0)
        return cmd_explain(argv[2], argv[3]);
    fprintf(stderr, "usage: html_bench speed DIR [SECONDS] | html_bench dump DIR OUT.json\n");
    return 2;
}
