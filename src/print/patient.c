/*
 * patient.c: one patient's pages: the banner (name, kana, ID, birth date and age, sex, blood
 * type, bed, admitted, attending), the allergy box (never blank: "アレルギー: 未確認" when none
 * is recorded), then the sections of the table below, each a small table that flows across
 * pages with its header repeated. Adding a section is one row in `sections` and two small
 * functions (how many rows, and the texts of one row).
 */
#include "print/print_int.h"

#include <stdio.h>
#include <string.h>

#define COLS_MAX 6

struct col {
    const char *head;
    double w;
};

struct section {
    const char *title;
    const char *none; /* printed when there are no rows */
    struct col cols[COLS_MAX];
    size_t ncols;
    size_t (*count)(const struct pr_job *job, const struct cv_patient *p);
    /* the texts of row i, one per column */
    void (*row)(const struct pr_job *job, const struct cv_patient *p, size_t i,
                struct pr_text *cells);
};

static void put(struct pr_text *t, const char *s)
{
    pr_puts(t, s && *s ? s : "-");
}

/* "YYYY-MM-DDTHH:MM" as people write it: "YYYY-MM-DD HH:MM". */
static void put_time(struct pr_text *t, const char *s)
{
    const char *sep = s ? strchr(s, 'T') : NULL;

    if (sep && sep - s == 10)
        pr_printf(t, "%.10s %s", s, sep + 1);
    else
        put(t, s);
}

/* ---- next of kin ------------------------------------------------------------------------ */
static size_t kin_count(const struct pr_job *job, const struct cv_patient *p)
{
    (void)job;
    return p->ncontacts;
}

static void kin_row(const struct pr_job *job, const struct cv_patient *p, size_t i,
                    struct pr_text *c)
{
    const struct cv_contact *k = &p->contacts[i];
    (void)job;

    put(&c[0], k->name);
    put(&c[1], k->relationship);
    for (size_t n = 0; n < k->nphones; n++)
        pr_printf(&c[2], "%s%s", n ? "\n" : "", k->phones[n]);
    if (!k->nphones)
        pr_puts(&c[2], "電話番号なし");
}

/* ---- diagnoses -------------------------------------------------------------------------- */
static size_t dx_count(const struct pr_job *job, const struct cv_patient *p)
{
    (void)job;
    return p->ndiagnoses;
}

static void dx_row(const struct pr_job *job, const struct cv_patient *p, size_t i,
                   struct pr_text *c)
{
    const struct cv_diagnosis *x = &p->diagnoses[i];
    (void)job;

    put(&c[0], x->name);
    put(&c[1], x->icd10);
    put(&c[2], x->onset);
    pr_puts(&c[3], x->main ? "主病名" : "");
}

/* ---- medications and injections --------------------------------------------------------- */
static void med_cells(const struct cv_medication *m, struct pr_text *c)
{
    bool inj = m->kind && strcmp(m->kind, "injection") == 0;

    pr_puts(&c[0], inj ? "注射" : "処方");
    put(&c[1], m->drug);
    if (m->components && *m->components)
        pr_printf(&c[1], "\n%s", m->components);
    if (m->dose)
        pr_printf(&c[2], "%s%s%s", m->dose, m->unit ? " " : "", m->unit ? m->unit : "");
    else
        pr_puts(&c[2], "-");
    put(&c[3], m->usage);
    if (m->route && *m->route)
        pr_printf(&c[3], "\n%s", m->route);
    pr_printf(&c[4], "%s〜%s", m->start ? m->start : "?", m->end ? m->end : "");
    if (m->days >= 0)
        pr_printf(&c[4], "（%d日）", m->days);
}

static size_t med_count(const struct pr_job *job, const struct cv_patient *p)
{
    (void)job;
    return p->nmedications;
}

static void med_row(const struct pr_job *job, const struct cv_patient *p, size_t i,
                    struct pr_text *c)
{
    (void)job;
    med_cells(&p->medications[i], c);
}

/* Orders that ended before the pack's date, within recent_days of it. */
static bool recently_ended(const struct pr_job *job, const struct cv_medication *m)
{
    long end;
    long days = job->opt->recent_days > 0 ? job->opt->recent_days : 7;

    if (m->current || !m->end || cv_parse_date(m->end, &end) != CV_OK)
        return false;
    return end < job->today && end >= job->today - days;
}

static const struct cv_medication *ended_nth(const struct pr_job *job, const struct cv_patient *p,
                                             size_t nth)
{
    for (size_t i = 0; i < p->nmedication_history; i++)
        if (recently_ended(job, &p->medication_history[i]) && nth-- == 0)
            return &p->medication_history[i];
    return NULL;
}

static size_t ended_count(const struct pr_job *job, const struct cv_patient *p)
{
    size_t n = 0;

    for (size_t i = 0; i < p->nmedication_history; i++)
        n += recently_ended(job, &p->medication_history[i]);
    return n;
}

static void ended_row(const struct pr_job *job, const struct cv_patient *p, size_t i,
                      struct pr_text *c)
{
    const struct cv_medication *m = ended_nth(job, p, i);

    if (m)
        med_cells(m, c);
}

/* ---- labs, diet --------------------------------------------------------------------------- */
static size_t lab_count(const struct pr_job *job, const struct cv_patient *p)
{
    (void)job;
    return p->nlabs;
}

static void lab_row(const struct pr_job *job, const struct cv_patient *p, size_t i,
                    struct pr_text *c)
{
    const struct cv_lab *l = p->labs[i].n ? &p->labs[i].results[0] : NULL;
    (void)job;

    if (!l)
        return;
    put(&c[0], l->name ? l->name : l->code);
    pr_printf(&c[1], "%s%s%s", l->value ? l->value : "-", l->unit ? " " : "",
              l->unit ? l->unit : "");
    put(&c[2], l->flag);
    put(&c[3], l->range);
    put_time(&c[4], l->time);
}

static size_t diet_count(const struct pr_job *job, const struct cv_patient *p)
{
    (void)job;
    return p->ndiet ? 1 : 0;
}

static void diet_row(const struct pr_job *job, const struct cv_patient *p, size_t i,
                     struct pr_text *c)
{
    (void)job;
    put(&c[0], p->diet[i].text);
    put(&c[1], p->diet[i].start);
}

#define W PR_BODY_W
static const struct section sections[] = {
    {"緊急連絡先 next of kin",
     "登録なし",
     {{"氏名", 170}, {"続柄", 80}, {"電話", W - 250}},
     3,
     kin_count,
     kin_row},
    {"診断名 diagnoses",
     "登録なし",
     {{"病名", W - 200}, {"ICD-10", 60}, {"発症日", 80}, {"", 60}},
     4,
     dx_count,
     dx_row},
    {"投薬・注射（現在） current medications and injections",
     "なし",
     {{"区分", 32}, {"薬剤", W - 362}, {"用量", 80}, {"用法・経路", 120}, {"期間", 130}},
     5,
     med_count,
     med_row},
    {"最近終了した投薬・注射 recently ended",
     "なし",
     {{"区分", 32}, {"薬剤", W - 362}, {"用量", 80}, {"用法・経路", 120}, {"期間", 130}},
     5,
     ended_count,
     ended_row},
    {"検査（最新） latest labs",
     "なし",
     {{"検査", W - 330}, {"値", 110}, {"H/L", 30}, {"基準値", 90}, {"日時", 100}},
     5,
     lab_count,
     lab_row},
    {"食事 diet", "オーダーなし", {{"食事", W - 100}, {"開始", 100}}, 2, diet_count, diet_row},
};
#undef W

/* ---- drawing ------------------------------------------------------------------------------ */

static void cells_row(struct pr_doc *d, const struct col *cols, size_t n, struct pr_text *t,
                      enum pr_font font)
{
    struct pr_cell cells[COLS_MAX] = {0};
    double x = PR_MARGIN;

    for (size_t i = 0; i < n; i++) {
        cells[i].layout = pr_text_layout(d, font, &t[i], cols[i].w - 4);
        cells[i].x = x + 2;
        cells[i].w = cols[i].w - 4;
        x += cols[i].w;
    }
    pr_flow_row(d, cells, n, 1.5, true, false, NULL, NULL);
    for (size_t i = 0; i < n; i++)
        g_object_unref(cells[i].layout);
}

static void section_header(struct pr_doc *d, void *arg)
{
    const struct section *s = arg;
    struct pr_text t[COLS_MAX];

    for (size_t i = 0; i < s->ncols; i++) {
        pr_text_init(&t[i]);
        pr_puts(&t[i], s->cols[i].head);
    }
    cells_row(d, s->cols, s->ncols, t, PR_F_BOLD);
    for (size_t i = 0; i < s->ncols; i++)
        pr_text_free(&t[i]);
}

static void section(struct pr_doc *d, const struct pr_job *job, const struct cv_patient *p,
                    const struct section *s, const char *title, const char *footer)
{
    size_t n = s->count(job, p);

    pr_doc_gap(d, 6);
    pr_doc_need(d, 48); /* the heading stays with its first rows */
    pr_flow_text(d, PR_F_HEAD, s->title, 0, 0);
    if (!n) {
        pr_flow_text(d, PR_F_BODY, s->none, PR_MARGIN + 8, PR_BODY_W - 8);
        return;
    }
    pr_doc_set_frame(d, title, footer, section_header, (void *)s);
    section_header(d, (void *)s);
    for (size_t i = 0; i < n && !d->err; i++) {
        struct pr_text t[COLS_MAX];

        for (size_t k = 0; k < s->ncols; k++)
            pr_text_init(&t[k]);
        s->row(job, p, i, t);
        cells_row(d, s->cols, s->ncols, t, PR_F_BODY);
        for (size_t k = 0; k < s->ncols; k++)
            pr_text_free(&t[k]);
    }
    pr_doc_set_frame(d, title, footer, NULL, NULL);
}

static void banner(struct pr_doc *d, const struct pr_inpatient *ip)
{
    const struct cv_patient *p = ip->p;
    struct pr_text t;
    PangoLayout *name, *facts;
    struct pr_cell c[2];

    pr_text_init(&t);
    pr_printf(&t, "%s %s", p->name.family ? p->name.family : "-",
              p->name.given ? p->name.given : "");
    name = pr_text_layout(d, PR_F_TITLE, &t, PR_BODY_W - 8);
    pr_text_free(&t);
    pr_text_init(&t);
    pr_printf(&t, "%s %s\nID %s  生年月日 %s", p->kana.family ? p->kana.family : "",
              p->kana.given ? p->kana.given : "", p->id, p->birth_date ? p->birth_date : "不明");
    if (ip->age >= 0)
        pr_printf(&t, "（%d歳）", ip->age);
    pr_printf(&t, "  性別 %s  血液型 %s%s%s", pr_sex_text(p->sex),
              p->blood_type ? p->blood_type : "不明", p->rh ? " Rh" : "", p->rh ? p->rh : "");
    if (p->location)
        pr_printf(
            &t, "\n病棟 %s  病室 %s  床 %s  入院 %s  主治医 %s",
            p->location->ward ? p->location->ward : "-",
            p->location->room ? p->location->room : "-", p->location->bed ? p->location->bed : "-",
            p->location->admitted ? p->location->admitted : "-", p->attending ? p->attending : "-");
    if (p->height_cm > 0 || p->weight_kg > 0) {
        pr_puts(&t, "\n");
        if (p->height_cm > 0)
            pr_printf(&t, "身長 %.1f cm  ", p->height_cm);
        if (p->weight_kg > 0)
            pr_printf(&t, "体重 %.1f kg", p->weight_kg);
    }
    facts = pr_text_layout(d, PR_F_BODY, &t, PR_BODY_W - 8);
    pr_text_free(&t);
    c[0] = (struct pr_cell){name, PR_MARGIN + 4, PR_BODY_W - 8};
    pr_flow_row(d, c, 1, 2.0, false, false, NULL, NULL);
    c[1] = (struct pr_cell){facts, PR_MARGIN + 4, PR_BODY_W - 8};
    pr_flow_row(d, &c[1], 1, 1.0, true, false, NULL, NULL);
    g_object_unref(name);
    g_object_unref(facts);
}

/* The allergy box: heavy frame, never blank. */
static void allergy_box(struct pr_doc *d, const struct cv_patient *p)
{
    struct pr_text t;
    PangoLayout *l;
    struct pr_cell c;

    pr_text_init(&t);
    if (!p->allergies_recorded || !p->nallergies) {
        pr_puts(&t, "アレルギー: 未確認（記録なし。本人・家族に確認すること）");
    } else {
        pr_printf(&t, "アレルギー: あり（%zu件）", p->nallergies);
        for (size_t i = 0; i < p->nallergies; i++) {
            const struct cv_allergy *a = &p->allergies[i];

            pr_printf(&t, "\n・%s", a->allergen ? a->allergen : "(名称なし)");
            if (a->type)
                pr_printf(&t, "  種別 %s", a->type);
            if (a->severity)
                pr_printf(&t, "  重症度 %s", a->severity);
            if (a->reaction)
                pr_printf(&t, "  反応 %s", a->reaction);
        }
    }
    pr_doc_gap(d, 4);
    l = pr_text_layout(d, PR_F_HEAD, &t, PR_BODY_W - 12);
    c = (struct pr_cell){l, PR_MARGIN + 6, PR_BODY_W - 12};
    pr_flow_row(d, &c, 1, 4.0, false, true, NULL, NULL);
    g_object_unref(l);
    pr_text_free(&t);
}

void pr_patient_pages(struct pr_doc *d, const struct pr_job *job, const struct pr_ward *w,
                      const struct pr_inpatient *ip)
{
    const struct cv_patient *p = ip->p;
    char *title = g_strdup_printf("病棟 %s  %s-%s  患者情報 patient", w->name, ip->room, ip->bed);
    char *footer = g_strdup_printf("患者ID %s  %s %s", p->id, p->name.family ? p->name.family : "",
                                   p->name.given ? p->name.given : "");

    pr_doc_new_page(d, title, footer);
    pr_doc_set_frame(d, title, footer, NULL, NULL);
    banner(d, ip);
    allergy_box(d, p);
    for (size_t i = 0; i < CV_ARRAY_LEN(sections); i++)
        section(d, job, p, &sections[i], title, footer);
    pr_doc_set_frame(d, NULL, NULL, NULL, NULL);
    g_free(title);
    g_free(footer);
}
