/* html_explain.c: a readable dump of the page model, for `winnow html2text --explain`. */
#include <stdio.h>

#include "ingest/html_internal.h"

static const char *kind_name(uint8_t k)
{
    static const char *const names[] = {
        "inline", "div", "p", "h", "list", "li", "pre", "quote", "table", "tr", "td", "br",
        "img", "math", "skip", "chrome", "figure", "caption", "article", "title", "head",
    };
    return k < sizeof names / sizeof names[0] ? names[k] : "?";
}

void html_explain(const html_page *pg, void *file)
{
    FILE *f = file;
    for (size_t i = 0; i < pg->n_blocks; i++) {
        const html_block *b = &pg->blocks[i];
        fprintf(f, "%c %5u l%-4u ", (b->flags & HB_KEEP) ? '+' : '-', b->len, b->link);
        /* the container path, innermost last, at most 6 levels */
        int32_t path[6];
        int n = 0;
        for (int32_t a = b->node; a >= 0 && n < 6; a = pg->nodes[a].parent)
            path[n++] = a;
        while (n-- > 0) {
            const html_node *nd = &pg->nodes[path[n]];
            fprintf(f, "%s#%d%s%s%s", kind_name(nd->kind), path[n],
                    nd->excluded ? "x" : "", nd->hint > 0 ? "+" : nd->hint < 0 ? "-" : "",
                    (nd->flags & HN_HINT_STRONG_BAD) ? "!" : "");
            if (nd->scored)
                fprintf(f, "(%.0f)", nd->score);
            fputc(n ? '/' : ' ', f);
        }
        int show = b->len < 70 ? (int)b->len : 70;
        fprintf(f, "| %.*s\n", show, pg->text.data + b->start);
    }
}
