/* cmd_ingest.c: `winnow ingest INPUT... -o OUTDIR`: raw web archives and dumps in, clean
 * UTF-8 Dolma JSONL out. Formats and compression are detected from content (see
 * ingest/ingest.h); --format overrides. */
#include "cli/command.h"
#include "core/args.h"
#include "core/log.h"
#include "core/runner.h"
#include "ingest/ingest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *f)
{
    fprintf(f,
            "usage: winnow ingest [options] INPUT... -o OUTDIR\n\n"
            "Reads WARC 1.0/1.1 (.warc, .warc.gz, .warc.zst), Common Crawl WET, ARC, JSONL\n"
            "(plain, .gz, .zst), HTML files and plain text files (one document per file), and\n"
            "writes Dolma JSONL documents. WARC response records with HTTP 200 and an HTML or\n"
            "text payload become documents; HTML becomes clean text.\n\n"
            "options:\n"
            "  --format F          auto (default), warc, arc, jsonl, html, text\n"
            "  --text-field K      JSONL: key holding the text (default text)\n"
            "  --id-field K        JSONL: key holding the id (default id)\n"
            "  --source NAME       value of the \"source\" field of every document (default:\n"
            "                      a JSONL record's own, else the format: warc, wet, html...)\n"
            "  --max-payload SIZE  skip payloads larger than SIZE (default 32M), counted\n"
            "  --keep-raw          keep HTML as is (no text extraction)\n"
            "  --all-statuses      also keep non-200 responses\n"
            "  --drop-bad-digest   drop WARC records whose WARC-Block-Digest (or, without one,\n"
            "                      WARC-Payload-Digest) does not match\n"
            "                      (counted as errors; default: kept, counted as warnings)\n"
            "  -o, --output DIR    output directory\n"
            "  --shard I/N         process the I-th of N slices of the inputs (by file)\n"
            "  -j, --threads N     threads (default: all cores)\n"
            "  --max-shard-size S  rotate output files at S bytes (default 1G)\n"
            "  --compression C     zst (default), gz, none\n"
            "  --force             redo a shard that already has a completion record\n"
            "  --quiet             no progress line and no summary\n"
            "  --max-record-size S JSONL input: a longer line is skipped unread and counted\n"
            "                      as an error with its file and offset (default 256M)\n");
}

int cmd_ingest(int argc, char **argv)
{
    static const struct option own[] = {
        { "format", required_argument, NULL, 'F' },
        { "text-field", required_argument, NULL, 'T' },
        { "id-field", required_argument, NULL, 'I' },
        { "source", required_argument, NULL, 'S' },
        { "max-payload", required_argument, NULL, 'M' },
        { "keep-raw", no_argument, NULL, 'R' },
        { "all-statuses", no_argument, NULL, 'A' },
        { "drop-bad-digest", no_argument, NULL, 'D' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    struct option *opts = wn_merge_long_options(own);
    wn_common_opts common;
    wn_common_init(&common);
    wn_ingest_opts io;
    wn_ingest_opts_init(&io);
    int c, rc = WN_EXIT_USAGE;
    optind = 1;
    while ((c = getopt_long(argc, argv, WN_COMMON_SHORT "h", opts, NULL)) != -1) {
        int r = wn_common_getopt(&common, c, optarg);
        if (r < 0)
            goto out;
        if (r > 0)
            continue;
        switch (c) {
        case 'F':
            if (wn_ingest_parse_format(optarg, &io.format)) {
                wn_error("bad --format '%s': expected auto, warc, arc, jsonl, html or text", optarg);
                goto out;
            }
            break;
        case 'T': io.jsonl.text_field = optarg; break;
        case 'I': io.jsonl.id_field = optarg; break;
        case 'S': io.source_name = optarg; break;
        case 'M':
            if (wn_parse_size(optarg, &io.max_payload)) {
                wn_error("bad --max-payload '%s'", optarg);
                goto out;
            }
            break;
        case 'R': io.extract_html = false; break;
        case 'A': io.only_status_200 = false; break;
        case 'D': io.drop_bad_digest = true; break;
        case 'h': usage(stdout); rc = WN_EXIT_OK; goto out;
        default: usage(stderr); goto out;
        }
    }
    if (wn_common_finish(&common, argc, argv, optind, true))
        goto out;

    wn_stage *extract = wn_ingest_extract_stage_new(&io);
    wn_stage *stages[] = { extract };
    wn_run_opts ro = {
        .command = "ingest", .common = &common, .open = wn_ingest_open, .open_ctx = &io,
        .stages = stages, .n_stages = 1,
    };
    wn_run_result res;
    rc = wn_run(&ro, &res) ? WN_EXIT_FAILURE : WN_EXIT_OK;
    wn_run_print_summary(&ro, &res);
    wn_run_result_release(&res);
    wn_stage_free(extract);
out:
    free(opts);
    wn_common_release(&common);
    return rc;
}
