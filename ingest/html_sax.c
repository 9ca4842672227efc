/* html_sax.c: stream a page through libxml2's HTML push parser (SAX callbacks, no tree) and
 * build the flat page model of html_internal.h: one node per block-level element, one text
 * block per run of text between block boundaries.
 *
 * Text is normalised as it arrives: whitespace runs become one space (verbatim inside
 * <pre>), control bytes count as whitespace, U+00A0 becomes a space. Content that is never
 * shown (script, style, template, svg, form controls, elements hidden with the `hidden`
 * attribute or an inline display:none) is skipped. The element stack is ours, so that
 * unbalanced or implied tags cannot unbalance our counters.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/HTMLparser.h>
#include <libxml/parser.h>

#include "ingest/html_internal.h"

/* ---- tag table ---- */

static uint8_t tag_kind(const char *n)
{
    static const struct { const char *name; uint8_t kind; } tags[] = {
        { "a", HK_INLINE }, { "address", HK_BLOCK }, { "annotation-xml", HK_SKIP },
        { "applet", HK_SKIP }, { "article", HK_ARTICLE }, { "aside", HK_CHROME },
        { "audio", HK_SKIP }, { "blockquote", HK_QUOTE }, { "body", HK_BLOCK },
        { "br", HK_BR }, { "button", HK_SKIP }, { "canvas", HK_SKIP },
        { "caption", HK_CAPTION }, { "center", HK_BLOCK }, { "datalist", HK_SKIP },
        { "dd", HK_ITEM }, { "details", HK_BLOCK }, { "dialog", HK_CHROME },
        { "dir", HK_LIST }, { "div", HK_BLOCK }, { "dl", HK_LIST }, { "dt", HK_ITEM },
        { "embed", HK_SKIP }, { "fieldset", HK_BLOCK }, { "figcaption", HK_CAPTION },
        { "figure", HK_FIGURE }, { "footer", HK_CHROME }, { "form", HK_CHROME },
        { "frameset", HK_SKIP }, { "h1", HK_HEADING }, { "h2", HK_HEADING },
        { "h3", HK_HEADING }, { "h4", HK_HEADING }, { "h5", HK_HEADING },
        { "h6", HK_HEADING }, { "head", HK_SKIP }, { "header", HK_CHROME },
        { "hr", HK_BLOCK }, { "html", HK_BLOCK }, { "iframe", HK_SKIP }, { "img", HK_IMG },
        { "input", HK_SKIP }, { "legend", HK_BLOCK }, { "li", HK_ITEM },
        { "main", HK_ARTICLE }, { "map", HK_SKIP }, { "math", HK_MATH },
        { "menu", HK_CHROME }, { "nav", HK_CHROME }, { "noembed", HK_SKIP },
        { "noframes", HK_SKIP }, { "noscript", HK_SKIP }, { "object", HK_SKIP },
        { "ol", HK_LIST }, { "optgroup", HK_SKIP }, { "option", HK_SKIP },
        { "p", HK_PARA }, { "picture", HK_INLINE }, { "pre", HK_PRE },
        { "script", HK_SKIP }, { "section", HK_BLOCK }, { "select", HK_SKIP },
        { "style", HK_SKIP }, { "summary", HK_BLOCK }, { "svg", HK_SKIP },
        { "table", HK_TABLE }, { "tbody", HK_INLINE }, { "td", HK_CELL },
        { "template", HK_SKIP }, { "textarea", HK_SKIP }, { "tfoot", HK_INLINE },
        { "th", HK_CELL }, { "thead", HK_INLINE }, { "title", HK_TITLE }, { "tr", HK_ROW },
        { "ul", HK_LIST }, { "video", HK_SKIP },
    };
    /* Binary search: the table is sorted by name. */
    size_t lo = 0, hi = sizeof tags / sizeof tags[0];
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strcmp(n, tags[mid].name);
        if (c == 0)
            return tags[mid].kind;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return HK_INLINE;
}

/* ---- class/id hints ---- */

/* Words in class and id values that name page parts other than the article text. A word
 * matches when a class/id token (split at non-letters) starts with it. */
static const char *const k_bad_prefix[] = {
    "ad", "ads", "advert", "adsby", "banner", "breadcrumb", "byline", "caption", "comment",
    "cookie", "credit", "disqus", "dropdown", "footer", "gdpr", "login", "masthead", "menu",
    "modal", "more", "nav", "newsletter", "outbrain", "pagination", "pager", "paywall",
    "popular", "popup", "print", "promo", "rating", "recirc", "recommend", "related", "share",
    "sharing", "shop", "sidebar", "signup", "skip", "social", "sponsor", "subscri", "taboola",
    "tags", "toolbar", "tools", "trending", "widget",
};
/* Of those, the ones that are never part of an article body even inside it. */
static const char *const k_strong_prefix[] = {
    "ad", "ads", "adsby", "advert", "breadcrumb", "byline", "comment", "disqus", "newsletter",
    "outbrain", "paywall", "promo", "recirc", "recommend", "related", "share", "sharing",
    "signup", "social", "sponsor", "subscri", "taboola", "tags",
};
static const char *const k_good_prefix[] = {
    "article", "blog", "body", "content", "entry", "hentry", "main", "post", "story", "text",
};

/* Exact-token words for the short prefixes that would match too much ("ad" in "adapt"). */
static bool short_word_ok(const char *w, size_t wl, const char *tok, size_t tl)
{
    if (wl <= 3 || !strcmp(w, "more") || !strcmp(w, "post") || !strcmp(w, "text") ||
        !strcmp(w, "main") || !strcmp(w, "body") || !strcmp(w, "tags") || !strcmp(w, "menu"))
        return tl == wl; /* must be the whole token */
    return true;
}

static bool token_in(const char *tok, size_t tl, const char *const *words, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t wl = strlen(words[i]);
        if (wl <= tl && memcmp(tok, words[i], wl) == 0 && short_word_ok(words[i], wl, tok, tl))
            return true;
    }
    return false;
}

/* Scan one class or id value; count bad, strong and good words. */
static void scan_hints(const char *v, unsigned *bad, unsigned *strong, unsigned *good)
{
    char tok[32];
    while (*v) {
        while (*v && !((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z')))
            v++;
        size_t tl = 0;
        while (*v && ((*v >= 'a' && *v <= 'z') || (*v >= 'A' && *v <= 'Z'))) {
            /* camelCase boundary: "relatedLinks" -> "related", "links" */
            if (tl > 0 && *v >= 'A' && *v <= 'Z' && v[-1] >= 'a' && v[-1] <= 'z')
                break;
            if (tl < sizeof tok - 1)
                tok[tl++] = (char)(*v | 0x20);
            v++;
        }
        if (tl == 0)
            continue;
        tok[tl] = '\0';
        if (token_in(tok, tl, k_bad_prefix, sizeof k_bad_prefix / sizeof *k_bad_prefix))
            (*bad)++;
        if (token_in(tok, tl, k_strong_prefix, sizeof k_strong_prefix / sizeof *k_strong_prefix))
            (*strong)++;
        if (token_in(tok, tl, k_good_prefix, sizeof k_good_prefix / sizeof *k_good_prefix))
            (*good)++;
    }
}

/* ---- parser state ---- */

typedef struct stack_entry {
    const char *name;   /* libxml2's interned name */
    int32_t node;       /* node opened by this element, or -1 */
    uint8_t kind;
    uint8_t skip;       /* this element started a skipped region */
    uint8_t link;       /* <a> */
    uint8_t math;       /* <math> */
    uint8_t ann;        /* TeX <annotation> */
} stack_entry;

typedef struct sax_state {
    html_page *p;
    stack_entry *stack;
    size_t depth, cap;
    int32_t cur_node;
    unsigned skip;      /* > 0: inside invisible content */
    unsigned link, pre, heading, item, row, caption, quote, title;
    /* open block */
    uint32_t block_start;
    uint32_t block_link;
    bool pending_space;
    bool cell_pending;  /* a cell separator is due before the next text */
    /* math */
    uint32_t math_start, ann_start;
    bool math_done;
} sax_state;

static void push_node(sax_state *s, uint8_t kind, unsigned flags, int hint)
{
    html_page *p = s->p;
    if (p->n_nodes == p->cap_nodes) {
        p->cap_nodes = p->cap_nodes ? p->cap_nodes * 2 : 256;
        p->nodes = wn_xrealloc(p->nodes, p->cap_nodes * sizeof *p->nodes);
    }
    html_node *n = &p->nodes[p->n_nodes];
    memset(n, 0, sizeof *n);
    n->parent = s->cur_node;
    n->depth = s->cur_node >= 0 ? (uint16_t)(p->nodes[s->cur_node].depth + 1) : 0;
    if (s->cur_node >= 0 && p->nodes[s->cur_node].depth == UINT16_MAX)
        n->depth = UINT16_MAX;
    n->kind = kind;
    n->flags = (uint8_t)flags;
    n->hint = (int8_t)hint;
    n->first_block = (uint32_t)p->n_blocks;
    s->cur_node = (int32_t)p->n_nodes++;
}

static uint8_t block_flags(const sax_state *s)
{
    uint8_t f = 0;
    if (s->pre)
        f |= HB_PRE;
    if (s->heading)
        f |= HB_HEADING;
    if (s->item)
        f |= HB_ITEM;
    if (s->row)
        f |= HB_ROW;
    if (s->caption)
        f |= HB_CAPTION;
    if (s->quote)
        f |= HB_QUOTE;
    return f;
}

/* End the open block: record it if it holds text, drop it otherwise. */
static void flush_block(sax_state *s)
{
    html_page *p = s->p;
    wn_buf *t = &p->text;
    size_t end = t->len;
    /* trim trailing whitespace (verbatim text included: a trailing newline is layout) */
    while (end > s->block_start && (t->data[end - 1] == ' ' || t->data[end - 1] == '\n' ||
                                    t->data[end - 1] == '\t'))
        end--;
    if (end > s->block_start) {
        if (p->n_blocks == p->cap_blocks) {
            p->cap_blocks = p->cap_blocks ? p->cap_blocks * 2 : 256;
            p->blocks = wn_xrealloc(p->blocks, p->cap_blocks * sizeof *p->blocks);
        }
        html_block *b = &p->blocks[p->n_blocks++];
        b->start = s->block_start;
        b->len = (uint32_t)(end - s->block_start);
        b->link = s->block_link < b->len ? s->block_link : b->len;
        b->node = s->cur_node;
        b->flags = block_flags(s);
        b->kind = s->cur_node >= 0 ? p->nodes[s->cur_node].kind : HK_BLOCK;
        /* words and commas: the scorer's signals */
        unsigned words = 0, commas = 0;
        bool in_word = false;
        for (const char *c = t->data + b->start, *e = t->data + end; c < e; c++) {
            unsigned char ch = (unsigned char)*c;
            if (ch == ' ' || ch == '\n' || ch == '\t') {
                in_word = false;
            } else {
                if (!in_word)
                    words++;
                in_word = true;
                /* ',' and the CJK commas U+FF0C / U+3001 */
                if (ch == ',' || (ch == 0xEF && c + 2 < e && (unsigned char)c[1] == 0xBC &&
                                  (unsigned char)c[2] == 0x8C) ||
                    (ch == 0xE3 && c + 2 < e && (unsigned char)c[1] == 0x80 &&
                     (unsigned char)c[2] == 0x81))
                    commas++;
            }
        }
        b->words = (uint16_t)(words > UINT16_MAX ? UINT16_MAX : words);
        b->commas = (uint16_t)(commas > UINT16_MAX ? UINT16_MAX : commas);
        t->len = end;
        t->data[end] = '\0';
    } else {
        t->len = s->block_start;
        if (t->data)
            t->data[t->len] = '\0';
    }
    s->block_start = (uint32_t)t->len;
    s->block_link = 0;
    s->pending_space = false;
    s->cell_pending = false;
}

/* Append visible text, normalising whitespace. */
static void add_text(sax_state *s, const char *c, size_t n)
{
    wn_buf *t = &s->p->text;
    if (t->len + n >= UINT32_MAX - 16)
        return; /* the model uses 32-bit offsets; inputs are capped far below this */
    wn_buf_grow(t, n + 4);
    char *o = t->data + t->len;
    const char *e = c + n;
    size_t before = t->len;
    bool empty = t->len == s->block_start;
    if (s->pre) {
        for (; c < e; c++) {
            unsigned char ch = (unsigned char)*c;
            if (ch == '\r')
                continue;
            if (ch < 0x20 && ch != '\n' && ch != '\t')
                ch = ' ';
            if (empty && ch == '\n')
                continue; /* the newline right after <pre> is not content */
            *o++ = (char)ch;
            empty = false;
        }
    } else {
        for (; c < e; c++) {
            unsigned char ch = (unsigned char)*c;
            if (ch <= 0x20 || (ch == 0xC2 && c + 1 < e && (unsigned char)c[1] == 0xA0)) {
                if (ch == 0xC2)
                    c++;
                s->pending_space = true;
                continue;
            }
            if (s->cell_pending && !empty) {
                *o++ = '\t';
                s->pending_space = false;
            } else if (s->pending_space && !empty) {
                *o++ = ' ';
            }
            s->cell_pending = false;
            s->pending_space = false;
            *o++ = (char)ch;
            empty = false;
        }
    }
    t->len = (size_t)(o - t->data);
    t->data[t->len] = '\0';
    if (s->link)
        s->block_link += (uint32_t)(t->len - before);
}

static void on_characters(void *ctx, const xmlChar *ch, int len)
{
    sax_state *s = ctx;
    if (s->skip || len <= 0)
        return;
    if (s->title) {
        html_page *p = s->p;
        if (p->title.len < 4096)
            wn_buf_append(&p->title, ch, (size_t)len);
        return;
    }
    if (s->math_done)
        return;
    add_text(s, (const char *)ch, (size_t)len);
}

static const char *attr(const xmlChar **atts, const char *name)
{
    if (!atts)
        return NULL;
    for (size_t i = 0; atts[i]; i += 2)
        if (strcmp((const char *)atts[i], name) == 0)
            return atts[i + 1] ? (const char *)atts[i + 1] : "";
    return NULL;
}

/* Inline style that hides the element ("display:none", "visibility:hidden"). */
static bool style_hidden(const char *st)
{
    for (const char *c = st; (c = strpbrk(c, "dv")) != NULL; c++) {
        const char *v = NULL;
        if (strncasecmp(c, "display", 7) == 0)
            v = c + 7;
        else if (strncasecmp(c, "visibility", 10) == 0)
            v = c + 10;
        if (!v)
            continue;
        while (*v == ' ')
            v++;
        if (*v != ':')
            continue;
        v++;
        while (*v == ' ')
            v++;
        if (strncasecmp(v, "none", 4) == 0 || strncasecmp(v, "hidden", 6) == 0)
            return true;
    }
    return false;
}

static void grow_stack(sax_state *s)
{
    if (s->depth == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->stack = wn_xrealloc(s->stack, s->cap * sizeof *s->stack);
    }
}

static void on_start(void *ctx, const xmlChar *xname, const xmlChar **atts)
{
    sax_state *s = ctx;
    const char *name = (const char *)xname;
    grow_stack(s);
    stack_entry *e = &s->stack[s->depth++];
    memset(e, 0, sizeof *e);
    e->name = name;
    e->node = -1;
    if (s->skip) {
        e->kind = HK_INLINE;
        return;
    }
    uint8_t kind = tag_kind(name);
    e->kind = kind;

    if (kind == HK_SKIP || (attr(atts, "hidden") != NULL)) {
        e->skip = 1;
        s->skip++;
        return;
    }
    const char *st = attr(atts, "style");
    if (st && style_hidden(st)) {
        e->skip = 1;
        s->skip++;
        return;
    }
    if (kind == HK_TITLE) {
        if (s->p->title.len == 0)
            s->title++;
        else {
            e->skip = 1; /* an <svg><title> or a second title: invisible */
            s->skip++;
        }
        return;
    }
    if (kind == HK_INLINE) {
        if (name[0] == 'a' && name[1] == '\0' && attr(atts, "href")) {
            e->link = 1;
            s->link++;
        } else if (s->math_start != UINT32_MAX && strcmp(name, "annotation") == 0) {
            const char *enc = attr(atts, "encoding");
            if (enc && strstr(enc, "tex")) {
                e->ann = 1;
                s->ann_start = (uint32_t)s->p->text.len;
            } else {
                e->skip = 1;
                s->skip++;
            }
        }
        return;
    }
    if (kind == HK_IMG) {
        const char *alt = attr(atts, "alt");
        if (alt && *alt) {
            s->pending_space = true;
            add_text(s, alt, strlen(alt));
            s->pending_space = true;
        }
        return;
    }
    if (kind == HK_BR) {
        if (s->pre)
            add_text(s, "\n", 1);
        else
            flush_block(s);
        return;
    }
    if (kind == HK_MATH) {
        const char *alt = attr(atts, "alttext");
        s->pending_space = true;
        if (alt && *alt) {
            add_text(s, alt, strlen(alt));
            s->pending_space = true;
            e->skip = 1;
            s->skip++;
            return;
        }
        e->math = 1;
        s->math_start = (uint32_t)s->p->text.len;
        s->math_done = false;
        return;
    }
    if (kind == HK_CELL) {
        /* cells share their row's line, tab-separated */
        if (s->p->text.len > s->block_start)
            s->cell_pending = true;
    } else {
        flush_block(s);
    }

    /* A node: read the hints. */
    unsigned bad = 0, strong = 0, good = 0, flags = 0;
    const char *cls = attr(atts, "class"), *id = attr(atts, "id");
    if (cls)
        scan_hints(cls, &bad, &strong, &good);
    if (id)
        scan_hints(id, &bad, &strong, &good);
    const char *ip = attr(atts, "itemprop");
    if (ip && strstr(ip, "articleBody"))
        flags |= HN_ARTICLE_BODY;
    const char *role = attr(atts, "role");
    if (role) {
        if (!strcmp(role, "navigation") || !strcmp(role, "banner") ||
            !strcmp(role, "contentinfo") || !strcmp(role, "complementary") ||
            !strcmp(role, "menu") || !strcmp(role, "dialog"))
            kind = HK_CHROME;
        else if (!strcmp(role, "main") || !strcmp(role, "article"))
            good++;
    }
    int hint = 0;
    if (bad && !good)
        hint = -1, flags |= HN_HINT_BAD;
    else if (good && !bad)
        hint = 1, flags |= HN_HINT_GOOD;
    if (strong)
        flags |= HN_HINT_STRONG_BAD;
    e->kind = kind;
    push_node(s, kind, flags, hint);
    e->node = s->cur_node;

    switch (kind) {
    case HK_PRE: s->pre++; break;
    case HK_HEADING: s->heading++; break;
    case HK_ITEM: s->item++; break;
    case HK_ROW: s->row++; break;
    case HK_CAPTION: s->caption++; break;
    case HK_QUOTE: s->quote++; break;
    default: break;
    }
}

static void close_entry(sax_state *s, stack_entry *e)
{
    if (e->skip) {
        s->skip--;
        return;
    }
    if (e->kind == HK_TITLE) {
        if (s->title)
            s->title--;
        return;
    }
    if (e->link) {
        s->link--;
        return;
    }
    if (e->ann) {
        /* keep only the TeX: move it to where the math began, ignore the rest */
        wn_buf *t = &s->p->text;
        if (s->ann_start <= t->len && s->math_start <= s->ann_start) {
            size_t n = t->len - s->ann_start;
            memmove(t->data + s->math_start, t->data + s->ann_start, n);
            t->len = s->math_start + n;
            t->data[t->len] = '\0';
            s->math_done = true;
        }
        return;
    }
    if (e->math) {
        s->math_start = UINT32_MAX;
        s->math_done = false;
        s->pending_space = true;
        return;
    }
    if (e->node < 0)
        return;
    if (e->kind != HK_CELL)
        flush_block(s);
    else
        s->pending_space = true;
    switch (e->kind) {
    case HK_PRE: s->pre--; break;
    case HK_HEADING: s->heading--; break;
    case HK_ITEM: s->item--; break;
    case HK_ROW: s->row--; break;
    case HK_CAPTION: s->caption--; break;
    case HK_QUOTE: s->quote--; break;
    default: break;
    }
    html_node *n = &s->p->nodes[e->node];
    n->end_block = (uint32_t)s->p->n_blocks;
    n->end_node = (uint32_t)s->p->n_nodes;
    s->cur_node = n->parent;
}

static void on_end(void *ctx, const xmlChar *xname)
{
    sax_state *s = ctx;
    const char *name = (const char *)xname;
    /* Find the matching open element; an end tag with none is ignored. */
    size_t i = s->depth;
    while (i > 0 && strcmp(s->stack[i - 1].name, name) != 0)
        i--;
    if (i == 0)
        return;
    while (s->depth >= i) {
        close_entry(s, &s->stack[s->depth - 1]);
        s->depth--;
    }
}

void html_page_init(html_page *p)
{
    memset(p, 0, sizeof *p);
}

void html_page_reset(html_page *p)
{
    wn_buf_reset(&p->text);
    wn_buf_reset(&p->title);
    p->n_nodes = 0;
    p->n_blocks = 0;
}

void html_page_release(html_page *p)
{
    wn_buf_release(&p->text);
    wn_buf_release(&p->title);
    free(p->nodes);
    free(p->blocks);
    memset(p, 0, sizeof *p);
}

int html_sax_run(const char *utf8, size_t len, html_page *page)
{
    htmlSAXHandler sax;
    memset(&sax, 0, sizeof sax);
    sax.startElement = on_start;
    sax.endElement = on_end;
    sax.characters = on_characters;
    sax.ignorableWhitespace = on_characters;
    /* cdataBlock (script/style bodies) left NULL on purpose: the parser then calls
     * characters, which our skip counter ignores */

    sax_state s;
    memset(&s, 0, sizeof s);
    s.p = page;
    s.cur_node = -1;
    s.math_start = UINT32_MAX;
    html_page_reset(page);
    wn_buf_grow(&page->text, len / 4 + 64);

    htmlParserCtxtPtr ctxt = htmlCreatePushParserCtxt(&sax, &s, NULL, 0, NULL,
                                                      XML_CHAR_ENCODING_UTF8);
    if (!ctxt) {
        free(s.stack);
        return -1;
    }
    htmlCtxtUseOptions(ctxt, HTML_PARSE_RECOVER | HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING |
                                 HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC | XML_PARSE_HUGE);
    /* Feed in slices: htmlParseChunk takes an int length. */
    const size_t slice = (size_t)1 << 30;
    size_t off = 0;
    do {
        size_t n = len - off < slice ? len - off : slice;
        htmlParseChunk(ctxt, utf8 + off, (int)n, off + n >= len);
        off += n;
    } while (off < len);
    htmlFreeParserCtxt(ctxt);

    /* Close whatever the parser left open. */
    while (s.depth > 0) {
        close_entry(&s, &s.stack[s.depth - 1]);
        s.depth--;
    }
    flush_block(&s);
    free(s.stack);
    return 0;
}
