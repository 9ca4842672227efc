/* html_sax.c: stream a page through libxml2's HTML push parser (SAX callbacks, no tree) and
 * build the flat page model of html_internal.h: one node per block-level element, one text
 * block per run of text between block boundaries.
 *
 * Text is normalised as it arrives: whitespace runs become one space (verbatim inside
 * <pre>), control bytes count as whitespace, U+00A0 becomes a space, U+00AD (soft hyphen)
 * goes. Content that is never shown (script, style, template, svg, form controls, elements
 * hidden with the `hidden` attribute, an inline display:none or a hiding class) is skipped.
 * The element stack is ours, so that unbalanced or implied tags cannot unbalance our
 * counters.
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
        { "h6", HK_HEADING }, { "head", HK_HEAD }, { "header", HK_CHROME },
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

/* Words in class and id values that name page parts other than the article text (bad),
 * the subset never part of an article body even inside it (strong), and words that name
 * the article (good). A word matches a class/id token (split at non-letters and camelCase
 * humps, lowercased) that starts with it, or, for W_EXACT words, equals it: "ad" must not
 * match "adapt", "more" not "moreover". Sorted by word for the binary search. */
enum { W_BAD = 1, W_STRONG = 2, W_GOOD = 4, W_EXACT = 8 };
static const struct hint_word { const char *w; uint8_t len, flags; } k_hint_words[] = {
    { "ad", 2, W_BAD | W_STRONG | W_EXACT },
    { "ads", 3, W_BAD | W_STRONG | W_EXACT },
    { "adsby", 5, W_BAD | W_STRONG },
    { "advert", 6, W_BAD | W_STRONG },
    { "article", 7, W_GOOD },
    { "author", 6, W_BAD | W_STRONG },
    { "banner", 6, W_BAD },
    { "blog", 4, W_GOOD },
    { "body", 4, W_GOOD | W_EXACT },
    { "breadcrumb", 10, W_BAD | W_STRONG },
    { "byline", 6, W_BAD | W_STRONG },
    { "caption", 7, W_BAD },
    { "comment", 7, W_BAD | W_STRONG },
    { "content", 7, W_GOOD },
    { "cookie", 6, W_BAD },
    { "credit", 6, W_BAD },
    { "disqus", 6, W_BAD | W_STRONG },
    { "dropdown", 8, W_BAD },
    { "entry", 5, W_GOOD },
    { "footer", 6, W_BAD },
    { "gdpr", 4, W_BAD },
    { "hentry", 6, W_GOOD },
    { "login", 5, W_BAD },
    { "main", 4, W_GOOD | W_EXACT },
    { "masthead", 8, W_BAD },
    { "menu", 4, W_BAD | W_EXACT },
    { "modal", 5, W_BAD },
    { "more", 4, W_BAD | W_EXACT },
    { "nav", 3, W_BAD | W_EXACT },
    { "newsletter", 10, W_BAD | W_STRONG },
    { "outbrain", 8, W_BAD | W_STRONG },
    { "pager", 5, W_BAD },
    { "pagination", 10, W_BAD },
    { "paywall", 7, W_BAD | W_STRONG },
    { "popular", 7, W_BAD },
    { "popup", 5, W_BAD },
    { "post", 4, W_GOOD | W_EXACT },
    { "print", 5, W_BAD },
    { "promo", 5, W_BAD | W_STRONG },
    { "rating", 6, W_BAD },
    { "recirc", 6, W_BAD | W_STRONG },
    { "recommend", 9, W_BAD | W_STRONG },
    { "related", 7, W_BAD | W_STRONG },
    { "share", 5, W_BAD | W_STRONG },
    { "sharing", 7, W_BAD | W_STRONG },
    { "shop", 4, W_BAD },
    { "sidebar", 7, W_BAD },
    { "signup", 6, W_BAD | W_STRONG },
    { "skip", 4, W_BAD },
    { "social", 6, W_BAD | W_STRONG },
    { "sponsor", 7, W_BAD | W_STRONG },
    { "story", 5, W_GOOD },
    { "subscri", 7, W_BAD | W_STRONG },
    { "taboola", 7, W_BAD | W_STRONG },
    { "tags", 4, W_BAD | W_STRONG | W_EXACT },
    { "text", 4, W_GOOD | W_EXACT },
    { "toolbar", 7, W_BAD },
    { "tools", 5, W_BAD },
    { "trending", 8, W_BAD },
    { "widget", 6, W_BAD },
};

/* Flags of all words matching token tok (lowercase, NUL-terminated, length tl). */
static unsigned token_flags(const char *tok, size_t tl)
{
    const size_t n = sizeof k_hint_words / sizeof *k_hint_words;
    /* first word whose first letter is >= tok's */
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if ((unsigned char)k_hint_words[mid].w[0] < (unsigned char)tok[0])
            lo = mid + 1;
        else
            hi = mid;
    }
    unsigned f = 0;
    for (size_t i = lo; i < n && k_hint_words[i].w[0] == tok[0]; i++) {
        const struct hint_word *h = &k_hint_words[i];
        if (h->len > tl || memcmp(tok, h->w, h->len) != 0)
            continue;
        if ((h->flags & W_EXACT) && h->len != tl)
            continue;
        f |= h->flags;
    }
    return f;
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
        unsigned f = token_flags(tok, tl);
        *bad += (f & W_BAD) != 0;
        *strong += (f & W_STRONG) != 0;
        *good += (f & W_GOOD) != 0;
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
    uint8_t head;       /* <head> */
    uint8_t code;       /* <code>, <kbd>, <samp>, <tt>: inline, but verbatim */
} stack_entry;

typedef struct sax_state {
    html_page *p;
    stack_entry *stack;
    size_t depth, cap;
    int32_t cur_node;
    unsigned skip;      /* > 0: inside invisible content */
    unsigned link, pre, heading, item, row, caption, quote, title, head;
    /* open block */
    uint32_t block_start;
    uint32_t block_link;
    bool pending_space;
    bool cell_pending;  /* a cell separator is due before the next text */
    bool block_has_text; /* the open block holds text of its own, not only alt text */
    wn_buf og_title;    /* <meta property="og:title">, the title when <title> is missing */
    /* math */
    uint32_t math_start, ann_start;
    bool math_done;
} sax_state;

/* FNV-1a of "tag.class": siblings with the same tag and class are parts of one whole.
 * 0 (no identity) for elements without a class, except <section> and <article>, whose
 * tag alone says as much. */
static uint32_t part_hash(const char *tag, const char *cls)
{
    if (!cls && strcmp(tag, "section") != 0 && strcmp(tag, "article") != 0)
        return 0;
    uint32_t h = 2166136261u;
    for (const char *c = tag; *c; c++)
        h = (h ^ (unsigned char)*c) * 16777619u;
    h = (h ^ '.') * 16777619u;
    for (const char *c = cls ? cls : ""; *c; c++)
        h = (h ^ (unsigned char)*c) * 16777619u;
    return h ? h : 1;
}

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
    if (!s->block_has_text)
        f |= HB_ALT;
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
        /* commas: the scorer's signal of sentences ("," and the CJK U+FF0C, U+3001) */
        unsigned commas = 0;
        for (const char *c = t->data + b->start, *e = t->data + end; c < e; c++) {
            unsigned char ch = (unsigned char)*c;
            if (ch == ',' ||
                (ch == 0xEF && c + 2 < e && (unsigned char)c[1] == 0xBC &&
                 (unsigned char)c[2] == 0x8C) ||
                (ch == 0xE3 && c + 2 < e && (unsigned char)c[1] == 0x80 &&
                 (unsigned char)c[2] == 0x81))
                commas++;
        }
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
    s->block_has_text = false;
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
        /* separators due from the collapsed text before (inline <code> in a sentence) */
        if (!empty && c < e && (s->cell_pending || s->pending_space))
            *o++ = s->cell_pending ? '\t' : ' ';
        s->cell_pending = s->pending_space = false;
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
            if (ch == 0xC2 && c + 1 < e && (unsigned char)c[1] == 0xAD) {
                c++; /* soft hyphen: invisible unless the line breaks there */
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
    if (s->math_done || s->head)
        return;
    s->block_has_text = true;
    add_text(s, (const char *)ch, (size_t)len);
}

/* The attributes extraction looks at, found in one pass over the element's list. */
typedef struct elem_attrs {
    const char *cls, *id, *style, *role, *itemprop, *href, *alt, *alttext, *encoding,
        *property, *content;
    bool hidden;
} elem_attrs;

static void read_attrs(const xmlChar **atts, elem_attrs *a)
{
    memset(a, 0, sizeof *a);
    if (!atts)
        return;
    for (size_t i = 0; atts[i]; i += 2) {
        const char *n = (const char *)atts[i];
        const char *v = atts[i + 1] ? (const char *)atts[i + 1] : "";
        switch (n[0]) {
        case 'a':
            if (!strcmp(n, "alt")) a->alt = v;
            else if (!strcmp(n, "alttext")) a->alttext = v;
            break;
        case 'c':
            if (!strcmp(n, "class")) a->cls = v;
            else if (!strcmp(n, "content")) a->content = v;
            break;
        case 'e': if (!strcmp(n, "encoding")) a->encoding = v; break;
        case 'h':
            if (!strcmp(n, "href")) a->href = v;
            else if (!strcmp(n, "hidden")) a->hidden = true;
            break;
        case 'i':
            if (!strcmp(n, "id")) a->id = v;
            else if (!strcmp(n, "itemprop")) a->itemprop = v;
            break;
        case 'p': if (!strcmp(n, "property")) a->property = v; break;
        case 'r': if (!strcmp(n, "role")) a->role = v; break;
        case 's': if (!strcmp(n, "style")) a->style = v; break;
        default: break;
        }
    }
}

/* Class names that hide an element by convention (frameworks, screen-reader-only text),
 * or mark interface text that is not part of the page's content. */
static bool class_hidden(const char *cls)
{
    static const char *const names[] = {
        "hidden", "hide", "invisible", "sr-only", "screen-reader-text", "visually-hidden",
        "visuallyhidden", "d-none", "is-hidden", "u-hidden", "element-invisible", "offscreen",
        /* user-interface text next to headings: permalink marks, wiki edit links */
        "headerlink", "anchorjs-link", "header-anchor", "mw-editsection",
    };
    const char *c = cls;
    while (*c) {
        while (*c == ' ' || *c == '\t' || *c == '\n')
            c++;
        size_t n = strcspn(c, " \t\n");
        for (size_t i = 0; n && i < sizeof names / sizeof *names; i++)
            if (strlen(names[i]) == n && strncasecmp(c, names[i], n) == 0)
                return true;
        c += n;
    }
    return false;
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

static unsigned hint_flags(unsigned bad, unsigned strong, unsigned good, int *hint)
{
    unsigned f = 0;
    *hint = 0;
    if (bad && !good)
        *hint = -1, f |= HN_HINT_BAD;
    else if (good && !bad)
        *hint = 1, f |= HN_HINT_GOOD;
    if (strong && !good)
        f |= HN_HINT_STRONG_BAD;
    return f;
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

    elem_attrs at;
    read_attrs(atts, &at);
    if (kind == HK_SKIP || at.hidden) {
        e->skip = 1;
        s->skip++;
        return;
    }
    const char *cls = at.cls;
    if ((at.style && style_hidden(at.style)) || (cls && class_hidden(cls))) {
        e->skip = 1;
        s->skip++;
        return;
    }
    if (kind == HK_HEAD) {
        e->head = 1;
        s->head++;
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
        if (name[0] == 'm' && !strcmp(name, "meta") && s->og_title.len == 0) {
            if (at.property && at.content && !strcmp(at.property, "og:title"))
                wn_buf_append(&s->og_title, at.content, strnlen(at.content, 4096));
        } else if (!strcmp(name, "code") || !strcmp(name, "kbd") || !strcmp(name, "samp") ||
                   !strcmp(name, "tt")) {
            e->code = 1;
            s->pre++;
        } else if (name[0] == 'a' && name[1] == '\0' && at.href) {
            e->link = 1;
            s->link++;
        } else if (s->math_start != UINT32_MAX && strcmp(name, "annotation") == 0) {
            if (at.encoding && strstr(at.encoding, "tex")) {
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
        const char *alt = at.alt;
        if (alt && *alt) {
            s->pending_space = true;
            add_text(s, alt, strlen(alt));
            s->pending_space = true;
        }
        return;
    }
    if (kind == HK_BR) {
        if (s->pre) {
            s->block_has_text = true;
            add_text(s, "\n", 1);
        }
        else
            flush_block(s);
        return;
    }
    if (kind == HK_MATH) {
        const char *alt = at.alttext;
        if (alt && *alt) {
            s->block_has_text = true; /* math is text, whichever form it comes in */
            add_text(s, alt, strlen(alt));
            e->skip = 1;
            s->skip++;
            return;
        }
        e->math = 1;
        /* a space due before the formula goes out now: the TeX replaces what follows */
        if (s->pending_space && s->p->text.len > s->block_start) {
            wn_buf_appendc(&s->p->text, ' ');
            s->pending_space = false;
        }
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
    /* hints from class and role, then with the id too: a section whose id is the slug of
     * its heading ("more-on-lists", "related-work") keeps only the first (see close) */
    unsigned bad = 0, strong = 0, good = 0, flags = 0;
    if (cls)
        scan_hints(cls, &bad, &strong, &good);
    if (at.itemprop && strstr(at.itemprop, "articleBody"))
        flags |= HN_ARTICLE_BODY;
    const char *role = at.role;
    if (role) {
        if (!strcmp(role, "navigation") || !strcmp(role, "banner") ||
            !strcmp(role, "contentinfo") || !strcmp(role, "complementary") ||
            !strcmp(role, "menu") || !strcmp(role, "dialog"))
            kind = HK_CHROME;
        else if (!strcmp(role, "main") || !strcmp(role, "article"))
            good++;
    }
    int hint_noid;
    unsigned flags_noid = flags | hint_flags(bad, strong, good, &hint_noid);
    if (at.id)
        scan_hints(at.id, &bad, &strong, &good);
    int hint;
    flags |= hint_flags(bad, strong, good, &hint);
    e->kind = kind;
    push_node(s, kind, flags, hint);
    html_node *nn = &s->p->nodes[s->cur_node];
    nn->part_hash = part_hash(name, cls);
    nn->flags_noid = (uint8_t)flags_noid;
    nn->hint_noid = (int8_t)hint_noid;
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
    if (e->head) {
        s->head--;
        return;
    }
    if (e->code) {
        s->pre--;
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
    const unsigned bad = HN_HINT_BAD | HN_HINT_STRONG_BAD;
    if (n->first_block < n->end_block && (s->p->blocks[n->first_block].flags & HB_HEADING) &&
        (n->flags & bad) && !(n->flags_noid & bad)) {
        /* opens with a heading: a section of the text, and the boilerplate word came from
         * its id, likely the heading's slug ("more-on-lists"): believe the class alone */
        n->flags = n->flags_noid;
        n->hint = n->hint_noid;
    }
    s->cur_node = n->parent;
}

static void on_end(void *ctx, const xmlChar *xname)
{
    sax_state *s = ctx;
    const char *name = (const char *)xname;
    /* Find the matching open element; an end tag with none is ignored. */
    size_t i = s->depth;
    /* names come interned from the parser's dictionary: compare pointers first */
    while (i > 0 && s->stack[i - 1].name != name && strcmp(s->stack[i - 1].name, name) != 0)
        i--;
    if (i == 0)
        return;
    while (s->depth >= i) {
        close_entry(s, &s->stack[s->depth - 1]);
        s->depth--;
    }
}

/* In place: whitespace runs -> one space, trimmed (titles arrive raw). */
static void collapse_spaces(wn_buf *b)
{
    size_t o = 0;
    bool space = false;
    for (size_t i = 0; i < b->len; i++) {
        unsigned char c = (unsigned char)b->data[i];
        if (c <= 0x20) {
            space = true;
            continue;
        }
        if (space && o)
            b->data[o++] = ' ';
        space = false;
        b->data[o++] = (char)c;
    }
    b->len = o;
    if (b->data)
        b->data[o] = '\0';
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
                                 HTML_PARSE_NONET | HTML_PARSE_IGNORE_ENC);
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
    collapse_spaces(&page->title);
    if (page->title.len == 0 && s.og_title.len) {
        collapse_spaces(&s.og_title);
        wn_buf_append(&page->title, s.og_title.data, s.og_title.len);
    }
    wn_buf_release(&s.og_title);
    return 0;
}
