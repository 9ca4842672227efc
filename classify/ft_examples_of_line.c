/* ft_examples_of_line.c: the examples one line of input holds. fastText's getLine ends an
 * example at the word "</s>" as at a newline, so its tool (predict, test) and its training
 * read "a </s> b\n" as two examples, "a </s>" and "b\n", and "a </s>\n" as "a </s>" and an
 * empty one. */
#include "classify/ft_internal.h"

#include <stdint.h>
#include <string.h> /* memmem: _GNU_SOURCE, set by the Makefile */

/* The end of the first word "</s>" of s[0..n), or SIZE_MAX when it has none. */
static size_t eos_word_end(const char *s, size_t n)
{
    const char *p = s;
    while ((p = memmem(p, n - (size_t)(p - s), WN_FT_EOS, 4))) {
        size_t at = (size_t)(p - s);
        if ((at == 0 || wn_ft_is_space((unsigned char)s[at - 1])) &&
            (at + 4 == n || wn_ft_is_space((unsigned char)s[at + 4])))
            return at + 4;
        p++;
    }
    return SIZE_MAX;
}

/* The next example of the line: text s[0..n), which ends the input line when *eol (the
 * tool then reads the '\n' as "</s>"). False when the line has no more. */
bool wn_ft_next_example(wn_ft_examples_of_line *e, const char **s, size_t *n, bool *eol)
{
    if (e->done)
        return false;
    size_t end = eos_word_end(e->s + e->at, e->n - e->at);
    *s = e->s + e->at;
    if (end == SIZE_MAX) { /* the rest of the line */
        *n = e->n - e->at;
        *eol = e->eol;
        e->done = true;
        return true;
    }
    *n = end;
    *eol = false;
    e->at += end;
    /* nothing after the word but the end of the input: the tool stops there */
    e->done = e->at == e->n && !e->eol;
    return true;
}
