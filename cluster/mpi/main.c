/* winnow-mpi: dedup's global phases over MPI ranks, for clusters (a separate binary so
 * that ./winnow never depends on MPI).
 *
 *   mpirun -np 64 winnow-mpi dedup minhash INPUT... -o OUTDIR [--bands B --rows R
 *                 --ngram N --seed S] [--keep earliest|latest|first] [--memory SIZE]
 *   mpirun -np 64 winnow-mpi dedup line INPUT... -o OUTDIR [--bucket-docs N]
 *                 [--max-repeats K] [--ccnet] [--memory SIZE]
 *
 * Writes the state files of `winnow dedup ... --phase all` up to the removal set (see
 * cluster/mpi/mpi_dedup.h); then run the per-shard removal phase, e.g. as a Slurm array:
 *   winnow dedup minhash INPUT... -o OUTDIR --phase remove --shard I/N
 * Build: make winnow-mpi (OpenMPI's mpicc). Every rank must see OUTDIR.
 */
#include "cluster/mpi/mpi_dedup.h"
#include "core/args.h"
#include "core/log.h"

#include <getopt.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

static const char usage[] =
    "usage: winnow-mpi dedup minhash|exact|url INPUT... -o OUTDIR [--bands B] [--rows R]\n"
    "                  [--ngram N] [--seed S] [--keep earliest|latest|first] [--memory SIZE]\n"
    "                  [-j THREADS] [--state DIR]\n"
    "       winnow-mpi dedup line INPUT... -o OUTDIR [--bucket-docs N] [--max-repeats K]\n"
    "                  [--ccnet] [--memory SIZE] [-j THREADS]\n"
    "Runs the global phases of `winnow dedup` over MPI ranks (start with mpirun or srun)\n"
    "and writes the same state files (default OUTDIR/state); then run `winnow dedup ...\n"
    "--phase remove` (minhash, exact, url) or `--phase apply` (line) per shard. Not here:\n"
    "--verify, --index, --index-out.\n";

enum { OPT_BANDS = 1, OPT_ROWS, OPT_NGRAM, OPT_SEED, OPT_KEEP, OPT_MEMORY, OPT_BUCKET,
       OPT_REPEATS, OPT_CCNET, OPT_STATE, OPT_IGNORED, OPT_UNSUPPORTED, OPT_MAX_RECORD };

static int parse_uint(const char *s, uint64_t max, uint64_t *out)
{
    char *end;
    unsigned long long v = strtoull(s, &end, 10);
    if (!*s || *end || v > max) return -1;
    *out = v;
    return 0;
}

/* Parses argv into o; returns 0, or 2 on bad usage (message printed on rank 0). */
static int parse(int argc, char **argv, wn_mpi_dedup_opts *o, int *is_lines, int rank,
                 wn_buf *state_buf)
{
    static const struct option longopts[] = {
        {"output", required_argument, NULL, 'o'}, {"threads", required_argument, NULL, 'j'},
        {"bands", required_argument, NULL, OPT_BANDS}, {"rows", required_argument, NULL, OPT_ROWS},
        {"ngram", required_argument, NULL, OPT_NGRAM}, {"seed", required_argument, NULL, OPT_SEED},
        {"keep", required_argument, NULL, OPT_KEEP}, {"memory", required_argument, NULL, OPT_MEMORY},
        {"bucket-docs", required_argument, NULL, OPT_BUCKET},
        {"max-repeats", required_argument, NULL, OPT_REPEATS},
        {"ccnet", no_argument, NULL, OPT_CCNET}, {"state", required_argument, NULL, OPT_STATE},
        /* `winnow dedup` options that do not apply here (output format, partitions = ranks,
         * the runner's switches), accepted so that a planned command line can be reused */
        {"quiet", no_argument, NULL, OPT_IGNORED}, {"parts", required_argument, NULL, OPT_IGNORED},
        {"max-shard-size", required_argument, NULL, OPT_IGNORED},
        {"compression", required_argument, NULL, OPT_IGNORED},
        {"batch-size", required_argument, NULL, OPT_IGNORED},
        {"max-record-size", required_argument, NULL, OPT_MAX_RECORD},
        {"verify", required_argument, NULL, OPT_UNSUPPORTED},
        {"index", required_argument, NULL, OPT_UNSUPPORTED},
        {"index-out", required_argument, NULL, OPT_UNSUPPORTED},
        {"help", no_argument, NULL, 'h'}, {0}};
    if (argc < 3 || strcmp(argv[1], "dedup")) goto bad;
    const char *method = argv[2];
    *is_lines = !strcmp(method, "line");
    if (!strcmp(method, "minhash")) wn_dedup_config_default(&o->config, WN_DEDUP_MINHASH);
    else if (!strcmp(method, "exact")) wn_dedup_config_default(&o->config, WN_DEDUP_EXACT);
    else if (!strcmp(method, "url")) wn_dedup_config_default(&o->config, WN_DEDUP_URL);
    else if (!*is_lines) goto bad;
    o->keep = o->config.method == WN_DEDUP_URL ? WN_KEEP_LATEST : WN_KEEP_EARLIEST;
    wn_lines_config_default(&o->lines);
    o->mem_bytes = 1ull << 30;
    argc -= 2;
    argv += 2;
    optind = 1;
    int c;
    uint64_t v;
    while ((c = getopt_long(argc, argv, "o:j:h", longopts, NULL)) != -1) {
        int ok = 0;
        switch (c) {
        case 'o': o->outdir = optarg; ok = 1; break;
        case 'j': ok = !parse_uint(optarg, 4096, &v) && v; if (ok) omp_set_num_threads((int)v); break;
        case OPT_BANDS: ok = !parse_uint(optarg, 1024, &v); o->config.bands = (unsigned)v; break;
        case OPT_ROWS: ok = !parse_uint(optarg, 1024, &v); o->config.rows = (unsigned)v; break;
        case OPT_NGRAM: ok = !parse_uint(optarg, 64, &v); o->config.ngram = (unsigned)v; break;
        case OPT_SEED: ok = !parse_uint(optarg, UINT64_MAX, &o->config.seed); break;
        case OPT_KEEP:
            ok = 1;
            if (!strcmp(optarg, "earliest")) o->keep = WN_KEEP_EARLIEST;
            else if (!strcmp(optarg, "latest")) o->keep = WN_KEEP_LATEST;
            else if (!strcmp(optarg, "first")) o->keep = WN_KEEP_FIRST;
            else ok = 0;
            break;
        case OPT_MEMORY: ok = !wn_parse_size(optarg, &o->mem_bytes) && o->mem_bytes >= (64u << 10); break;
        case OPT_BUCKET: ok = !parse_uint(optarg, UINT64_MAX, &o->lines.bucket_docs) && o->lines.bucket_docs; break;
        case OPT_REPEATS: ok = !parse_uint(optarg, UINT32_MAX, &v); o->lines.max_repeats = (uint32_t)v; break;
        case OPT_CCNET: o->lines.ccnet = true; ok = 1; break;
        case OPT_STATE: o->state = optarg; ok = 1; break;
        case OPT_IGNORED: ok = 1; break;
        case OPT_MAX_RECORD: ok = !wn_set_max_record_size(optarg); break;
        case OPT_UNSUPPORTED:
            if (rank == 0)
                wn_error("--verify, --index and --index-out are not supported by winnow-mpi: "
                         "run the `winnow dedup` phases for them");
            return 2;
        case 'h': if (rank == 0) fputs(usage, stdout); return 1;
        default: break;
        }
        if (!ok) {
            if (rank == 0 && c != '?') wn_error("bad value '%s' for option '%s'", optarg, argv[optind - 1]);
            goto bad;
        }
    }
    if (!o->outdir || optind >= argc) goto bad;
    if (!o->state) {
        wn_buf_appendf(state_buf, "%s/state", o->outdir);
        o->state = state_buf->data;
    }
    if (wn_expand_inputs(argv + optind, (size_t)(argc - optind), &o->inputs, &o->n_inputs))
        return 2; /* the missing path is named by wn_expand_inputs */
    return 0;
bad:
    if (rank == 0) fputs(usage, stderr);
    return 2;
}

/* Peak resident memory of each rank, gathered on rank 0 (the bench reads this line). */
static void print_memory(MPI_Comm comm, int rank, int ranks)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    long kb = ru.ru_maxrss, *all = rank == 0 ? wn_xmalloc((size_t)ranks * sizeof *all) : NULL;
    MPI_Gather(&kb, 1, MPI_LONG, all, 1, MPI_LONG, 0, comm);
    if (rank == 0) {
        long max = 0, sum = 0;
        for (int r = 0; r < ranks; r++) {
            sum += all[r];
            if (all[r] > max) max = all[r];
        }
        fprintf(stderr, "winnow-mpi memory: peak RSS per rank max %.1f MiB, mean %.1f MiB\n",
                max / 1024.0, sum / 1024.0 / ranks);
        free(all);
    }
}

static void print_result(const wn_mpi_dedup_opts *o, int lines, const wn_mpi_dedup_result *r,
                         int ranks, double seconds)
{
    if (lines) {
        fprintf(stderr, "winnow-mpi dedup line: %d ranks, %llu documents, %llu distinct lines, "
                "%llu lines to remove (%llu occurrences), %.1f s; wrote '%s/lineset.wls'\n",
                ranks, (unsigned long long)r->docs, (unsigned long long)r->lines_distinct,
                (unsigned long long)r->lines_removable,
                (unsigned long long)r->occurrences_removable, seconds, o->state);
        return;
    }
    fprintf(stderr, "winnow-mpi dedup: %d ranks, %llu documents, %llu band records in %u "
            "rounds, %llu edges, %llu clusters (%u union rounds), %llu documents to remove "
            "(%llu bytes), %.1f s; wrote '%s/remove.wrm'\n", ranks,
            (unsigned long long)r->docs, (unsigned long long)r->band_records, r->rounds_bands,
            (unsigned long long)r->edges, (unsigned long long)r->clusters, r->rounds_components,
            (unsigned long long)r->removed, (unsigned long long)r->removed_bytes, seconds,
            o->state);
    fprintf(stderr, "winnow-mpi largest share of one rank: %llu band records, %llu edges, "
            "%llu labels\n", (unsigned long long)r->max_rank_records,
            (unsigned long long)r->max_rank_edges, (unsigned long long)r->max_rank_labels);
}

int main(int argc, char **argv)
{
    MPI_Init(&argc, &argv);
    int rank, size;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank);
    MPI_Comm_size(MPI_COMM_WORLD, &size);
    wn_mpi_dedup_opts o;
    memset(&o, 0, sizeof o);
    int lines = 0;
    wn_buf state_buf = WN_BUF_INIT;
    int rc = parse(argc, argv, &o, &lines, rank, &state_buf);
    if (rc) {
        wn_buf_release(&state_buf);
        wn_free_strv(o.inputs, o.n_inputs);
        MPI_Finalize();
        return rc == 1 ? WN_EXIT_OK : WN_EXIT_USAGE;
    }
    double t0 = MPI_Wtime();
    wn_mpi_dedup_result res;
    rc = lines ? wn_mpi_dedup_lines(&o, MPI_COMM_WORLD, &res)
               : wn_mpi_dedup_minhash(&o, MPI_COMM_WORLD, &res);
    if (rc == 0 && rank == 0) print_result(&o, lines, &res, size, MPI_Wtime() - t0);
    if (rc == 0) print_memory(MPI_COMM_WORLD, rank, size);
    wn_buf_release(&state_buf);
    wn_free_strv(o.inputs, o.n_inputs);
    MPI_Finalize();
    return rc ? WN_EXIT_FAILURE : WN_EXIT_OK;
}
