/* where.c: a small recursive-descent parser and evaluator for --where; see where.h. */
#include "filter/where.h"
#include "core/buf.h"

#include "core/log.h"

#include <ctype.h>
#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef enum { N_AND, N_OR, N_NOT, N_CMP } node_kind;
typedef enum { OP_LT, OP_LE, OP_GT, OP_GE, OP_EQ, OP_NE } cmp_op;

typedef struct node {
    node_kind kind;
    struct node *a, *b;
    char *name;  /* N_CMP */
    cmp_op op;
    bool is_str;
    double num;
    char *str;
} node;

struct wn_where {
    node *root;
    char *text;
    char *reason; /* "where: <text>" */
    /* The distinct attribute names the expression uses and whether any document had each:
     * a name no document has (a misspelled signal) fails every comparison and would remove
     * everything without a word. Flags are atomics, the one thing threads write here, and
     * only until each name is first seen. */
    char **names;
    atomic_bool *seen;
    size_t n_names;
    atomic_bool any_doc;
};

typedef struct parser {
    const char *s;
    size_t i;
    char *err;
    size_t errlen;
    bool failed;
    /* Parsing and evaluation recurse: 60,000 '(' overflowed the stack (a segfault). Real
     * expressions are a few comparisons; these bounds keep the recursion small. */
    int depth;
    size_t terms;
} parser;

enum { WHERE_MAX_DEPTH = 64, WHERE_MAX_TERMS = 1000 };

static void fail(parser *p, const char *what)
{
    if (!p->failed)
        snprintf(p->err, p->errlen, "%s at column %zu of '%s'", what, p->i + 1, p->s);
    p->failed = true;
}

static void skip(parser *p)
{
    while (isspace((unsigned char)p->s[p->i]))
        p->i++;
}

static bool name_char(char c)
{
    return isalnum((unsigned char)c) || c == '_' || c == '.' || c == ':' || c == '-' || c == '/';
}

/* Match a keyword (whole word) or symbol. */
static bool accept(parser *p, const char *tok)
{
    skip(p);
    size_t k = strlen(tok);
    if (strncmp(p->s + p->i, tok, k))
        return false;
    if (isalpha((unsigned char)tok[0]) && name_char(p->s[p->i + k]))
        return false;
    p->i += k;
    return true;
}

static void free_node(node *n)
{
    if (!n)
        return;
    free_node(n->a);
    free_node(n->b);
    free(n->name);
    free(n->str);
    free(n);
}

static node *parse_or(parser *p);
static node *parse_not(parser *p);
static node *parse_not_nested(parser *p);

static char *parse_word(parser *p)
{
    skip(p);
    size_t a = p->i;
    while (name_char(p->s[p->i]))
        p->i++;
    return p->i > a ? wn_xstrndup(p->s + a, p->i - a) : NULL;
}

static node *parse_cmp(parser *p)
{
    if (++p->terms > WHERE_MAX_TERMS) {
        fail(p, "more than 1000 comparisons");
        return NULL;
    }
    char *name = parse_word(p);
    if (!name) {
        fail(p, "expected an attribute name");
        return NULL;
    }
    static const struct { const char *tok; cmp_op op; } ops[] = {
        {"<=", OP_LE}, {">=", OP_GE}, {"==", OP_EQ}, {"!=", OP_NE}, {"<", OP_LT}, {">", OP_GT},
        {"=", OP_EQ},
    };
    node *n = wn_xcalloc(1, sizeof *n);
    n->kind = N_CMP;
    n->name = name;
    size_t k;
    for (k = 0; k < sizeof ops / sizeof *ops; k++)
        if (accept(p, ops[k].tok))
            break;
    if (k == sizeof ops / sizeof *ops) {
        fail(p, "expected one of < <= > >= == !=");
        free_node(n);
        return NULL;
    }
    n->op = ops[k].op;
    skip(p);
    char q = p->s[p->i];
    if (q == '\'' || q == '"') {
        const char *end = strchr(p->s + p->i + 1, q);
        if (!end) {
            fail(p, "unterminated string");
            free_node(n);
            return NULL;
        }
        n->str = wn_xstrndup(p->s + p->i + 1, (size_t)(end - p->s) - p->i - 1);
        n->is_str = true;
        p->i = (size_t)(end - p->s) + 1;
    } else {
        char *end;
        n->num = strtod(p->s + p->i, &end);
        if (end != p->s + p->i && !name_char(*end)) {
            /* every comparison with nan is false: '<= nan' removed every document */
            if (!isfinite(n->num)) {
                fail(p, "expected a finite number");
                free_node(n);
                return NULL;
            }
            p->i = (size_t)(end - p->s);
        } else {
            n->str = parse_word(p);
            n->is_str = true;
            if (!n->str) {
                fail(p, "expected a number or a string");
                free_node(n);
                return NULL;
            }
        }
    }
    if (n->is_str && n->op != OP_EQ && n->op != OP_NE) {
        fail(p, "strings compare only with == or !=");
        free_node(n);
        return NULL;
    }
    return n;
}

static node *parse_not(parser *p)
{
    if (p->depth >= WHERE_MAX_DEPTH) {
        fail(p, "nested more than 64 deep");
        return NULL;
    }
    p->depth++;
    node *n = parse_not_nested(p);
    p->depth--;
    return n;
}

static node *parse_not_nested(parser *p)
{
    if (accept(p, "!") || accept(p, "not")) {
        node *n = wn_xcalloc(1, sizeof *n);
        n->kind = N_NOT;
        n->a = parse_not(p);
        if (!n->a) {
            free_node(n);
            return NULL;
        }
        return n;
    }
    if (accept(p, "(")) {
        node *n = parse_or(p);
        if (n && !accept(p, ")")) {
            fail(p, "expected ')'");
            free_node(n);
            return NULL;
        }
        return n;
    }
    return parse_cmp(p);
}

static node *parse_binary(parser *p, node_kind kind, node *(*sub)(parser *), const char *sym,
                          const char *word)
{
    node *l = sub(p);
    while (l && (accept(p, sym) || accept(p, word))) {
        node *n = wn_xcalloc(1, sizeof *n);
        n->kind = kind;
        n->a = l;
        n->b = sub(p);
        if (!n->b) {
            free_node(n);
            return NULL;
        }
        l = n;
    }
    return l;
}

static node *parse_and(parser *p)
{
    return parse_binary(p, N_AND, parse_not, "&&", "and");
}

static node *parse_or(parser *p)
{
    return parse_binary(p, N_OR, parse_and, "||", "or");
}

/* The names point into the tree's nodes, which live as long as w. */
static void collect_names(wn_where *w, node *n)
{
    if (!n)
        return;
    if (n->kind != N_CMP) {
        collect_names(w, n->a);
        collect_names(w, n->b);
        return;
    }
    for (size_t i = 0; i < w->n_names; i++)
        if (!strcmp(w->names[i], n->name))
            return;
    w->names = wn_xrealloc(w->names, (w->n_names + 1) * sizeof *w->names);
    w->names[w->n_names++] = n->name;
}

wn_where *wn_where_parse(const char *expr, char *err, size_t errlen)
{
    parser p = {expr, 0, err, errlen, false, 0, 0};
    node *root = parse_or(&p);
    skip(&p);
    if (root && p.s[p.i]) {
        fail(&p, "unexpected text");
        free_node(root);
        root = NULL;
    }
    if (!root) {
        if (!p.failed)
            snprintf(err, errlen, "invalid expression '%s'", expr);
        return NULL;
    }
    wn_where *w = wn_xcalloc(1, sizeof *w);
    w->root = root;
    collect_names(w, root);
    w->seen = wn_xcalloc(w->n_names ? w->n_names : 1, sizeof *w->seen);
    for (size_t i = 0; i < w->n_names; i++)
        atomic_init(&w->seen[i], false);
    atomic_init(&w->any_doc, false);
    w->text = wn_xstrdup(expr);
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "where: %s", expr);
    w->reason = wn_buf_detach(&b, NULL);
    return w;
}

void wn_where_free(wn_where *w)
{
    if (!w)
        return;
    free_node(w->root);
    free(w->names);
    free(w->seen);
    free(w->text);
    free(w->reason);
    free(w);
}

const char *wn_where_text(const wn_where *w)
{
    return w->text;
}

static bool eval(const node *n, const wn_doc *d, bool *missing)
{
    switch (n->kind) {
    case N_AND:
        return eval(n->a, d, missing) && eval(n->b, d, missing);
    case N_OR:
        return eval(n->a, d, missing) || eval(n->b, d, missing);
    case N_NOT:
        return !eval(n->a, d, missing);
    case N_CMP:
        break;
    }
    /* a Dolma span list reads as its first span's score */
    if (n->is_str) {
        const char *v = wn_doc_attr_get_string(d, n->name);
        if (!v) {
            *missing = true;
            return false;
        }
        bool eq = !strcmp(v, n->str);
        return n->op == OP_EQ ? eq : !eq;
    }
    double x;
    if (wn_doc_attr_get_score(d, n->name, &x)) {
        *missing = true;
        return false;
    }
    switch (n->op) {
    case OP_LT: return x < n->num;
    case OP_LE: return x <= n->num;
    case OP_GT: return x > n->num;
    case OP_GE: return x >= n->num;
    case OP_EQ: return x == n->num;
    case OP_NE: return x != n->num;
    }
    return false;
}

bool wn_where_eval(const wn_where *w, const wn_doc *d, bool *missing)
{
    bool m = false;
    bool r = eval(w->root, d, &m);
    if (missing)
        *missing = m;
    return r;
}

static bool names(const node *n, const char *reason)
{
    if (!n)
        return false;
    if (n->kind == N_CMP)
        return !strcmp(n->name, reason);
    return names(n->a, reason) || names(n->b, reason);
}

bool wn_where_decides(const wn_where *w, const char *reason)
{
    return names(w->root, reason);
}

/* Set since the document was read (the compact array) or read with it / moved there by
 * wn_doc_attr_json (the object): a reader of the whole map must not make it absent. */
static bool has_attribute(const wn_doc *d, const char *name)
{
    return wn_doc_attr_find(d, name) || (d->attributes && json_object_get(d->attributes, name));
}

void wn_where_note_present(wn_where *w, const wn_doc *d)
{
    if (!atomic_load_explicit(&w->any_doc, memory_order_relaxed))
        atomic_store_explicit(&w->any_doc, true, memory_order_relaxed);
    for (size_t i = 0; i < w->n_names; i++)
        if (!atomic_load_explicit(&w->seen[i], memory_order_relaxed) && has_attribute(d, w->names[i]))
            atomic_store_explicit(&w->seen[i], true, memory_order_relaxed);
}

const char *wn_where_absent_name(const wn_where *w, size_t k)
{
    if (!atomic_load(&w->any_doc))
        return NULL;
    for (size_t i = 0; i < w->n_names; i++)
        if (!atomic_load(&w->seen[i]) && k-- == 0)
            return w->names[i];
    return NULL;
}

size_t wn_where_absent_names(const wn_where *w, wn_buf *out)
{
    size_t n = 0;
    for (const char *name; (name = wn_where_absent_name(w, n)) != NULL; n++)
        wn_buf_appendf(out, "%s'%s'", n ? ", " : "", name);
    return n;
}

static void where_doc(void *state, wn_doc *d, wn_stats *s)
{
    wn_where *w = state;
    wn_where_note_present(w, d);
    bool missing;
    if (!wn_where_eval(w, d, &missing))
        d->drop_reason = w->reason;
    if (missing)
        wn_stats_add(s, "where.missing_attribute", 1);
}

static int where_finish(void *state, wn_stats *s)
{
    wn_buf names = WN_BUF_INIT;
    size_t n = wn_where_absent_names(state, &names);
    if (n) {
        wn_warn("--where: no document has the attribute%s %s, so every comparison on it failed "
                "(a misspelled signal?)", n > 1 ? "s" : "", names.data);
        wn_stats_add(s, "where.attribute_never_present", n);
    }
    wn_buf_release(&names);
    return 0;
}

static void where_release(void *state)
{
    wn_where_free(state);
}

wn_stage *wn_where_stage_new(wn_where *w)
{
    wn_stage *st = wn_xcalloc(1, sizeof *st);
    st->name = "where";
    st->state = w;
    st->process_doc = where_doc;
    st->finish = where_finish;
    st->release = where_release;
    return st;
}
