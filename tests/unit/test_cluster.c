/* test_cluster.c: the Slurm executor without a cluster - array index lists, the sbatch
 * script of a split phase (run here with sh, as Slurm would run one array task), the
 * fallback for phases whose tasks differ, the `slurm:` config section, and the task
 * states `winnow status` derives from completion and status records. */
#include "testutil.h"

#include "cluster/slurm.h"
#include "cluster/slurm_files.h"
#include "cluster/status.h"
#include "core/buf.h"
#include "core/io.h"

#include <sys/stat.h>

static char dir[256];

static int setup(void **state)
{
    (void)state;
    snprintf(dir, sizeof dir, "/tmp/winnow-test-cluster-XXXXXX");
    return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
    (void)state;
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    return system(cmd);
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void test_array_spec(void **state)
{
    (void)state;
    unsigned v[] = {0, 1, 2, 5, 7, 8, 10};
    char *s = wn_slurm_array_spec(v, 7);
    assert_string_equal(s, "0-2,5,7-8,10");
    free(s);
    s = wn_slurm_array_spec(v + 3, 1);
    assert_string_equal(s, "5");
    free(s);
}

/* A phase of n tasks: `filter -o OUT --shard I/n GLOB`, done records in DIR/.done. */
typedef struct fake_plan {
    wn_plan plan;
    wn_phase phase;
    wn_task tasks[8];
    wn_task_arg args[8][6];
    char shard[8][24], done[8][320], outdir[300];
} fake_plan;

static void fake_plan_init(fake_plan *f, unsigned n)
{
    memset(f, 0, sizeof *f);
    snprintf(f->outdir, sizeof f->outdir, "%s/out", dir);
    for (unsigned t = 0; t < n; t++) {
        snprintf(f->shard[t], sizeof f->shard[t], "%u/%u", t, n);
        snprintf(f->done[t], sizeof f->done[t], "%s/.done/web.filter-%05u-of-%05u.done", dir,
                 t, n);
        wn_task_arg *a = f->args[t];
        a[0] = (wn_task_arg){"filter", false};
        a[1] = (wn_task_arg){"-o", false};
        a[2] = (wn_task_arg){f->outdir, false};
        a[3] = (wn_task_arg){"--shard", false};
        a[4] = (wn_task_arg){f->shard[t], false};
        a[5] = (wn_task_arg){"in/*.jsonl", true};
        f->tasks[t] = (wn_task){t, a, 6, f->done[t]};
    }
    f->phase = (wn_phase){.name = "web.filter", .command = "filter", .outdir = f->outdir,
                          .tasks = f->tasks, .n_tasks = n, .threads = 2};
    f->plan = (wn_plan){.config_path = "run.yaml", .workdir = dir, .phases = &f->phase,
                        .n_phases = 1};
}

static void test_script_of_a_split_phase(void **state)
{
    (void)state;
    fake_plan f;
    fake_plan_init(&f, 5);
    wn_slurm_opts o;
    wn_slurm_opts_init(&o);
    o.max_array_size = 2;
    o.exe = "/bin/echo";
    o.defaults.mem = "2G";
    char *text = wn_slurm_script(&f.plan, 0, 2, 2, &o, dir);
    assert_non_null(strstr(text, "#SBATCH --array=0-1\n"));
    assert_non_null(strstr(text, "#SBATCH --mem=2G\n"));
    assert_non_null(strstr(text, "#SBATCH --cpus-per-task=2\n"));
    assert_non_null(strstr(text, "/logs/01-web.filter.part2-%A_%a.log\n"));
    assert_non_null(strstr(text, "I=$((2 + SLURM_ARRAY_TASK_ID))"));
    /* the glob stays bare for the shell, the shard is the task's */
    assert_non_null(strstr(text, "/bin/echo filter -o "));
    assert_non_null(strstr(text, " --shard \"$I/$N\" in/*.jsonl\n"));

    /* Run array index 1 of this part as Slurm would: task 3 of 5. */
    char path[400], cmd[900];
    snprintf(path, sizeof path, "%s/part2.sbatch", dir);
    write_file(path, text);
    free(text);
    snprintf(cmd, sizeof cmd, "cd '%s' && SLURM_ARRAY_JOB_ID=77 SLURM_ARRAY_TASK_ID=1 sh '%s'",
             dir, path);
    FILE *p = popen(cmd, "r");
    assert_non_null(p);
    char line[600] = "";
    assert_non_null(fgets(line, sizeof line, p));
    assert_int_equal(pclose(p), 0);
    assert_non_null(strstr(line, "--shard 3/5 in/*.jsonl")); /* no match: left as is */
    struct stat sb;
    assert_int_equal(stat(f.done[3], &sb), 0);
    assert_int_not_equal(stat(f.done[2], &sb), 0);
    snprintf(path, sizeof path, "%s/status/web.filter/3.started", dir);
    assert_int_equal(stat(path, &sb), 0);
}

static void test_tasks_that_differ_get_a_case(void **state)
{
    (void)state;
    fake_plan f;
    fake_plan_init(&f, 3);
    f.args[1][2] = (wn_task_arg){"elsewhere", false};
    wn_slurm_opts o;
    wn_slurm_opts_init(&o);
    o.exe = "/bin/echo";
    char *text = wn_slurm_script(&f.plan, 0, 0, 3, &o, dir);
    assert_non_null(strstr(text, "case \"$I\" in\n0) /bin/echo filter"));
    assert_non_null(strstr(text, "1) /bin/echo filter -o elsewhere --shard 1/3"));
    free(text);
}

static void test_config_section(void **state)
{
    (void)state;
    char path[400];
    snprintf(path, sizeof path, "%s/run.yaml", dir);
    write_file(path, "workdir: w\nslurm:\n  partition: cpu\n  mem: 4G\n  max_array_size: 500\n"
                     "  sbatch_args: [--qos=low]\n  phases:\n    filter: {mem: 16G}\n"
                     "    web.filter: {time: \"01:00:00\"}\n  mpi: {ranks: 8}\n");
    wn_slurm_opts o;
    wn_slurm_opts_init(&o);
    assert_int_equal(wn_slurm_config_load(path, &o), 0);
    assert_int_equal(o.max_array_size, 500);
    assert_int_equal(o.mpi_ranks, 8);
    fake_plan f;
    fake_plan_init(&f, 1);
    wn_slurm_resources r = wn_slurm_resources_for(&o, &f.phase);
    assert_string_equal(r.partition, "cpu");
    assert_string_equal(r.mem, "16G");         /* by command */
    assert_string_equal(r.time, "01:00:00");   /* by name */
    assert_int_equal(r.n_extra, 1);
    wn_slurm_opts_release(&o);

    write_file(path, "slurm:\n  partion: cpu\n");
    wn_slurm_opts_init(&o);
    assert_int_equal(wn_slurm_config_load(path, &o), -1); /* misspelt key: refused */
    wn_slurm_opts_release(&o);
}

static void test_status_from_records(void **state)
{
    (void)state;
    char path[400], text[2000];
    const char *old_path = getenv("PATH");
    char *saved = old_path ? strdup(old_path) : NULL;
    setenv("PATH", "/nonexistent", 1); /* no squeue: states from the records alone */
    snprintf(path, sizeof path, "%s/slurm/status/web.filter", dir);
    assert_int_equal(wn_mkdirs(path), 0);
    snprintf(text, sizeof text, "# header\n"
             "web.filter\t0\t%s/d0\t01-web.filter\nweb.filter\t1\t%s/d1\t01-web.filter\n"
             "web.filter\t2\t%s/d2\t01-web.filter\nweb.filter\t3\t%s/d3\t01-web.filter\n",
             dir, dir, dir, dir);
    snprintf(path, sizeof path, "%s/slurm/tasks.tsv", dir);
    write_file(path, text);
    snprintf(path, sizeof path, "%s/d0", dir);
    write_file(path, "done\n");
    snprintf(path, sizeof path, "%s/slurm/status/web.filter/1.failed", dir);
    write_file(path, "exit 3, job 12_1 on n1 at 2026-01-01T00:00:00Z\n");
    snprintf(path, sizeof path, "%s/slurm/status/web.filter/2.started", dir);
    write_file(path, "job 12_2 on n2 since 2026-01-01T00:00:00Z\n");

    wn_run_status st;
    assert_int_equal(wn_run_status_load(dir, &st), 0);
    if (saved) setenv("PATH", saved, 1);
    free(saved);
    assert_false(st.queue_known);
    assert_int_equal(st.n, 4);
    assert_int_equal(st.tasks[0].state, WN_TASK_DONE);
    assert_int_equal(st.tasks[1].state, WN_TASK_FAILED);
    assert_non_null(strstr(st.tasks[1].detail, "exit 3"));
    assert_non_null(strstr(st.tasks[1].log, "/slurm/logs/01-web.filter-12_1.log"));
    assert_int_equal(st.tasks[2].state, WN_TASK_RUNNING);
    assert_int_equal(st.tasks[3].state, WN_TASK_NOT_STARTED);
    wn_run_status_release(&st);

    snprintf(path, sizeof path, "%s/nothing-here", dir);
    assert_int_equal(wn_run_status_load(path, &st), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_array_spec),
        cmocka_unit_test(test_script_of_a_split_phase),
        cmocka_unit_test(test_tasks_that_differ_get_a_case),
        cmocka_unit_test(test_config_section),
        cmocka_unit_test(test_status_from_records),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
