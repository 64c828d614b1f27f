/*
 * ward_data.c: what one ward's pack prints, read once: the census rows (room, bed, age) and
 * each inpatient's full summary (next of kin, allergies, medications current, recently ended
 * and starting soon within the pack's recent days...) as of the pack's date.
 * A patient whose summary cannot be read fails the pack: a pack that silently lacks a patient
 * would be worse than none.
 */
#include "print_int.h"

#include <string.h>

struct load {
    struct pr_ward *w;
    enum cv_err err;
};

static void add_row(const struct cv_census_row *row, void *arg)
{
    struct load *ld = arg;
    struct pr_ward *w = ld->w;
    struct pr_inpatient *ip, *v;

    if (ld->err)
        return;
    if (w->n >= PR_MAX_PATIENTS) {
        ld->err = cv_fail(CV_ETOOBIG, "more than %d inpatients in one ward", PR_MAX_PATIENTS);
        return;
    }
    v = cv_reallocarray(w->v, w->n + 1, sizeof(*v));
    if (!v) {
        ld->err = cv_fail(CV_ENOMEM, "out of memory");
        return;
    }
    w->v = v;
    ip = &w->v[w->n++];
    memset(ip, 0, sizeof(*ip));
    ip->room = cv_strdup(row->room ? row->room : "-");
    ip->bed = cv_strdup(row->bed ? row->bed : "-");
    ip->id = cv_strdup(row->id);
    ip->age = row->age;
    if (!ip->room || !ip->bed || !ip->id)
        ld->err = cv_fail(CV_ENOMEM, "out of memory");
}

static void count_beds(const struct cv_ward *cw, void *arg)
{
    struct pr_ward *w = arg;

    if (strcmp(cw->ward, w->name) == 0)
        w->beds = cw->beds;
}

enum cv_err pr_ward_load(struct cv_index *idx, const char *ward, const char *as_of, int recent_days,
                         struct pr_ward *w)
{
    struct load ld = {w, CV_OK};
    enum cv_err err;

    memset(w, 0, sizeof(*w));
    w->name = cv_strdup(ward);
    if (!w->name)
        return cv_fail(CV_ENOMEM, "out of memory");
    err = cv_index_wards(idx, count_beds, w);
    if (!err)
        err = cv_index_census(idx, ward, as_of, add_row, &ld);
    if (!err)
        err = ld.err;
    for (size_t i = 0; !err && i < w->n; i++) {
        err = cv_index_patient_recent(idx, w->v[i].id, as_of, recent_days, &w->v[i].p);
        if (err) /* the index's message may name the patient: not for logs */
            err = cv_fail(err, "ward %s: cannot read the summary of inpatient %zu of %zu (%s)",
                          ward, i + 1, w->n, cv_strerror(err));
    }
    if (err)
        pr_ward_free(w);
    return err;
}

void pr_ward_free(struct pr_ward *w)
{
    for (size_t i = 0; i < w->n; i++) {
        cv_free(w->v[i].room);
        cv_free(w->v[i].bed);
        cv_free(w->v[i].id);
        cv_patient_free(w->v[i].p);
    }
    cv_free(w->v);
    cv_free(w->name);
    memset(w, 0, sizeof(*w));
}
