/* plan.c: token-budget planning - epochs per source, caps, redistribution, warnings; see
 * mix.h for the rules. Works on token counts only, so a 15T plan costs nothing. */
#include "mix/mix.h"
#include "core/buf.h"
#include "core/log.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* "15.00T", "2.50B", "40.0M" - decimal units, as token counts are spoken. */
static void human(char *out, size_t n, double x)
{
    static const char units[] = " KMBT";
    int u = 0;
    while (x >= 1000 && u < 4) {
        x /= 1000;
        u++;
    }
    if (u == 0)
        snprintf(out, n, "%.0f", x);
    else
        snprintf(out, n, "%.2f%c", x, units[u]);
}

static double epoch_limit(const wn_mix_source *s)
{
    return s->max_epochs > 0 ? s->max_epochs : 1.0;
}

/* Report a plan problem at a line of the config (or plainly without a document), naming
 * source i's key path, or the budget when i is -1. */
static void plan_error(wn_ydoc *d, const char *path, unsigned line, const wn_mix_spec *s,
                       long i, const char *fmt, const char *a, const char *b, const char *c2)
{
    char msg[512], where[160];
    snprintf(msg, sizeof msg, fmt, a, b, c2);
    const char *dot = s->where && *s->where ? "." : "";
    if (i >= 0)
        snprintf(where, sizeof where, "%s%ssources[%ld]", s->where ? s->where : "", dot, i);
    else
        snprintf(where, sizeof where, "%s%sbudget", s->where ? s->where : "", dot);
    if (d) {
        wn_ynode at = {.line = line ? line : 1, .col = 1};
        wn_y_error(d, &at, where, NULL, "%s", msg);
    } else {
        wn_error("'%s':%u: %s: %s", path, line, where, msg);
    }
}

/* No budget: the largest one at exact weights with every source inside its epoch limit. */
static uint64_t natural_budget(const wn_mix_spec *s)
{
    double best = INFINITY;
    for (size_t i = 0; i < s->n_sources; i++) {
        const wn_mix_source *src = &s->sources[i];
        if (src->weight > 0)
            best = fmin(best, (double)src->tokens * epoch_limit(src) / src->weight);
    }
    return isfinite(best) ? (uint64_t)floor(best) : 0;
}

int wn_mix_plan_compute(const wn_mix_spec *s, wn_ydoc *d, const char *config_path,
                        wn_mix_plan *plan)
{
    memset(plan, 0, sizeof *plan);
    /* Without a budget, one weighted source with no tokens (all its documents filtered
     * out, an empty tokenize output) made the largest mix 0 tokens: an empty mix, exit 0. */
    for (size_t i = 0; !s->budget && i < s->n_sources; i++) {
        const wn_mix_source *src = &s->sources[i];
        if (src->weight > 0 && src->tokens == 0) {
            char w[32];
            snprintf(w, sizeof w, "%g", src->weight);
            plan_error(d, config_path, src->line, s, (long)i,
                       "source '%s' has no tokens but weight %s: the mix would be empty; give "
                       "it weight 0 or leave it out%s", src->name, w, "");
            return -1;
        }
    }
    plan->n_rows = s->n_sources;
    plan->rows = wn_xcalloc(s->n_sources ? s->n_sources : 1, sizeof *plan->rows);
    plan->budget = s->budget ? s->budget : natural_budget(s);
    double *want = wn_xcalloc(s->n_sources + 1, sizeof *want);
    bool *capped = wn_xcalloc(s->n_sources + 1, sizeof *capped);
    for (size_t i = 0; i < s->n_sources; i++)
        want[i] = s->sources[i].weight * (double)plan->budget;

    /* Cap sources over their limit and hand the shortfall to the others, until stable. */
    int rc = 0;
    for (;;) {
        double deficit = 0, free_weight = 0;
        for (size_t i = 0; i < s->n_sources; i++) {
            const wn_mix_source *src = &s->sources[i];
            double limit = epoch_limit(src) * (double)src->tokens;
            if (capped[i] || want[i] <= limit * (1 + 1e-12))
                continue;
            char need[32], have[32], ep[32];
            human(need, sizeof need, want[i]);
            human(have, sizeof have, (double)src->tokens);
            snprintf(ep, sizeof ep, "%.3g", src->tokens ? want[i] / (double)src->tokens : INFINITY);
            if (src->max_epochs <= 0) {
                plan_error(d, config_path, src->line, s, (long)i,
                           "source '%s' would need %s epochs of its data (%s tokens); set its "
                           "max_epochs or lower the budget", src->name, ep, have);
                rc = -1;
            }
            capped[i] = true;
            deficit += want[i] - limit;
            want[i] = limit;
        }
        if (rc != 0 || deficit == 0)
            break;
        for (size_t i = 0; i < s->n_sources; i++)
            if (!capped[i])
                free_weight += s->sources[i].weight;
        if (free_weight <= 0) {
            char b[32], max[32];
            double total = 0;
            for (size_t i = 0; i < s->n_sources; i++)
                total += want[i];
            human(b, sizeof b, (double)plan->budget);
            human(max, sizeof max, total);
            plan_error(d, config_path, s->budget_line, s, -1,
                       "budget %s is more than the data allows within the epoch limits (at "
                       "most %s tokens)%s", b, max, "");
            rc = -1;
            break;
        }
        for (size_t i = 0; i < s->n_sources; i++)
            if (!capped[i])
                want[i] += deficit * s->sources[i].weight / free_weight;
    }

    for (size_t i = 0; rc == 0 && i < s->n_sources; i++) {
        const wn_mix_source *src = &s->sources[i];
        wn_mix_plan_row *r = &plan->rows[i];
        r->tokens_taken = (uint64_t)llround(want[i]);
        r->epochs = src->tokens ? (double)r->tokens_taken / (double)src->tokens : 0;
        r->share = plan->budget ? (double)r->tokens_taken / (double)plan->budget : 0;
        r->capped = capped[i];
        if (capped[i]) {
            wn_warn("%s mix: source '%s' is capped at %.3g epochs: share %.2f%% instead of "
                    "the target %.2f%%", s->label, src->name, r->epochs, 100 * r->share,
                    100 * src->weight);
            plan->warnings++;
        }
        if (src->min_share > 0 && r->share + 1e-9 < src->min_share) {
            wn_warn("%s mix: source '%s' gets %.2f%%, below its min_share %.2f%%", s->label,
                    src->name, 100 * r->share, 100 * src->min_share);
            plan->warnings++;
        }
    }
    free(want);
    free(capped);
    return rc;
}

void wn_mix_plan_release(wn_mix_plan *plan)
{
    free(plan->rows);
    memset(plan, 0, sizeof *plan);
}

void wn_mix_plan_print(const wn_mix_spec *s, const wn_mix_plan *plan, FILE *f)
{
    char b[32];
    human(b, sizeof b, (double)plan->budget);
    fprintf(f, "%s mix: budget %s tokens%s, %zu sources\n", s->label, b,
            s->budget ? "" : " (largest within the epoch limits)", s->n_sources);
    fprintf(f, "  %-16s %10s %8s %10s %10s %8s %8s  %s\n", "source", "tokens", "weight",
            "epochs", "taken", "share", "target", "note");
    for (size_t i = 0; i < s->n_sources; i++) {
        const wn_mix_source *src = &s->sources[i];
        const wn_mix_plan_row *r = &plan->rows[i];
        char t[32], tk[32];
        human(t, sizeof t, (double)src->tokens);
        human(tk, sizeof tk, (double)r->tokens_taken);
        const char *note = r->capped ? "capped at max_epochs"
                         : r->epochs < 1 ? "sampled" : r->epochs > 1 ? "upsampled" : "";
        fprintf(f, "  %-16s %10s %8.4f %10.4g %10s %7.2f%% %7.2f%%  %s%s\n", src->name, t,
                src->weight, r->epochs, tk, 100 * r->share, 100 * src->weight, note,
                src->min_share > 0 && r->share + 1e-9 < src->min_share ? " below min_share" : "");
    }
}

json_t *wn_mix_plan_to_json(const wn_mix_spec *s, const wn_mix_plan *plan)
{
    json_t *sources = json_array();
    for (size_t i = 0; i < s->n_sources; i++) {
        const wn_mix_plan_row *r = &plan->rows[i];
        json_array_append_new(sources, json_pack("{s:s, s:I, s:f, s:f, s:I, s:f, s:b}",
            "name", s->sources[i].name, "tokens", (json_int_t)s->sources[i].tokens,
            "weight", s->sources[i].weight, "epochs", r->epochs,
            "tokens_taken", (json_int_t)r->tokens_taken, "share", r->share,
            "capped", r->capped));
    }
    return json_pack("{s:s, s:I, s:o}", "label", s->label, "budget", (json_int_t)plan->budget,
                     "sources", sources);
}
