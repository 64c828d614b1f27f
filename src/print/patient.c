/*
 * patient.c: one patient's pages: the banner (name, kana, ID, birth date and age, sex, blood
 * type or 未登録, bed, admitted, attending), a warning when no registration record (ADT-00)
 * confirms who this is, the allergy box (never blank: "アレルギー: 未確認" when none is
 * recorded), then the sections of the table below, each a small table that flows across pages
 * with its header repeated: next of kin; diagnoses (【疑い】 and ★主病名 marked) and, apart,
 * those only in older diagnosis files; medications current, starting soon and recently ended
 * (an injection with every RXC component, route, rate and instructions), or "no orders on
 * record in the last N days", never a blank; the latest labs; cultures with every organism
 * and its susceptibility; diet. Adding a section is one row in `sections` and two small
 * functions (how many rows, and the texts of one row).
 */
#include "print_int.h"

#include <stdio.h>
#include <string.h>

#define COLS_MAX 6

struct col {
    const char *head;
    double w;
};

struct section {
    const char *title;
    /* the title when it depends on the patient (days of the medication groups) */
    void (*heading)(const struct cv_patient *p, struct pr_text *t);
    const char *note; /* a line under the title (NULL: none) */
    const char *none; /* printed when there are no rows */
    void (*none_text)(const struct cv_patient *p, struct pr_text *t); /* the same, per patient */
    struct col cols[COLS_MAX];
    size_t ncols;
    size_t (*count)(const struct pr_job *job, const struct cv_patient *p);
    /* the texts of row i, one per column */
    void (*row)(const struct pr_job *job, const struct cv_patient *p, size_t i,
                struct pr_text *cells);
    bool (*shown)(const struct cv_patient *p); /* NULL: always printed */
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
/* The name as a nurse must read it: 【疑い】 before a suspected one (JHSD0005 "1"), ★主病名
 * after the main one, and a confirmation flag outside JHSD0005 as written. */
static void dx_name(const struct cv_diagnosis *x, bool older, struct pr_text *t)
{
    bool odd = x->confirmation && !x->suspected && strcmp(x->confirmation, "0") != 0;

    if (x->suspected)
        pr_puts(t, PR_SUSPECTED " ");
    put(t, x->name);
    if (x->main)
        pr_puts(t, older ? "  ★主病名（記載時）" : "  ★主病名");
    if (odd)
        pr_printf(t, "（確定区分: %s）", x->confirmation);
}

static void dx_cells(const struct cv_diagnosis *x, bool older, struct pr_text *c)
{
    dx_name(x, older, &c[0]);
    put(&c[1], x->icd10);
    put(&c[2], x->onset);
    put(&c[3], x->start);
}

static size_t dx_count(const struct pr_job *job, const struct cv_patient *p)
{
    (void)job;
    return p->ndiagnoses;
}

static void dx_row(const struct pr_job *job, const struct cv_patient *p, size_t i,
                   struct pr_text *c)
{
    (void)job;
    dx_cells(&p->diagnoses[i], false, c);
}

static void dx_none(const struct cv_patient *p, struct pr_text *t)
{
    pr_puts(t, p->nolder_diagnoses ? "最新の病名ファイル（PPR-01）に有効な病名はありません。"
                                   : "登録なし");
}

static size_t older_count(const struct pr_job *job, const struct cv_patient *p)
{
    (void)job;
    return p->nolder_diagnoses;
}

static void older_row(const struct pr_job *job, const struct cv_patient *p, size_t i,
                      struct pr_text *c)
{
    (void)job;
    dx_cells(&p->older_diagnoses[i], true, c);
}

static bool older_shown(const struct cv_patient *p)
{
    return p->nolder_diagnoses > 0;
}

/* ---- medications and injections --------------------------------------------------------- */
/* What is given: an injection's RXC components one a line, base first, with amount and unit
 * (its `drug` is their names joined, and RXE-2 only the kind of order: neither is printed);
 * otherwise the drug. */
static void med_drug(const struct cv_medication *m, struct pr_text *t)
{
    if (!m->ncomps) {
        put(t, m->drug);
        return;
    }
    for (size_t k = 0; k < m->ncomps; k++) {
        const struct cv_component *c = &m->comps[k];

        if (k)
            pr_puts(t, "\n");
        put(t, c->name ? c->name : c->code);
        if (c->amount || c->unit)
            pr_printf(t, " %s%s", c->amount ? c->amount : "", c->unit ? c->unit : "");
        if (c->type && strcmp(c->type, "B") == 0)
            pr_puts(t, "（基剤）");
    }
}

/* How: usage, route, rate, instructions, one a line, each when written. */
static void med_how(const struct cv_medication *m, struct pr_text *t)
{
    const char *how[] = {m->usage, m->route, m->rate, m->instructions};
    bool any = false;

    for (size_t i = 0; i < CV_ARRAY_LEN(how); i++)
        if (how[i] && *how[i]) {
            pr_printf(t, "%s%s", any ? "\n" : "", how[i]);
            any = true;
        }
    if (!any)
        pr_puts(t, "-");
}

static void med_cells(const struct cv_medication *m, struct pr_text *c)
{
    bool inj = m->kind && strcmp(m->kind, "injection") == 0;

    pr_puts(&c[0], inj ? "注射" : "処方");
    med_drug(m, &c[1]);
    if (m->dose)
        pr_printf(&c[2], "%s%s%s", m->dose, m->unit ? " " : "", m->unit ? m->unit : "");
    else
        pr_puts(&c[2], "-");
    med_how(m, &c[3]);
    if (m->start_time)
        put_time(&c[4], m->start_time);
    else
        pr_puts(&c[4], m->start ? m->start : "?");
    pr_puts(&c[4], "〜");
    if (m->end_time)
        put_time(&c[4], m->end_time);
    else if (m->end)
        pr_puts(&c[4], m->end);
    if (m->days >= 0)
        pr_printf(&c[4], "（%d日）", m->days);
}

static bool no_orders(const struct cv_patient *p)
{
    return !p->nmedications && !p->nrecent_medications && !p->nupcoming_medications;
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

static void med_heading(const struct cv_patient *p, struct pr_text *t)
{
    pr_printf(t, "投薬・注射（%s 現在） current medications and injections", p->as_of);
}

/* Absence of data must never read as "no medication". */
static void med_none(const struct cv_patient *p, struct pr_text *t)
{
    if (no_orders(p))
        pr_printf(
            t, "過去%d日間に処方・注射の記録はありません。 no orders on record in the last %d days",
            p->recent_days, p->recent_days);
    else
        pr_puts(t, "現在有効な処方・注射はありません。 none current");
}

static size_t upcoming_count(const struct pr_job *job, const struct cv_patient *p)
{
    (void)job;
    return p->nupcoming_medications;
}

static void upcoming_row(const struct pr_job *job, const struct cv_patient *p, size_t i,
                         struct pr_text *c)
{
    (void)job;
    med_cells(&p->upcoming_medications[i], c);
}

static void upcoming_heading(const struct cv_patient *p, struct pr_text *t)
{
    pr_printf(t, "これから開始する処方・注射（%d日以内） starting within %d days", p->recent_days,
              p->recent_days);
}

static bool upcoming_shown(const struct cv_patient *p)
{
    return p->nupcoming_medications > 0;
}

static size_t recent_count(const struct pr_job *job, const struct cv_patient *p)
{
    (void)job;
    return p->nrecent_medications;
}

static void recent_row(const struct pr_job *job, const struct cv_patient *p, size_t i,
                       struct pr_text *c)
{
    (void)job;
    med_cells(&p->recent_medications[i], c);
}

static void recent_heading(const struct cv_patient *p, struct pr_text *t)
{
    pr_printf(t, "最近終了した処方・注射（過去%d日間） ended in the last %d days", p->recent_days,
              p->recent_days);
}

static void recent_none(const struct cv_patient *p, struct pr_text *t)
{
    pr_printf(t, "過去%d日間に終了したものはありません。", p->recent_days);
}

/* When there are no orders at all, the current section already says so for every group. */
static bool recent_shown(const struct cv_patient *p)
{
    return !no_orders(p);
}

/* ---- labs, cultures, diet ----------------------------------------------------------------- */
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

static void result_text(const struct cv_result *x, struct pr_text *t)
{
    put(t, x->name ? x->name : x->code);
    pr_printf(t, " %s%s%s", x->value ? x->value : "-", x->unit ? " " : "", x->unit ? x->unit : "");
}

/* A culture prints one row per organism (at least one row): which culture on the first. */
static size_t culture_rows(const struct cv_culture *c)
{
    return c->norganisms ? c->norganisms : 1;
}

static size_t culture_count(const struct pr_job *job, const struct cv_patient *p)
{
    size_t n = 0;
    (void)job;

    for (size_t i = 0; i < p->ncultures; i++)
        n += culture_rows(&p->cultures[i]);
    return n;
}

static void culture_head(const struct cv_culture *c, struct pr_text *t)
{
    pr_printf(t, "%s\n%s\n", c->specimen ? c->specimen : "検体不明", c->test ? c->test : "-");
    put_time(t, c->time);
    for (size_t k = 0; k < c->nresults; k++) { /* smear, comments: no organism of their own */
        pr_puts(t, "\n");
        result_text(&c->results[k], t);
    }
    for (size_t k = 0; k < c->nearlier; k++) {
        const struct cv_culture *e = &c->earlier[k];

        pr_puts(t, "\n以前 ");
        put_time(t, e->time);
        pr_puts(t, ":");
        for (size_t g = 0; g < e->norganisms; g++)
            pr_printf(t, "%s%s", g ? "、" : " ",
                      e->organisms[g].organism ? e->organisms[g].organism : "-");
        if (!e->norganisms)
            pr_puts(t, " 菌の記載なし");
    }
}

static void organism_cells(const struct cv_organism *o, struct pr_text *c)
{
    pr_printf(&c[1], "%s) %s", o->group ? o->group : "-", o->organism ? o->organism : "-");
    for (size_t k = 0; k < o->ndetails; k++) {
        pr_puts(&c[1], "\n");
        result_text(&o->details[k], &c[1]);
    }
    for (size_t k = 0; k < o->nsusceptibility; k++) {
        const struct cv_result *x = &o->susceptibility[k];

        if (k)
            pr_puts(&c[2], "\n");
        result_text(x, &c[2]);
        pr_printf(&c[2], "  %s", x->flag ? x->flag : "-");
    }
    if (!o->nsusceptibility)
        pr_puts(&c[2], "-");
}

static void culture_row(const struct pr_job *job, const struct cv_patient *p, size_t i,
                        struct pr_text *c)
{
    (void)job;
    for (size_t k = 0; k < p->ncultures; k++) {
        const struct cv_culture *cu = &p->cultures[k];

        if (i >= culture_rows(cu)) {
            i -= culture_rows(cu);
            continue;
        }
        if (i == 0)
            culture_head(cu, &c[0]);
        if (cu->norganisms)
            organism_cells(&cu->organisms[i], c);
        else
            pr_puts(&c[1], "菌の記載なし"), pr_puts(&c[2], "-");
        return;
    }
}

static bool culture_shown(const struct cv_patient *p)
{
    return p->ncultures > 0; /* most patients have none: no empty section */
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
#define MED_COLS                                                                                   \
    {                                                                                              \
        {"区分", 32}, {"薬剤（注射は基剤から全成分）", W - 362}, {"用量", 80},                     \
            {"用法・経路・速度・指示", 120}, {"期間", 130},                                        \
    }
static const struct section sections[] = {
    {.title = "緊急連絡先 next of kin",
     .none = "登録なし",
     .cols = {{"氏名", 170}, {"続柄", 80}, {"電話", W - 250}},
     .ncols = 3,
     .count = kin_count,
     .row = kin_row},
    {.title = "診断名 diagnoses",
     .none_text = dx_none,
     .cols = {{"病名", W - 220}, {"ICD-10", 60}, {"発症日", 80}, {"開始日", 80}},
     .ncols = 4,
     .count = dx_count,
     .row = dx_row},
    {.title = PR_DIAG_OLDER " diagnoses only in older diagnosis files",
     .note = "最新の病名ファイル（PPR-01）には無く、それより前の病名ファイルにだけ記載されている"
             "病名です。現在も有効か確認してください。",
     .cols = {{"病名", W - 220}, {"ICD-10", 60}, {"発症日", 80}, {"開始日", 80}},
     .ncols = 4,
     .count = older_count,
     .row = older_row,
     .shown = older_shown},
    {.heading = med_heading,
     .none_text = med_none,
     .cols = MED_COLS,
     .ncols = 5,
     .count = med_count,
     .row = med_row},
    {.heading = upcoming_heading,
     .cols = MED_COLS,
     .ncols = 5,
     .count = upcoming_count,
     .row = upcoming_row,
     .shown = upcoming_shown},
    {.heading = recent_heading,
     .none_text = recent_none,
     .cols = MED_COLS,
     .ncols = 5,
     .count = recent_count,
     .row = recent_row,
     .shown = recent_shown},
    {.title = "検査（最新） latest labs",
     .none = "なし",
     .cols = {{"検査", W - 330}, {"値", 110}, {"H/L", 30}, {"基準値", 90}, {"日時", 100}},
     .ncols = 5,
     .count = lab_count,
     .row = lab_row},
    {.title = "細菌検査（培養・感受性） cultures and susceptibility",
     .cols = {{"検体・検査・日時", 150}, {"菌・菌量", 150}, {"薬剤感受性 MIC 判定", W - 300}},
     .ncols = 3,
     .count = culture_count,
     .row = culture_row,
     .shown = culture_shown},
    {.title = "食事 diet",
     .none = "オーダーなし",
     .cols = {{"食事", W - 100}, {"開始", 100}},
     .ncols = 2,
     .count = diet_count,
     .row = diet_row},
};
#undef MED_COLS
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

/* A text block from a pr_text, failing the pack when the text is not whole. */
static void flow_text(struct pr_doc *d, enum pr_font font, const struct pr_text *t, double x,
                      double w)
{
    PangoLayout *l;
    struct pr_cell c;

    if (w <= 0) {
        x = PR_MARGIN;
        w = PR_BODY_W;
    }
    l = pr_text_layout(d, font, t, w);
    c = (struct pr_cell){l, x, w};
    pr_flow_row(d, &c, 1, 1.0, false, false, NULL, NULL);
    g_object_unref(l);
}

static void section(struct pr_doc *d, const struct pr_job *job, const struct cv_patient *p,
                    const struct section *s, const char *title, const char *footer)
{
    size_t n;
    struct pr_text t;

    if (s->shown && !s->shown(p))
        return;
    n = s->count(job, p);
    pr_doc_gap(d, 6);
    pr_doc_need(d, 48); /* the heading stays with its first rows */
    pr_text_init(&t);
    if (s->heading)
        s->heading(p, &t);
    else
        pr_puts(&t, s->title);
    flow_text(d, PR_F_HEAD, &t, 0, 0);
    pr_text_free(&t);
    if (s->note)
        pr_flow_text(d, PR_F_SMALL, s->note, PR_MARGIN + 8, PR_BODY_W - 8);
    if (!n) {
        pr_text_init(&t);
        if (s->none_text)
            s->none_text(p, &t);
        else
            pr_puts(&t, s->none);
        flow_text(d, PR_F_BODY, &t, PR_MARGIN + 8, PR_BODY_W - 8);
        pr_text_free(&t);
        return;
    }
    pr_doc_set_frame(d, title, footer, section_header, (void *)s);
    section_header(d, (void *)s);
    for (size_t i = 0; i < n && !d->err; i++) {
        struct pr_text c[COLS_MAX];

        for (size_t k = 0; k < s->ncols; k++)
            pr_text_init(&c[k]);
        s->row(job, p, i, c);
        cells_row(d, s->cols, s->ncols, c, PR_F_BODY);
        for (size_t k = 0; k < s->ncols; k++)
            pr_text_free(&c[k]);
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
    pr_printf(&t, "  性別 %s  血液型 ", pr_sex_text(p->sex));
    pr_blood_text(p, &t);
    if (p->location) {
        const struct cv_location *l = p->location;

        pr_printf(&t, "\n病棟 %s  病室 %s  床 %s  入院 ", l->ward ? l->ward : "-",
                  l->room ? l->room : "-", l->bed ? l->bed : "-");
        put_time(&t, l->admitted);
        pr_printf(&t, "  主治医 %s", p->attending ? p->attending : "-");
    }
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

/* A framed box across the body: the allergy box, the unconfirmed-identity warning. */
static void framed(struct pr_doc *d, const struct pr_text *t)
{
    PangoLayout *l;
    struct pr_cell c;

    pr_doc_gap(d, 4);
    l = pr_text_layout(d, PR_F_HEAD, t, PR_BODY_W - 12);
    c = (struct pr_cell){l, PR_MARGIN + 6, PR_BODY_W - 12};
    pr_flow_row(d, &c, 1, 4.0, false, true, NULL, NULL);
    g_object_unref(l);
}

/* A patient without a registration record (ADT-00): the name and birth date printed come from
 * another message's PID, and nobody has confirmed them. */
static void unconfirmed_box(struct pr_doc *d, const struct cv_patient *p)
{
    struct pr_text t;

    if (!pr_unconfirmed(p))
        return;
    pr_text_init(&t);
    pr_puts(&t, PR_UNCONFIRMED "：");
    if (p->demographics_source)
        pr_puts(&t, "氏名・カナ・生年月日・性別は他のメッセージ（PID）から印刷しています。");
    else
        pr_puts(&t, "氏名・生年月日の記録がありません。");
    pr_puts(&t, "本人確認をしてください。");
    framed(d, &t);
    pr_text_free(&t);
}

/* The allergy box: heavy frame, never blank. */
static void allergy_box(struct pr_doc *d, const struct cv_patient *p)
{
    struct pr_text t;

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
    framed(d, &t);
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
    unconfirmed_box(d, p);
    allergy_box(d, p);
    for (size_t i = 0; i < CV_ARRAY_LEN(sections); i++)
        section(d, job, p, &sections[i], title, footer);
    pr_doc_set_frame(d, NULL, NULL, NULL, NULL);
    g_free(title);
    g_free(footer);
}
