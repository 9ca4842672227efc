/* cmd_html2text.c: `winnow html2text FILE...` prints the main text that ingest would keep
 * from each HTML file (plain, .gz or .zst; "-" is stdin): a debugging window onto
 * ingest/html.h. --explain shows every text block with its container path and verdict. */
#include "cli/command.h"
#include "core/args.h"
#include "core/buf.h"
#include "core/io.h"
#include "core/log.h"
#include "ingest/html.h"

#include <getopt.h>
#include <stdio.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: winnow html2text [options] FILE...\n"
            "Print the main text of HTML pages (plain, .gz or .zst; '-' reads stdin).\n\n"
            "  --charset C   charset from the HTTP header (default: BOM, <meta>, detection)\n"
            "  --url U       the page's URL (hints only)\n"
            "  --all         keep every visible block: no boilerplate removal\n"
            "  --explain     print each block as '+'/'-' (kept/dropped), length, link bytes,\n"
            "                container path with scores (x excluded, + good / - bad class\n"
            "                or id, ! boilerplate name) and its first words\n"
            "  --info        print title, charset, replaced sequences and counts first\n"
            "  -h, --help    this help\n\n"
            "exit codes: 0 done (pages without text print nothing), 1 unreadable input,\n"
            "2 bad arguments\n");
}

static int read_all(const char *path, wn_buf *out)
{
    char err[256];
    wn_in *in = wn_in_open(path, WN_COMP_AUTO, err, sizeof err);
    if (!in) {
        wn_error("%s", err);
        return -1;
    }
    wn_buf_reset(out);
    ssize_t n;
    do {
        wn_buf_grow(out, 1 << 16);
        n = wn_in_read(in, out->data + out->len, 1 << 16);
        if (n > 0)
            out->len += (size_t)n;
    } while (n > 0);
    if (out->data)
        out->data[out->len] = '\0';
    int rc = 0;
    if (n < 0) {
        wn_error("cannot read '%s': %s", path, wn_in_errmsg(in));
        rc = -1;
    }
    wn_in_close(in);
    return rc;
}

int cmd_html2text(int argc, char **argv)
{
    static const struct option opts[] = {
        { "charset", required_argument, NULL, 'c' }, { "url", required_argument, NULL, 'u' },
        { "all", no_argument, NULL, 'a' },           { "explain", no_argument, NULL, 'e' },
        { "info", no_argument, NULL, 'i' },          { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    const char *charset = NULL, *url = NULL;
    bool info = false;
    wn_html_options ho = { 0 };
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 'c': charset = optarg; break;
        case 'u': url = optarg; break;
        case 'a': ho.keep_all = 1; break;
        case 'e': ho.explain = stdout; break;
        case 'i': info = true; break;
        case 'h': usage(stdout); return WN_EXIT_OK;
        default: usage(stderr); return WN_EXIT_USAGE;
        }
    }
    if (optind >= argc) {
        usage(stderr);
        return WN_EXIT_USAGE;
    }
    wn_html_global_init();
    wn_html_result r;
    wn_html_result_init(&r);
    wn_buf page = WN_BUF_INIT;
    int status = WN_EXIT_OK;
    for (int i = optind; i < argc; i++) {
        if (read_all(argv[i], &page) != 0) {
            status = WN_EXIT_FAILURE;
            continue;
        }
        int rc = wn_html_extract_opts(page.data, page.len, charset, url, &ho, &r);
        if (info || argc - optind > 1)
            printf("== %s\n", argv[i]);
        if (info)
            printf("result: %s\ntitle: %.*s\ncharset: %s\nreplaced: %llu\n"
                   "blocks: %llu kept of %llu\n\n",
                   wn_html_strerror(rc), (int)r.title.len, r.title.data ? r.title.data : "",
                   r.charset, (unsigned long long)r.invalid_bytes,
                   (unsigned long long)r.blocks_kept, (unsigned long long)r.blocks_total);
        if (rc == WN_HTML_NOT_HTML || rc == WN_HTML_ERROR)
            wn_warn("'%s': %s", argv[i], wn_html_strerror(rc));
        if (!ho.explain && r.text.len) {
            fwrite(r.text.data, 1, r.text.len, stdout);
            fputc('\n', stdout);
        }
    }
    wn_buf_release(&page);
    wn_html_result_release(&r);
    return status;
}
