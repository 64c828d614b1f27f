/*
 * census.c: the census of a ward (one row per occupied bed: room, bed, name in kanji and kana
 * with the ID, age and sex, admitted, attending doctor, allergy status, diet, next of kin with
 * phones), the hospital-wide list of inpatients' next of kin, and the box of people to call
 * on the first page of every pack. Cells wrap; rows flow onto the next page with the table
 * header repeated.
 */
#include "print_int.h"

#include <string.h>

const char *pr_sex_text(const char *sex)
{
    if (!sex)
        return "-";
    switch (sex[0]) {
    case 'M':
        return "男";
    case 'F':
        return "女";
    case 'O':
        return "その他";
    default:
        return "不明";
    }
}

static void put(struct pr_text *t, const char *s)
{
    pr_puts(t, s && *s ? s : "-");
}

void pr_kin_text(const struct cv_patient *p, struct pr_text *b)
{
    if (!p->ncontacts)
        pr_puts(b, "登録なし");
    for (size_t i = 0; i < p->ncontacts; i++) {
        const struct cv_contact *c = &p->contacts[i];

        if (i)
            pr_puts(b, "\n");
        put(b, c->name);
        if (c->relationship && *c->relationship)
            pr_printf(b, "（%s）", c->relationship);
        for (size_t k = 0; k < c->nphones; k++)
            pr_printf(b, "%s%s", k ? ", " : " ☎ ", c->phones[k]);
        if (!c->nphones)
            pr_puts(b, " 電話番号なし");
    }
}

void pr_diet_text(const struct cv_patient *p, struct pr_text *b)
{
    if (!p->ndiet) {
        pr_puts(b, "-");
        return;
    }
    put(b, p->diet[0].text);
    if (p->diet[0].start)
        pr_printf(b, "（%s〜）", p->diet[0].start);
}

void pr_allergy_text(const struct cv_patient *p, struct pr_text *b)
{
    if (!p->allergies_recorded || !p->nallergies) {
        pr_puts(b, "未確認");
        return;
    }
    pr_puts(b, "あり: ");
    for (size_t i = 0; i < p->nallergies; i++)
        pr_printf(b, "%s%s", i ? "、" : "",
                  p->allergies[i].allergen ? p->allergies[i].allergen : "(名称なし)");
}

void pr_blood_text(const struct cv_patient *p, struct pr_text *b)
{
    if (!p->blood_type && !p->rh)
        pr_puts(b, "未登録");
    else if (!p->rh)
        pr_printf(b, "%s（Rh未登録）", p->blood_type);
    else
        pr_printf(b, "%s Rh%s", p->blood_type ? p->blood_type : "未登録", p->rh);
}

bool pr_unconfirmed(const struct cv_patient *p)
{
    return !p->demographics_source || strcmp(p->demographics_source, "ADT-00") != 0;
}

/* ---- tables ----------------------------------------------------------------------------- */

struct col {
    const char *head;
    double w;
};

#define CENSUS_COLS 9
static const struct col census_cols[CENSUS_COLS] = {
    {"病室", 30},       {"床", 22},     {"氏名 / カナ / ID", 112},
    {"年齢 性別", 36},  {"入院日", 50}, {"主治医", 60},
    {"アレルギー", 52}, {"食事", 70},   {"緊急連絡先", PR_BODY_W - 432},
};

/* One row of `n` texts under the columns; texts are freed by the caller. */
static void table_row(struct pr_doc *d, const struct col *cols, size_t n, struct pr_text *text,
                      enum pr_font font, bool rule)
{
    struct pr_cell cells[CENSUS_COLS] = {0};
    double x = PR_MARGIN;

    for (size_t i = 0; i < n; i++) {
        cells[i].layout = pr_text_layout(d, font, &text[i], cols[i].w - 4);
        cells[i].x = x + 2;
        cells[i].w = cols[i].w - 4;
        x += cols[i].w;
    }
    pr_flow_row(d, cells, n, 2.0, rule, false, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        g_object_unref(cells[i].layout);
}

struct table {
    const struct col *cols;
    size_t n;
};

static void table_header(struct pr_doc *d, void *arg)
{
    const struct table *t = arg;
    struct pr_text text[CENSUS_COLS];
    size_t top = d->npages;

    for (size_t i = 0; i < t->n; i++) {
        pr_text_init(&text[i]);
        pr_puts(&text[i], t->cols[i].head);
    }
    table_row(d, t->cols, t->n, text, PR_F_BOLD, true);
    if (d->npages == top) /* the header's rule is thicker */
        pr_add_rect(d, PR_MARGIN, d->y, PR_BODY_W, 0, false, 1.0);
    for (size_t i = 0; i < t->n; i++)
        pr_text_free(&text[i]);
}

static void bufs_init(struct pr_text *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pr_text_init(&b[i]);
}

static void bufs_free(struct pr_text *b, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pr_text_free(&b[i]);
}

static void census_row(struct pr_doc *d, const struct pr_inpatient *ip)
{
    const struct cv_patient *p = ip->p;
    struct pr_text t[CENSUS_COLS];

    bufs_init(t, CENSUS_COLS);
    put(&t[0], ip->room);
    put(&t[1], ip->bed);
    pr_printf(&t[2], "%s %s\n%s %s\n%s", p->name.family ? p->name.family : "-",
              p->name.given ? p->name.given : "", p->kana.family ? p->kana.family : "",
              p->kana.given ? p->kana.given : "", p->id);
    if (pr_unconfirmed(p))
        pr_puts(&t[2], "\n" PR_UNCONFIRMED);
    if (ip->age >= 0)
        pr_printf(&t[3], "%d歳 ", ip->age);
    pr_puts(&t[3], pr_sex_text(p->sex));
    put(&t[4], p->location && p->location->admitted ? p->location->admitted : NULL);
    if (t[4].b.len > 10 && t[4].b.data[10] == 'T') /* the date is enough on paper */
        t[4].b.len = 10, t[4].b.data[10] = '\0';
    put(&t[5], p->attending);
    pr_allergy_text(p, &t[6]);
    pr_diet_text(p, &t[7]);
    pr_kin_text(p, &t[8]);
    table_row(d, census_cols, CENSUS_COLS, t, PR_F_BODY, true);
    bufs_free(t, CENSUS_COLS);
}

void pr_census(struct pr_doc *d, const struct pr_job *job, const struct pr_ward *w, bool contacts)
{
    static struct table t = {census_cols, CENSUS_COLS};
    char *title = g_strdup_printf("病棟 %s 入院患者一覧 census", w->name);
    char *line = g_strdup_printf("病棟 %s: 入院 %zu 名 / %lld 床", w->name, w->n, w->beds);

    pr_doc_new_page(d, title, NULL);
    if (contacts)
        pr_contacts_box(d, job);
    pr_doc_set_frame(d, title, NULL, table_header, &t);
    pr_flow_text(d, PR_F_HEAD, line, 0, 0);
    pr_doc_gap(d, 3);
    table_header(d, &t);
    for (size_t i = 0; i < w->n && !d->err; i++)
        census_row(d, &w->v[i]);
    if (!w->n)
        pr_flow_text(d, PR_F_BODY, "入院患者なし", 0, 0);
    pr_doc_set_frame(d, NULL, NULL, NULL, NULL);
    g_free(title);
    g_free(line);
}

/* ---- next of kin of every inpatient (hospital-wide pack) -------------------------------- */

#define KIN_COLS 4
static const struct col kin_cols[KIN_COLS] = {
    {"病棟 病室-床", 70},
    {"患者 / ID", 130},
    {"緊急連絡先（続柄） 電話", PR_BODY_W - 320},
    {"患者本人の電話", 120},
};

void pr_kin_list(struct pr_doc *d, const struct pr_job *job, const struct pr_ward *w)
{
    static struct table t = {kin_cols, KIN_COLS};
    const char *title = "緊急連絡先一覧 next-of-kin contacts of inpatients";
    (void)job;

    pr_doc_set_frame(d, title, NULL, table_header, &t);
    pr_doc_need(d, 40);
    table_header(d, &t);
    for (size_t i = 0; i < w->n && !d->err; i++) {
        const struct pr_inpatient *ip = &w->v[i];
        const struct cv_patient *p = ip->p;
        struct pr_text b[KIN_COLS];

        bufs_init(b, KIN_COLS);
        pr_printf(&b[0], "%s %s-%s", w->name, ip->room, ip->bed);
        pr_printf(&b[1], "%s %s\n%s", p->name.family ? p->name.family : "-",
                  p->name.given ? p->name.given : "", p->id);
        pr_kin_text(p, &b[2]);
        for (size_t k = 0; k < p->nphones; k++)
            pr_printf(&b[3], "%s%s", k ? "\n" : "", p->phones[k]);
        if (!p->nphones)
            pr_puts(&b[3], "-");
        table_row(d, kin_cols, KIN_COLS, b, PR_F_BODY, true);
        bufs_free(b, KIN_COLS);
    }
    pr_doc_set_frame(d, NULL, NULL, NULL, NULL);
}

/* ---- people to call (the `[contacts]` of the configuration) ---------------------------- */

void pr_contacts_box(struct pr_doc *d, const struct pr_job *job)
{
    const struct cv_print_options *o = job->opt;
    struct pr_text b;
    PangoLayout *l;
    struct pr_cell c;

    pr_text_init(&b);
    pr_puts(&b, "連絡先 contacts: ");
    if (!o->ncontacts)
        pr_puts(&b, "設定されていません ([contacts] of the configuration)");
    for (size_t i = 0; i < o->ncontacts; i++) {
        const struct cv_print_contact *k = &o->contacts[i];

        pr_printf(&b, "\n%s%s%s  ☎ %s%s%s", k->role ? k->role : "", k->role ? ": " : "",
                  k->name ? k->name : "-", k->phone ? k->phone : "-", k->mail ? "  " : "",
                  k->mail ? k->mail : "");
    }
    l = pr_text_layout(d, PR_F_BODY, &b, PR_BODY_W - 8);
    c = (struct pr_cell){l, PR_MARGIN + 4, PR_BODY_W - 8};
    pr_flow_row(d, &c, 1, 3.0, false, true, NULL, NULL);
    pr_doc_gap(d, 6);
    g_object_unref(l);
    pr_text_free(&b);
}
