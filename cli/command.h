/* command.h: one file per subcommand (cli/cmd_<name>.c), each `int cmd_<name>(int argc,
 * char **argv)` (argv[0] is the command name), registered in the table in cli/main.c.
 *
 * Adding a command: write cli/cmd_x.c, declare it below, add a row to the table in
 * cli/main.c, add its tests. Return WN_EXIT_* codes (core/args.h); only the CLI exits. */
#ifndef WN_COMMAND_H
#define WN_COMMAND_H

int cmd_html2text(int argc, char **argv);
int cmd_annotate(int argc, char **argv);
int cmd_ingest(int argc, char **argv);
int cmd_stats(int argc, char **argv);
int cmd_filter(int argc, char **argv);
int cmd_dedup(int argc, char **argv);
int cmd_classify(int argc, char **argv);
int cmd_status(int argc, char **argv);
int cmd_mix(int argc, char **argv);
int cmd_run(int argc, char **argv);
int cmd_encode(int argc, char **argv);
int cmd_decode(int argc, char **argv);
int cmd_tokenize(int argc, char **argv);

#endif
