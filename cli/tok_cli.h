/* tok_cli.h: what `winnow encode` and `winnow decode` share: loading the tokenizer named on
 * the command line, and mapping JSONL lines to output lines in parallel, in order. */
#ifndef WN_TOK_CLI_H
#define WN_TOK_CLI_H

#include "core/buf.h"
#include "tokenize/tokenizer.h"

/* Check that at most one input is named (*name = it, or "-" for stdin) and load the
 * tokenizer (NULL path = the shipped one). Returns NULL after printing the error. */
wn_tok *wn_tok_cli_open(int argc, char **argv, int optind, const char *verb,
                        const char *tokenizer, unsigned load_flags, const char **name);

/* Turns one input line into its output line (appended to out, with '\n'); returns 0, or
 * -1 with a short reason in why. Called from several threads at once. */
typedef int (*wn_tok_cli_line_fn)(const void *ctx, const char *line, size_t len, wn_buf *out,
                                  char *why, size_t whylen);

/* Runs fn over every line of `name` (gzip/zstd detected) and writes the results to stdout
 * in input order. A failed line is written as {"error": why} (so output line k still
 * answers input line k), warned about with its number, and makes the result
 * WN_EXIT_FAILURE. */
int wn_tok_cli_map_jsonl(const char *name, const char *verb, wn_tok_cli_line_fn fn,
                         const void *ctx);

/* -j / --threads value for the commands that do not use core/args.h. -1 if bad. */
int wn_tok_cli_threads(const char *arg);

#endif
