/*
 * index_write.c: applies work items to the database with prepared statements: new and changed
 * files with their extracted rows, renames (same content, new name and flag: no re-parse),
 * touched files (new mtime only), vanished files, folder signatures, and the beds seen in ADT
 * messages. It remembers which patients it touched, for the derive step.
 */
#include "index_internal.h"

#include <stdio.h>
#include <string.h>

enum {
    W_DIR_PUT,
    W_DIR_DEL,
    W_DIR_FILES_DEL,
    W_FILE_PUT,
    W_FILE_RENAME,
    W_FILE_TOUCH,
    W_FILE_DEL,
    W_DEMO,
    W_CONTACT,
    W_ALLERGY,
    W_DIAG,
    W_ADT,
    W_MED,
    W_LAB,
    W_DIET,
    W_REPORT,
    W_BED,
    W_ORDER,
    W_COMPONENT,
    W_FLAG_FIRST, /* flag updates on a rename, one per table that carries the flag */
    W_DEL_FIRST = W_FLAG_FIRST + 5, /* deletes of content rows by file id, one per content table */
    W_COUNT = W_DEL_FIRST + 11
};

static const char *const sql[W_FLAG_FIRST] = {
    [W_DIR_PUT] = "INSERT OR REPLACE INTO dirs(id, path, sig) VALUES(?1, ?2, ?3)",
    [W_DIR_DEL] = "DELETE FROM dirs WHERE id = ?1",
    [W_DIR_FILES_DEL] = "DELETE FROM files WHERE dir_id = ?1",
    [W_FILE_PUT] = "INSERT OR REPLACE INTO files(id, dir_id, name, size, mtime_ns, hash,"
                   " patient_id, care_date, data_type, order_no, event_time, dept, flag, state,"
                   " reason, warnings, event, pid3, msg_time, pid_family, pid_given,"
                   " pid_kana_family, pid_kana_given, pid_birth, pid_sex) VALUES(?1, ?2, ?3, ?4,"
                   " ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20,"
                   " ?21, ?22, ?23, ?24, ?25)",
    [W_FILE_RENAME] = "UPDATE files SET name = ?2, order_no = ?3, event_time = ?4, dept = ?5,"
                      " flag = ?6, state = ?7, size = ?8, mtime_ns = ?9 WHERE id = ?1",
    [W_FILE_TOUCH] = "UPDATE files SET size = ?2, mtime_ns = ?3 WHERE id = ?1",
    [W_FILE_DEL] = "DELETE FROM files WHERE id = ?1",
    [W_DEMO] = "INSERT OR REPLACE INTO demographics VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
               " ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    [W_CONTACT] = "INSERT OR REPLACE INTO contacts VALUES(?1, ?2, ?3, ?4, ?5)",
    [W_ALLERGY] = "INSERT OR REPLACE INTO allergy_rows VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                  " ?9, ?10, ?11)",
    [W_DIAG] = "INSERT OR REPLACE INTO diagnosis_rows VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
               " ?9, ?10, ?11, ?12, ?13)",
    [W_ADT] = "INSERT OR REPLACE INTO adt_events VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
              " ?10, ?11, ?12, ?13, ?14, ?15, ?16)",
    [W_MED] = "INSERT OR REPLACE INTO medications VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
              " ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20)",
    [W_LAB] = "INSERT OR REPLACE INTO lab_results VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9,"
              " ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18)",
    [W_DIET] = "INSERT OR REPLACE INTO diets VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    [W_REPORT] = "INSERT OR REPLACE INTO reports VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    [W_BED] = "INSERT OR IGNORE INTO beds(ward, room, bed) VALUES(?1, ?2, ?3)",
    [W_ORDER] = "INSERT OR REPLACE INTO orders VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    [W_COMPONENT] = "INSERT OR REPLACE INTO med_components VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8,"
                    " ?9)",
};

static const char *const flagged_tables[W_DEL_FIRST - W_FLAG_FIRST] = {
    "medications", "lab_results", "diets", "reports", "orders",
};

/* The first W_DEL_BY_PATIENT are keyed by file id; the rest by (patient_id, file_id, seq),
 * found without an index of their own: the rows' patient is the file's folder's. */
enum { W_DEL_BY_PATIENT = 5 };
static const char *const content_tables[W_COUNT - W_DEL_FIRST] = {
    "demographics", "contacts", "allergy_rows", "diagnosis_rows", "adt_events",     "medications",
    "lab_results",  "diets",    "reports",      "orders",         "med_components",
};

/* A set of patient IDs (open addressing). */
struct strset {
    char **slots;
    size_t cap, n;
};

struct writer {
    sqlite3 *db;
    sqlite3_stmt *st[W_COUNT];
    struct strset touched;
};

static enum cv_err strset_add(struct strset *set, const char *s)
{
    size_t i;

    if (set->n * 2 >= set->cap) {
        struct strset grown = {cv_calloc(set->cap ? set->cap * 2 : 256, sizeof(char *)),
                               set->cap ? set->cap * 2 : 256, 0};

        if (!grown.slots)
            return cv_fail(CV_ENOMEM, "out of memory");
        for (size_t k = 0; k < set->cap; k++) {
            if (!set->slots[k])
                continue;
            for (i = cv_fnv1a_str(set->slots[k]) & (grown.cap - 1); grown.slots[i];
                 i = (i + 1) & (grown.cap - 1))
                ;
            grown.slots[i] = set->slots[k];
            grown.n++;
        }
        cv_free(set->slots);
        *set = grown;
    }
    for (i = cv_fnv1a_str(s) & (set->cap - 1); set->slots[i]; i = (i + 1) & (set->cap - 1))
        if (strcmp(set->slots[i], s) == 0)
            return CV_OK;
    if (!(set->slots[i] = cv_strdup(s)))
        return cv_fail(CV_ENOMEM, "out of memory");
    set->n++;
    return CV_OK;
}

enum cv_err writer_new(sqlite3 *db, struct writer **out)
{
    struct writer *w = cv_calloc(1, sizeof(*w));
    char del[128];

    *out = NULL;
    if (!w)
        return cv_fail(CV_ENOMEM, "out of memory");
    w->db = db;
    for (int i = 0; i < W_COUNT; i++) {
        const char *q = i < W_FLAG_FIRST ? sql[i] : del;

        if (i >= W_DEL_FIRST + W_DEL_BY_PATIENT) /* keyed (patient_id, file_id, seq) */
            snprintf(del, sizeof(del), "DELETE FROM %s WHERE patient_id = ?2 AND file_id = ?1",
                     content_tables[i - W_DEL_FIRST]);
        else if (i >= W_DEL_FIRST)
            snprintf(del, sizeof(del), "DELETE FROM %s WHERE file_id = ?1",
                     content_tables[i - W_DEL_FIRST]);
        else if (i >= W_FLAG_FIRST)
            snprintf(del, sizeof(del),
                     "UPDATE %s SET flag = ?2 WHERE patient_id = ?3 AND file_id = ?1",
                     flagged_tables[i - W_FLAG_FIRST]);
        if (sqlite3_prepare_v3(db, q, -1, SQLITE_PREPARE_PERSISTENT, &w->st[i], NULL) !=
            SQLITE_OK) {
            enum cv_err err = index_db_error(db, "prepare");

            writer_free(w);
            return err;
        }
    }
    *out = w;
    return CV_OK;
}

void writer_free(struct writer *w)
{
    if (!w)
        return;
    for (int i = 0; i < W_COUNT; i++)
        sqlite3_finalize(w->st[i]);
    for (size_t i = 0; i < w->touched.cap; i++)
        cv_free(w->touched.slots[i]);
    cv_free(w->touched.slots);
    cv_free(w);
}

char **writer_take_touched(struct writer *w, size_t *n)
{
    char **v = cv_calloc(w->touched.n + 1, sizeof(char *));
    size_t k = 0;

    if (!v) {
        *n = 0;
        return NULL;
    }
    for (size_t i = 0; i < w->touched.cap; i++)
        if (w->touched.slots[i])
            v[k++] = w->touched.slots[i];
    cv_free(w->touched.slots);
    memset(&w->touched, 0, sizeof(w->touched));
    *n = k;
    return v;
}

void index_free_strings(char **v, size_t n)
{
    for (size_t i = 0; v && i < n; i++)
        cv_free(v[i]);
    cv_free(v);
}

/* Bind helpers: NULL strings become SQL NULL. */
static void bt(sqlite3_stmt *st, int i, const char *s)
{
    if (s)
        sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
    else
        sqlite3_bind_null(st, i);
}

static void bd(sqlite3_stmt *st, int i, double v)
{
    if (v >= 0)
        sqlite3_bind_double(st, i, v);
    else
        sqlite3_bind_null(st, i);
}

static enum cv_err run(struct writer *w, sqlite3_stmt *st)
{
    int rc = sqlite3_step(st);

    sqlite3_reset(st);
    sqlite3_clear_bindings(st);
    return rc == SQLITE_DONE ? CV_OK : index_db_error(w->db, "write");
}

static const char *state_name(int state)
{
    switch (state) {
    case FS_CURRENT:
        return "current";
    case FS_SUPERSEDED:
        return "superseded";
    case FS_DELETED:
        return "deleted";
    default:
        return "rejected";
    }
}

static const char *nonempty(const char *s)
{
    return s && *s ? s : NULL;
}

static enum cv_err put_file(struct writer *w, const struct item *it)
{
    sqlite3_stmt *st = w->st[W_FILE_PUT];
    const struct cv_ssmix2_name *n = &it->path.name;
    bool named = n->flag >= 0;

    sqlite3_bind_int64(st, 1, it->file_id);
    sqlite3_bind_int64(st, 2, it->dir_id);
    bt(st, 3, it->name);
    sqlite3_bind_int64(st, 4, it->size);
    sqlite3_bind_int64(st, 5, it->mtime_ns);
    if (it->have_hash)
        sqlite3_bind_blob(st, 6, it->hash, INDEX_HASH_LEN, SQLITE_STATIC);
    bt(st, 7, nonempty(it->path.folder_id));
    bt(st, 8, nonempty(it->path.folder_date));
    bt(st, 9, nonempty(it->path.folder_type));
    bt(st, 10, named ? n->order_no : NULL);
    bt(st, 11, named ? n->event_time : NULL);
    bt(st, 12, named ? n->dept : NULL);
    if (named)
        sqlite3_bind_int(st, 13, n->flag);
    bt(st, 14, state_name(it->state));
    bt(st, 15, it->state == FS_REJECTED ? it->reason : NULL);
    bt(st, 16, it->warnings);
    bt(st, 17, nonempty(it->event));
    bt(st, 18, it->pid3 && strcmp(it->pid3, it->path.folder_id) != 0 ? it->pid3 : NULL);
    bt(st, 19, it->msg_time);
    if (it->rows.pid) { /* who the message says it is about, for a patient without ADT-00 */
        const struct x_demo *d = it->rows.pid;
        const char *v[] = {d->family,     d->given,      d->kana_family,
                           d->kana_given, d->birth_date, d->sex};

        for (int k = 0; k < 6; k++)
            bt(st, 20 + k, v[k]);
    }
    return run(w, st);
}

static enum cv_err put_demo(struct writer *w, const struct item *it, const struct x_demo *d)
{
    sqlite3_stmt *st = w->st[W_DEMO];

    sqlite3_bind_int64(st, 1, it->file_id);
    bt(st, 2, it->path.folder_id);
    bt(st, 3, d->family);
    bt(st, 4, d->given);
    bt(st, 5, d->kana_family);
    bt(st, 6, d->kana_given);
    bt(st, 7, d->birth_date);
    bt(st, 8, d->sex);
    bt(st, 9, d->blood_type);
    bt(st, 10, d->rh);
    bd(st, 11, d->height_cm);
    bd(st, 12, d->weight_kg);
    bt(st, 13, d->postcode);
    bt(st, 14, d->address);
    bt(st, 15, d->phones);
    bt(st, 16, d->updated);
    return run(w, st);
}

static enum cv_err put_adt(struct writer *w, const struct item *it, const struct x_adt *x)
{
    sqlite3_stmt *st = w->st[W_ADT];
    const char *v[] = {x->kind,      x->event,    NULL,          x->clinical_time, x->patient_class,
                       x->ward,      x->room,     x->bed,        x->prior_ward,    x->prior_room,
                       x->prior_bed, x->admitted, x->discharged, x->attending};
    enum cv_err err;

    sqlite3_bind_int64(st, 1, it->file_id);
    bt(st, 2, it->path.folder_id);
    for (int i = 0; i < (int)CV_ARRAY_LEN(v); i++)
        bt(st, 3 + i, v[i]);
    sqlite3_bind_int(st, 5, x->cancel);
    err = run(w, st);
    for (int k = 0; !err && k < 2; k++) {
        const char *ward = k ? x->prior_ward : x->ward, *room = k ? x->prior_room : x->room;
        const char *bed = k ? x->prior_bed : x->bed;

        if (!ward || !room || !bed || (x->patient_class && strcmp(x->patient_class, "I") != 0))
            continue;
        bt(w->st[W_BED], 1, ward);
        bt(w->st[W_BED], 2, room);
        bt(w->st[W_BED], 3, bed);
        err = run(w, w->st[W_BED]);
    }
    return err;
}

/* One row of a content table: file id, seq, patient, `n` strings, and for the tables read
 * by patient without a join, the file's condition flag (kept equal to files.flag). */
static enum cv_err put_row(struct writer *w, int which, const struct item *it, size_t seq,
                           const char *const *v, size_t n, bool with_patient, bool with_flag)
{
    sqlite3_stmt *st = w->st[which];
    int col = 3;

    sqlite3_bind_int64(st, 1, it->file_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
    if (with_patient)
        bt(st, col++, it->path.folder_id);
    for (size_t i = 0; i < n; i++)
        bt(st, col++, v[i]);
    if (with_flag)
        sqlite3_bind_int(st, col++, it->path.name.flag);
    if (which == W_DIET || which == W_REPORT) /* ties go to the newer file */
        bt(st, col, it->path.name.event_time);
    return run(w, st);
}

static enum cv_err put_lab(struct writer *w, const struct item *it, size_t seq,
                           const struct x_lab *l)
{
    sqlite3_stmt *st = w->st[W_LAB];
    const char *v[] = {l->code, l->name, l->value, l->unit, l->range, l->flag, l->time, l->status};

    sqlite3_bind_int64(st, 1, it->file_id);
    sqlite3_bind_int64(st, 2, (sqlite3_int64)seq);
    bt(st, 3, it->path.folder_id);
    for (int k = 0; k < 8; k++)
        bt(st, 4 + k, v[k]);
    sqlite3_bind_int(st, 12, it->path.name.flag);
    bt(st, 13, it->path.name.event_time); /* ties go to the newer file */
    bt(st, 14, l->sub_id);
    sqlite3_bind_int(st, 15, l->obr);
    bt(st, 16, l->test_code);
    bt(st, 17, l->test_name);
    bt(st, 18, l->specimen);
    return run(w, st);
}

static enum cv_err put_lists(struct writer *w, const struct item *it, const struct x_rows *r)
{
    enum cv_err err = CV_OK;

    for (size_t i = 0; !err && i < r->n_contacts; i++) {
        const struct x_contact *c = &r->contacts[i];
        const char *v[] = {c->name, c->relationship, c->phones};

        err = put_row(w, W_CONTACT, it, i, v, 3, false, false);
    }
    for (size_t i = 0; !err && i < r->n_allergies; i++) {
        const struct x_allergy *a = &r->allergies[i];
        const char *v[] = {a->source,   a->type,     a->code,   a->allergen,
                           a->severity, a->reaction, a->action, a->onset};

        err = put_row(w, W_ALLERGY, it, i, v, 8, true, false);
    }
    for (size_t i = 0; !err && i < r->n_diags; i++) {
        const struct x_diag *d = &r->diags[i];
        const char *v[] = {d->action,           d->name,    d->code,     d->icd10,        d->onset,
                           d->main ? "1" : "0", d->outcome, d->resolved, d->confirmation, d->start};

        err = put_row(w, W_DIAG, it, i, v, 10, true, false);
    }
    for (size_t i = 0; !err && i < r->n_labs; i++)
        err = put_lab(w, it, i, &r->labs[i]);
    for (size_t i = 0; !err && i < r->n_diets; i++) {
        const char *v[] = {r->diets[i].text, r->diets[i].start};

        err = put_row(w, W_DIET, it, i, v, 2, true, true);
    }
    for (size_t i = 0; !err && i < r->n_reports; i++) {
        const char *v[] = {r->reports[i].kind, r->reports[i].text, r->reports[i].time};

        err = put_row(w, W_REPORT, it, i, v, 3, true, true);
    }
    for (size_t i = 0; !err && i < r->n_orders; i++) {
        const struct x_order *o = &r->orders[i];
        const char *v[] = {o->kind, o->order_no, o->control, o->code, o->name, o->time};

        err = put_row(w, W_ORDER, it, i, v, 6, true, true);
    }
    return err;
}

static enum cv_err put_components(struct writer *w, const struct item *it, size_t seq,
                                  const struct x_med *m)
{
    enum cv_err err = CV_OK;

    for (size_t k = 0; !err && k < m->ncomponents; k++) {
        const struct x_component *c = &m->components[k];
        sqlite3_stmt *st = w->st[W_COMPONENT];
        const char *v[] = {c->type, c->code, c->name, c->amount, c->unit};

        bt(st, 1, it->path.folder_id);
        sqlite3_bind_int64(st, 2, it->file_id);
        sqlite3_bind_int64(st, 3, (sqlite3_int64)seq);
        sqlite3_bind_int64(st, 4, (sqlite3_int64)k);
        for (int i = 0; i < 5; i++)
            bt(st, 5 + i, v[i]);
        err = run(w, st);
    }
    return err;
}

static enum cv_err put_meds(struct writer *w, const struct item *it, const struct x_rows *r)
{
    enum cv_err err = CV_OK;

    for (size_t i = 0; !err && i < r->n_meds; i++) {
        const struct x_med *m = &r->meds[i];
        sqlite3_stmt *st = w->st[W_MED];
        const char *v[] = {m->kind, m->order_no, m->drug_code, m->drug, m->dose,
                           m->unit, m->usage,    m->start,     m->end};

        sqlite3_bind_int64(st, 1, it->file_id);
        sqlite3_bind_int64(st, 2, (sqlite3_int64)i);
        bt(st, 3, it->path.folder_id);
        for (int k = 0; k < 9; k++)
            bt(st, 4 + k, v[k]);
        if (m->days >= 0)
            sqlite3_bind_int(st, 13, m->days);
        bt(st, 14, m->route);
        bt(st, 15, m->instructions);
        bt(st, 16, m->rate);
        bt(st, 17, m->order_type);
        bt(st, 18, m->start_time);
        bt(st, 19, m->end_time);
        sqlite3_bind_int(st, 20, it->path.name.flag);
        err = run(w, st);
        if (!err)
            err = put_components(w, it, i, m);
    }
    return err;
}

static enum cv_err delete_content(struct writer *w, const struct item *it)
{
    enum cv_err err = CV_OK;

    for (int i = W_DEL_FIRST; !err && i < W_COUNT; i++) {
        sqlite3_bind_int64(w->st[i], 1, it->file_id);
        if (i >= W_DEL_FIRST + W_DEL_BY_PATIENT)
            bt(w->st[i], 2, it->path.folder_id);
        err = run(w, w->st[i]);
    }
    return err;
}

static enum cv_err put_content(struct writer *w, const struct item *it)
{
    const struct x_rows *r = &it->rows;
    enum cv_err err = put_file(w, it);

    if (!err && r->demo)
        err = put_demo(w, it, r->demo);
    if (!err && r->adt)
        err = put_adt(w, it, r->adt);
    if (!err)
        err = put_lists(w, it, r);
    if (!err)
        err = put_meds(w, it, r);
    return err;
}

static enum cv_err rename_file(struct writer *w, const struct item *it)
{
    sqlite3_stmt *st = w->st[W_FILE_RENAME];
    const struct cv_ssmix2_name *n = &it->path.name;
    enum cv_err err;

    sqlite3_bind_int64(st, 1, it->file_id);
    bt(st, 2, it->name);
    bt(st, 3, n->order_no);
    bt(st, 4, n->event_time);
    bt(st, 5, n->dept);
    sqlite3_bind_int(st, 6, n->flag);
    bt(st, 7, state_name(n->flag));
    sqlite3_bind_int64(st, 8, it->size);
    sqlite3_bind_int64(st, 9, it->mtime_ns);
    err = run(w, st);
    for (int i = W_FLAG_FIRST; !err && i < W_DEL_FIRST; i++) {
        sqlite3_bind_int64(w->st[i], 1, it->file_id);
        sqlite3_bind_int(w->st[i], 2, n->flag);
        bt(w->st[i], 3, it->path.folder_id);
        err = run(w, w->st[i]);
    }
    return err;
}

static enum cv_err apply_dir(struct writer *w, const struct item *it)
{
    sqlite3_stmt *st;

    if (it->kind == IT_DIR && it->dir_sig == INT64_MIN) { /* the folder vanished */
        st = w->st[W_DIR_DEL];
        sqlite3_bind_int64(st, 1, it->dir_id);
        return run(w, st);
    }
    st = w->st[W_DIR_PUT];
    sqlite3_bind_int64(st, 1, it->dir_id);
    bt(st, 2, it->dir);
    sqlite3_bind_int64(st, 3, it->dir_sig);
    return run(w, st);
}

enum cv_err writer_apply(struct writer *w, const struct item *it)
{
    enum cv_err err = CV_OK;
    sqlite3_stmt *st;

    if (it->kind != IT_DIR && it->kind != IT_TOUCHED && it->path.folder_id[0])
        err = strset_add(&w->touched, it->path.folder_id);
    if (err)
        return err;
    switch (it->kind) {
    case IT_DIR:
        return apply_dir(w, it);
    case IT_NEW:
        return put_content(w, it);
    case IT_CONTENT:
        err = delete_content(w, it);
        return err ? err : put_content(w, it);
    case IT_RENAMED:
        return rename_file(w, it);
    case IT_TOUCHED:
        st = w->st[W_FILE_TOUCH];
        sqlite3_bind_int64(st, 1, it->file_id);
        sqlite3_bind_int64(st, 2, it->size);
        sqlite3_bind_int64(st, 3, it->mtime_ns);
        return run(w, st);
    case IT_VANISHED:
        err = delete_content(w, it);
        if (err)
            return err;
        st = w->st[W_FILE_DEL];
        sqlite3_bind_int64(st, 1, it->file_id);
        return run(w, st);
    }
    return CV_OK;
}
