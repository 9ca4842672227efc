/* html_select.c: decide which text blocks are the page's main content.
 *
 * Linear passes over the flat page model (docs/ingest-html.md has the full account):
 *  1. exclusion: page chrome (nav, header, footer, aside, form, menu, ARIA landmarks of
 *     the same meaning) and nodes whose class/id name boilerplate are out, unless they
 *     hold most of the page's text (ASP.NET wraps whole pages in a <form>);
 *  2. a content score per container in the manner of Arc90's Readability: each paragraph
 *     of 25+ bytes gives 1 + commas + length/100 (max 3) to its container and, diluted,
 *     to two more ancestors; the score is scaled by (1 - link density). The best container
 *     wins, can climb to an ancestor that scores as well or that adds mostly paragraphs
 *     (an article cut in pieces), and takes along siblings that score nearly as well, read
 *     like paragraphs, or share its tag and class. schema.org's itemprop="articleBody",
 *     when present and substantial, is taken as the container instead;
 *  3. cleaning inside the chosen container: chrome and boilerplate-named parts, figures,
 *     link lists, link-only lines, lone pictures, the headline and the byline lines before
 *     the first paragraph are dropped.
 * When no container wins, every block that is neither chrome nor a link-only line stays.
 */
#include <string.h>

#include "ingest/html_internal.h"

static float link_density(uint32_t link, uint32_t text)
{
    return text ? (float)link / (float)text : 0.0f;
}

/* Readability's starting score for a container, by tag and class/id. */
static float initial_score(const html_node *n)
{
    float s = 0;
    switch (n->kind) {
    case HK_BLOCK: case HK_ARTICLE: s = 5; break;
    case HK_PRE: case HK_CELL: case HK_QUOTE: s = 3; break;
    case HK_LIST: case HK_ITEM: case HK_CHROME: s = -3; break;
    case HK_HEADING: s = -5; break;
    default: break;
    }
    return s + 25.0f * (float)n->hint;
}

/* Paragraph-level kinds hand their score to the container above them. */
static bool is_leaf_kind(uint8_t k)
{
    return k == HK_PARA || k == HK_ITEM || k == HK_HEADING || k == HK_QUOTE || k == HK_PRE ||
           k == HK_CAPTION;
}

static void aggregate(html_page *pg)
{
    for (size_t i = 0; i < pg->n_blocks; i++) {
        const html_block *b = &pg->blocks[i];
        if (b->node >= 0) {
            pg->nodes[b->node].text += b->len;
            pg->nodes[b->node].link += b->link;
            if (b->kind == HK_PARA && b->len >= 80 && link_density(b->link, b->len) < 0.25f)
                pg->nodes[b->node].prose += b->len;
            if (b->flags & HB_HEADING)
                pg->nodes[b->node].heading += b->len;
            if (b->flags & HB_PRE)
                pg->nodes[b->node].code += b->len;
        }
    }
    for (size_t i = pg->n_nodes; i-- > 0;) {
        html_node *n = &pg->nodes[i];
        if (n->parent >= 0) {
            pg->nodes[n->parent].text += n->text;
            pg->nodes[n->parent].link += n->link;
            pg->nodes[n->parent].prose += n->prose;
            pg->nodes[n->parent].heading += n->heading;
            pg->nodes[n->parent].code += n->code;
        }
    }
}

/* A node is chrome or boilerplate by itself (before looking at its ancestors). */
static bool self_excluded(const html_node *n)
{
    if (n->flags & HN_ARTICLE_BODY)
        return false;
    if (n->kind == HK_CHROME)
        return true;
    return (n->flags & HN_HINT_BAD) != 0;
}

static void mark_excluded(html_page *pg, uint64_t total)
{
    for (size_t i = 0; i < pg->n_nodes; i++) {
        html_node *n = &pg->nodes[i];
        bool parent_out = n->parent >= 0 && pg->nodes[n->parent].excluded;
        /* a "chrome" element holding half the page is a wrapper, not chrome */
        bool self = self_excluded(n) && (uint64_t)n->text * 2 < total;
        n->excluded = parent_out || self;
        n->boiler = (n->parent >= 0 && pg->nodes[n->parent].boiler) ||
                    (n->flags & (HN_HINT_STRONG_BAD | HN_HINT_BAD)) || n->kind == HK_FIGURE ||
                    n->kind == HK_CAPTION || n->kind == HK_CHROME;
    }
}

static void add_score(html_page *pg, int32_t node, float v)
{
    html_node *n = &pg->nodes[node];
    if (!n->scored) {
        n->score = initial_score(n);
        n->scored = 1;
    }
    n->score += v;
}

static void score_paragraphs(html_page *pg)
{
    for (size_t i = 0; i < pg->n_blocks; i++) {
        const html_block *b = &pg->blocks[i];
        if (b->node < 0 || b->len < 25 || (b->flags & HB_HEADING))
            continue;
        const html_node *bn = &pg->nodes[b->node];
        if (bn->excluded)
            continue;
        /* commas count sentences in prose; in code (a table of tuples) they count nothing */
        float commas = (b->flags & HB_PRE) ? 0.0f : (float)b->commas;
        float v = 1.0f + commas + (b->len / 100 < 3 ? (float)(b->len / 100) : 3.0f);
        int32_t at = is_leaf_kind(bn->kind) ? bn->parent : b->node;
        for (int level = 0; at >= 0 && level < 3; level++) {
            add_score(pg, at, level == 0 ? v : level == 1 ? v / 2 : v / (float)(level * 3));
            at = pg->nodes[at].parent;
        }
    }
    for (size_t i = 0; i < pg->n_nodes; i++) {
        html_node *n = &pg->nodes[i];
        if (n->scored)
            n->score *= 1.0f - link_density(n->link, n->text);
    }
}

static int32_t best_candidate(const html_page *pg)
{
    int32_t top = -1;
    for (size_t i = 0; i < pg->n_nodes; i++) {
        const html_node *n = &pg->nodes[i];
        if (!n->scored || n->excluded)
            continue;
        if (top < 0 || n->score > pg->nodes[top].score)
            top = (int32_t)i;
    }
    return top;
}

static bool is_ancestor(const html_page *pg, int32_t anc, int32_t n)
{
    return anc >= 0 && n > anc && (uint32_t)n < pg->nodes[anc].end_node;
}

/* Readability's climb: several near-best candidates under one ancestor mean the article is
 * split into parts; and a parent scoring better than its child is the better container. */
static int32_t climb(const html_page *pg, int32_t top)
{
    const float best = pg->nodes[top].score;
    int32_t alt[8];
    int n_alt = 0;
    for (size_t i = 0; i < pg->n_nodes && n_alt < 8; i++) {
        const html_node *n = &pg->nodes[i];
        if ((int32_t)i != top && n->scored && !n->excluded && n->score >= best * 0.75f &&
            !is_ancestor(pg, (int32_t)i, top) && !is_ancestor(pg, top, (int32_t)i))
            alt[n_alt++] = (int32_t)i;
    }
    if (n_alt >= 3) {
        for (int32_t a = pg->nodes[top].parent; a >= 0; a = pg->nodes[a].parent) {
            int inside = 0;
            for (int k = 0; k < n_alt; k++)
                inside += is_ancestor(pg, a, alt[k]);
            if (inside >= 3) {
                top = a;
                break;
            }
        }
    }
    float last = pg->nodes[top].score, threshold = last / 3;
    for (int32_t a = pg->nodes[top].parent; a >= 0; a = pg->nodes[a].parent) {
        const html_node *n = &pg->nodes[a];
        if (!n->scored)
            continue;
        if (n->score < threshold)
            break;
        if (n->score > last) {
            top = a;
            break;
        }
        last = n->score;
    }
    /* an only child (give or take a heading) adds nothing: take the parent, which names
     * the whole (a <section> with its title) and whose siblings may be the other parts */
    while (pg->nodes[top].parent >= 0) {
        const html_node *p = &pg->nodes[pg->nodes[top].parent], *t = &pg->nodes[top];
        if (p->text - p->heading != t->text - t->heading || p->kind == HK_CHROME)
            break;
        top = pg->nodes[top].parent;
    }
    return top;
}

/* schema.org markup names the article body outright; trust it when it holds real text. */
static int32_t article_body(const html_page *pg, int32_t top)
{
    int32_t best = -1;
    for (size_t i = 0; i < pg->n_nodes; i++) {
        const html_node *n = &pg->nodes[i];
        if ((n->flags & HN_ARTICLE_BODY) && n->text >= 200 &&
            (best < 0 || n->text > pg->nodes[best].text))
            best = (int32_t)i;
    }
    if (best < 0)
        return top;
    if (top >= 0 && pg->nodes[best].text * 3 < pg->nodes[top].text &&
        !is_ancestor(pg, best, top) && !is_ancestor(pg, top, best))
        return top; /* a stub marked up as the body, the text lives elsewhere */
    return best;
}

/* What the ancestor `anc` holds beyond `root`: article-like paragraphs (good) and the
 * rest (bad), leaving out chrome and boilerplate-named parts, which would be dropped. */
static void extension_text(const html_page *pg, int32_t anc, int32_t root, uint64_t *good,
                           uint64_t *bad)
{
    const html_node *a = &pg->nodes[anc], *r = &pg->nodes[root];
    *good = *bad = 0;
    for (uint32_t bi = a->first_block; bi < a->end_block; bi++) {
        if (bi == r->first_block && r->end_block > bi) {
            bi = r->end_block - 1;
            continue;
        }
        const html_block *b = &pg->blocks[bi];
        if (b->node >= 0 && (pg->nodes[b->node].excluded || pg->nodes[b->node].boiler))
            continue;
        if (b->flags & (HB_HEADING | HB_PRE))
            continue; /* headings and code say nothing either way */
        if (b->kind == HK_PARA && !(b->flags & HB_ITEM) && b->len >= 100 &&
            link_density(b->link, b->len) < 0.25f)
            *good += b->len;
        else
            *bad += b->len;
    }
}

/* An article cut into several containers (by figures, ads, "read also" boxes) has its
 * parts under a common ancestor: climb while what the ancestor adds is mostly paragraphs. */
static int32_t extend(const html_page *pg, int32_t top)
{
    for (int steps = 0; steps < 8; steps++) {
        int32_t p = pg->nodes[top].parent;
        if (p < 0 || pg->nodes[p].excluded)
            break;
        uint64_t good, bad;
        extension_text(pg, p, top, &good, &bad);
        if (good < 3 * bad || (good > 0 && good < 400))
            break;
        top = p;
    }
    return top;
}

/* Is this block inside the region a piece of boilerplate? */
/* Alt text of a formula image ("x^2 + y_1 = \\frac{a}{b}") rather than of a photo. */
static bool looks_like_math(const char *t, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (t[i] == '\\' || t[i] == '^' || t[i] == '_' || t[i] == '=' || t[i] == '{')
            return true;
    return false;
}

/* A heading that is one link (a FAQ question linking back to the contents) still titles
 * the section it opens when the rest of that section is text more than links. */
static bool titles_prose(const html_page *pg, const html_block *b)
{
    if (!(b->flags & HB_HEADING) || b->node < 0 || pg->nodes[b->node].parent < 0)
        return false;
    const html_node *sec = &pg->nodes[pg->nodes[b->node].parent];
    uint32_t rest = sec->text - sec->heading, rest_link = sec->link - b->link;
    return rest >= 40 && rest_link * 2 < rest;
}

static bool drop_block(const html_page *pg, const html_block *b)
{
    /* A line that is (nearly) all link is navigation: "Read more: <headline>", a list of
     * tags. Prose with many links (a wiki paragraph) keeps words of its own between them. */
    float ld = link_density(b->link, b->len);
    if (ld > 0.5f && titles_prose(pg, b))
        return false;
    if (ld >= 0.9f)
        return true;
    if ((b->flags & HB_ALT) && !looks_like_math(pg->text.data + b->start, b->len))
        return true; /* a picture on its own line: its alt text describes it, like a caption */
    return ld > 0.5f && b->len - b->link < 20;
}

/* Inside the content: should this node's subtree go? */
static bool drop_node(const html_node *n, uint32_t region_text)
{
    if (n->flags & HN_ARTICLE_BODY)
        return false;
    bool small = (uint64_t)n->text * 2 < region_text;
    if (n->kind == HK_CHROME && small)
        return true;
    if ((n->flags & HN_HINT_STRONG_BAD) && !(n->flags & HN_HINT_GOOD) && small)
        return true;
    if ((n->flags & HN_HINT_BAD) && small)
        return true;
    if ((n->kind == HK_FIGURE || n->kind == HK_CAPTION) && small && n->code * 2 < n->text)
        return true; /* photo captions and credits: about the picture, not the story (a
                      * figure of code, as static site generators write it, stays) */
    float ld = link_density(n->link, n->text);
    /* a link list; not a section that holds prose besides its links */
    if ((n->kind == HK_LIST || n->kind == HK_BLOCK || n->kind == HK_TABLE ||
         n->kind == HK_FIGURE) && ld > 0.5f && small && (uint64_t)n->prose * 4 < n->text)
        return true;
    return false;
}

/* Keep the blocks of node `root`, minus the boilerplate inside it. */
static void keep_region(html_page *pg, int32_t root, uint32_t region_text)
{
    const html_node *r = &pg->nodes[root];
    /* nodes dropped inside the region, as a skip-until index */
    uint32_t skip_until_block = 0;
    uint32_t ni = (uint32_t)root + 1;
    for (uint32_t bi = r->first_block; bi < r->end_block; bi++) {
        /* advance over nodes starting at or before this block, dropping bad subtrees */
        while (ni < r->end_node && pg->nodes[ni].first_block <= bi) {
            const html_node *n = &pg->nodes[ni];
            if (n->first_block < n->end_block && drop_node(n, region_text)) {
                if (n->end_block > skip_until_block)
                    skip_until_block = n->end_block;
                ni = n->end_node;
            } else {
                ni++;
            }
        }
        if (bi < skip_until_block)
            continue;
        html_block *b = &pg->blocks[bi];
        if (!drop_block(pg, b))
            b->flags |= HB_KEEP;
    }
}

/* The block repeats the page title (the article's headline). */
static bool is_headline(const html_page *pg, const html_block *b)
{
    if (!(b->flags & HB_HEADING) || pg->title.len < b->len || b->len < 8)
        return false;
    return memmem(pg->title.data, pg->title.len, pg->text.data + b->start, b->len) != NULL;
}

/* Before the story starts: headline, byline, dateline, share bar. Blocks ahead of the first
 * real paragraph go unless they are <p> text themselves (when there is no real paragraph
 * at all, nothing goes: the page is a list or a table, not a story). Headlines go anywhere. */
static bool starts_story(const html_block *b)
{
    return b->kind == HK_PARA || (b->len >= 100 && link_density(b->link, b->len) < 0.3f);
}

static void trim_lead(html_page *pg)
{
    size_t first = pg->n_blocks;
    for (size_t i = 0; i < pg->n_blocks; i++) {
        html_block *b = &pg->blocks[i];
        if (!(b->flags & HB_KEEP))
            continue;
        if (is_headline(pg, b))
            b->flags &= (uint8_t)~HB_KEEP;
        else if (first == pg->n_blocks && starts_story(b))
            first = i;
    }
    if (first == pg->n_blocks)
        return;
    for (size_t i = 0; i < first; i++)
        if (pg->blocks[i].len < 100 && !(pg->blocks[i].flags & HB_HEADING))
            pg->blocks[i].flags &= (uint8_t)~HB_KEEP;
}

static bool paragraph_like(const html_page *pg, int32_t node);

/* Readability's sibling test, plus: a sibling of the same tag and class as the winner is
 * another part of the same whole (the next section of a chapter, the next page of a
 * story split by an ad) unless it is mostly links. */
static bool worthy_sibling(const html_page *pg, int32_t top, int32_t c, float threshold)
{
    const html_node *n = &pg->nodes[c], *t = &pg->nodes[top];
    if (c == top)
        return true;
    if (n->excluded)
        return false;
    if (n->scored && n->score >= threshold)
        return true;
    if (t->part_hash && n->part_hash == t->part_hash &&
        link_density(n->link, n->text) < 0.5f)
        return true;
    return paragraph_like(pg, c);
}

static bool paragraph_like(const html_page *pg, int32_t node)
{
    const html_node *n = &pg->nodes[node];
    float ld = link_density(n->link, n->text);
    if (n->kind != HK_PARA)
        return false;
    return (n->text > 80 && ld < 0.25f);
}

static void select_main(html_page *pg, uint64_t total)
{
    aggregate(pg);
    mark_excluded(pg, total);
    score_paragraphs(pg);
    int32_t top = best_candidate(pg);
    if (top >= 0)
        top = climb(pg, top);
    top = article_body(pg, top);
    if (top < 0)
        return;
    top = extend(pg, top);

    const html_node *t = &pg->nodes[top];
    int32_t parent = t->parent;
    if (parent < 0 || (t->flags & HN_ARTICLE_BODY)) {
        keep_region(pg, top, t->text);
        trim_lead(pg);
        return;
    }
    /* the winner and its worthy siblings, in document order */
    float threshold = t->score * 0.2f > 10 ? t->score * 0.2f : 10;
    const html_node *p = &pg->nodes[parent];
    uint32_t region_text = 0;
    for (uint32_t c = (uint32_t)parent + 1; c < p->end_node; c = pg->nodes[c].end_node) {
        const html_node *n = &pg->nodes[c];
        if (worthy_sibling(pg, top, (int32_t)c, threshold))
            region_text += n->text;
    }
    for (uint32_t c = (uint32_t)parent + 1; c < p->end_node; c = pg->nodes[c].end_node)
        if (worthy_sibling(pg, top, (int32_t)c, threshold))
            keep_region(pg, (int32_t)c, region_text);
    trim_lead(pg);
}

/* No container won (a page of short lines, a table of results): keep what is neither
 * chrome nor a link-only line, rather than nothing; later filters judge its worth. */
static void fallback(html_page *pg)
{
    for (size_t i = 0; i < pg->n_blocks; i++) {
        html_block *b = &pg->blocks[i];
        if ((b->node < 0 || !pg->nodes[b->node].excluded) && !drop_block(pg, b))
            b->flags |= HB_KEEP;
    }
}

void html_select(html_page *pg, int keep_all)
{
    if (keep_all) {
        for (size_t i = 0; i < pg->n_blocks; i++)
            pg->blocks[i].flags |= HB_KEEP;
        return;
    }
    uint64_t total = 0;
    for (size_t i = 0; i < pg->n_blocks; i++)
        total += pg->blocks[i].len;
    if (total == 0)
        return;
    if (pg->n_nodes > 0)
        select_main(pg, total);
    for (size_t i = 0; i < pg->n_blocks; i++)
        if (pg->blocks[i].flags & HB_KEEP)
            return;
    fallback(pg);
}
