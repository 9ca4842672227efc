/* html_internal.h: the pieces of the HTML extractor, shared by ingest/html_*.c only.
 *
 * Flow (ingest/html.c): html_decode_utf8 turns the page into valid UTF-8; html_sax_run
 * streams it through libxml2's SAX parser into a flat page model (element nodes + text
 * blocks, no DOM); html_select marks the blocks that make up the main content;
 * html_emit writes the kept blocks as lines.
 */
#ifndef WN_HTML_INTERNAL_H
#define WN_HTML_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "core/buf.h"
#include "ingest/html.h"

/* ---- charset (html_charset.c) ---- */

/* Make `in` valid UTF-8, choosing the charset from a BOM, the hint, a <meta> prescan or
 * ICU detection. Sets *utf8 and *utf8_len either to `in` itself (already valid UTF-8: no copy)
 * or to `scratch`'s contents. Fills res->charset, res->charset_source and
 * res->invalid_bytes. Returns 0, or WN_HTML_NOT_HTML when the bytes look binary. */
int html_decode_utf8(const char *in, size_t len, const char *hint, wn_buf *scratch,
                     const char **utf8, size_t *utf8_len, wn_html_result *res);

/* ---- page model (html_sax.c) ---- */

/* What an element means for text extraction. */
enum html_kind {
    HK_INLINE = 0,  /* a, span, b, ...: text flows through, no node */
    HK_BLOCK,       /* div, section, ...: a line boundary and a node */
    HK_PARA,        /* p: a paragraph */
    HK_HEADING,     /* h1..h6 */
    HK_LIST,        /* ul, ol, dl */
    HK_ITEM,        /* li, dt, dd */
    HK_PRE,         /* pre: verbatim */
    HK_QUOTE,       /* blockquote */
    HK_TABLE,       /* table */
    HK_ROW,         /* tr: one line */
    HK_CELL,        /* td, th: tab-separated inside a row */
    HK_BR,          /* br: line break */
    HK_IMG,         /* img: alt text */
    HK_MATH,        /* math: alttext or TeX annotation */
    HK_SKIP,        /* script, style, svg, select, ...: content never visible */
    HK_CHROME,      /* nav, header, footer, aside, form, menu: page chrome (a node) */
    HK_FIGURE,      /* figure */
    HK_CAPTION,     /* figcaption, caption */
    HK_ARTICLE,     /* article, main */
    HK_TITLE,       /* title */
    HK_HEAD         /* head: invisible, except the title */
};

/* Node flags */
#define HN_HINT_BAD     0x01u   /* class/id says boilerplate (share, comment, related, ...) */
#define HN_HINT_GOOD    0x02u   /* class/id says content (article, content, post, ...) */
#define HN_ARTICLE_BODY 0x04u   /* itemprop="articleBody" (schema.org) */
#define HN_HINT_STRONG_BAD 0x08u /* class/id names a block never part of an article body */

typedef struct html_node {
    int32_t parent;       /* index of the parent node, -1 for the root */
    uint8_t kind;         /* enum html_kind */
    uint8_t flags;        /* HN_* */
    int8_t hint;          /* class/id weight: -1 bad, 0, +1 good (readability's +-25) */
    uint8_t flags_noid;   /* flags and hint from the class alone (sections: see html_sax.c) */
    int8_t hint_noid;
    uint32_t first_block; /* blocks [first_block, end_block) lie inside this node */
    uint32_t end_block;
    uint32_t end_node;    /* nodes (index, end_node) are this node's descendants */
    uint32_t part_hash;   /* hash of tag and class (html_sax.c part_hash), 0 for none */
    /* filled by html_select */
    uint32_t text;        /* visible text bytes in the subtree */
    uint32_t link;        /* of which inside <a> */
    uint32_t prose;       /* bytes of <p> blocks of 80+ bytes, few links, in the subtree */
    uint32_t heading;     /* bytes of heading blocks in the subtree */
    uint32_t code;        /* bytes of verbatim (<pre>, <code>) blocks in the subtree */
    float score;          /* readability-style content score */
    uint8_t excluded;     /* chrome or boilerplate: its blocks never reach the output */
    uint8_t scored;       /* score initialised */
    uint8_t boiler;       /* inside a node named boilerplate, a figure or a caption */
} html_node;

/* Block flags */
#define HB_PRE      0x01u  /* verbatim text */
#define HB_HEADING  0x02u
#define HB_ITEM     0x04u
#define HB_ROW      0x08u
#define HB_CAPTION  0x10u
#define HB_QUOTE    0x20u
#define HB_ALT      0x40u  /* all of the block's text is image alt text */
#define HB_KEEP     0x80u  /* set by html_select */

typedef struct html_block {
    uint32_t start, len;  /* bytes in page.text */
    uint32_t link;        /* bytes of the block inside <a> */
    int32_t node;         /* innermost enclosing node */
    uint16_t commas;
    uint8_t flags;        /* HB_* */
    uint8_t kind;         /* html_kind of the innermost node */
} html_block;

typedef struct html_page {
    wn_buf text;          /* all visible text, blocks back to back */
    wn_buf title;
    html_node *nodes;
    size_t n_nodes, cap_nodes;
    html_block *blocks;
    size_t n_blocks, cap_blocks;
} html_page;

void html_page_init(html_page *p);
void html_page_reset(html_page *p);
void html_page_release(html_page *p);

/* Parse UTF-8 HTML into the page model. Returns 0, or -1 if the parser could not be made. */
int html_sax_run(const char *utf8, size_t len, html_page *page);

/* ---- content selection (html_select.c) ---- */

/* Set HB_KEEP on the blocks of the main content. keep_all keeps every visible block. */
void html_select(html_page *page, int keep_all);

/* ---- debugging (html_explain.c) ---- */

/* One line per block: kept?, length, link bytes, container path with scores, text head. */
void html_explain(const html_page *page, void *file);

#endif
