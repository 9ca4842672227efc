/* slurm_files.c: names of the files under <workdir>/slurm/, and Slurm's array list syntax. */
#include "cluster/slurm_files.h"
#include "cluster/slurm.h"

#include <stdio.h>
#include <stdlib.h>

char *wn_slurm_dir(const char *workdir)
{
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%s/slurm", workdir);
    return wn_buf_detach(&b, NULL);
}

char *wn_slurm_script_base(const wn_plan *plan, size_t p, size_t first, size_t part_size)
{
    const wn_phase *ph = &plan->phases[p];
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%02zu-%s", p + 1, ph->name);
    if (part_size < ph->n_tasks) wn_buf_appendf(&b, ".part%zu", first / part_size + 1);
    return wn_buf_detach(&b, NULL);
}

char *wn_slurm_file(const char *slurm_dir, const char *name)
{
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%s/%s", slurm_dir, name);
    return wn_buf_detach(&b, NULL);
}

char *wn_slurm_script_base_named(size_t p, const char *name)
{
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%02zu-%s", p + 1, name);
    return wn_buf_detach(&b, NULL);
}

char *wn_slurm_status_dir(const char *slurm_dir, const char *name)
{
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%s/status/%s", slurm_dir, name);
    return wn_buf_detach(&b, NULL);
}

char *wn_slurm_record_path(const char *slurm_dir, const char *phase, unsigned index,
                           const char *what)
{
    wn_buf b = WN_BUF_INIT;
    wn_buf_appendf(&b, "%s/status/%s/%u.%s", slurm_dir, phase, index, what);
    return wn_buf_detach(&b, NULL);
}

char *wn_slurm_array_spec(const unsigned *v, size_t n)
{
    wn_buf b = WN_BUF_INIT;
    for (size_t i = 0; i < n;) {
        size_t j = i;
        while (j + 1 < n && v[j + 1] == v[j] + 1) j++;
        if (b.len) wn_buf_appendc(&b, ',');
        if (j == i) wn_buf_appendf(&b, "%u", v[i]);
        else wn_buf_appendf(&b, "%u-%u", v[i], v[j]);
        i = j + 1;
    }
    return wn_buf_detach(&b, NULL);
}
