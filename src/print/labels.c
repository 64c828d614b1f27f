/*
 * labels.c: wristband labels, two to a row: name, kana, birth date, sex, ID, blood type (未登録
 * when none), an allergy mark, and first of all a mark when no registration record confirms
 * who this is; with the ID as a QR code and as Code 128 for ward scanners. Modules are 1.0 pt
 * (Code 128) and 1.5 pt (QR), above the 0.85 pt that ward scanners need, with the quiet zones
 * of each symbology. A label is as tall as its text needs; a name too long for any label
 * flows onto the next page rather than being cut.
 */
#include "print_int.h"

#include <string.h>

#define LABEL_W     (PR_BODY_W / 2)
#define LABEL_PAD   6.0
#define QR_MODULE   1.5
#define QR_QUIET    4 /* modules */
#define C128_MODULE 1.0
#define C128_QUIET  10 /* modules */
#define C128_HEIGHT 26.0
#define LABEL_GAP   6.0

struct label {
    PangoLayout *text;
    struct pr_modules qr, bar;
    double text_h, qr_side, h;
};

static enum cv_err label_make(struct pr_doc *d, const struct pr_inpatient *ip, struct label *lb)
{
    const struct cv_patient *p = ip->p;
    struct pr_text t;
    PangoRectangle ext;
    enum cv_err err;

    memset(lb, 0, sizeof(*lb));
    err = pr_qr(p->id, &lb->qr);
    if (!err)
        err = pr_code128(p->id, &lb->bar);
    if (err)
        return err;
    lb->qr_side = (lb->qr.cols + 2 * QR_QUIET) * QR_MODULE;
    pr_text_init(&t);
    if (pr_unconfirmed(p)) /* first: whoever reads the band reads this */
        pr_puts(&t, PR_UNCONFIRMED "\n");
    pr_printf(&t, "%s %s\n%s %s\n生年月日 %s  %s\nID %s\n血液型 ",
              p->name.family ? p->name.family : "-", p->name.given ? p->name.given : "",
              p->kana.family ? p->kana.family : "", p->kana.given ? p->kana.given : "",
              p->birth_date ? p->birth_date : "不明", pr_sex_text(p->sex), p->id);
    pr_blood_text(p, &t);
    pr_printf(&t, "\n%s",
              p->allergies_recorded && p->nallergies ? "⚠ アレルギーあり" : "アレルギー: 未確認");
    lb->text = pr_text_layout(d, PR_F_BOLD, &t, LABEL_W - lb->qr_side - 2 * LABEL_PAD);
    pr_text_free(&t);
    pango_layout_get_extents(lb->text, NULL, &ext);
    lb->text_h = (double)ext.height / PANGO_SCALE;
    lb->h = (lb->text_h > lb->qr_side ? lb->text_h : lb->qr_side) + C128_HEIGHT + 3 * LABEL_PAD;
    return CV_OK;
}

static void label_free(struct label *lb)
{
    if (lb->text)
        g_object_unref(lb->text);
    pr_modules_free(&lb->qr);
    pr_modules_free(&lb->bar);
}

static void add_code(struct pr_doc *d, struct pr_modules *m, double x, double y, double module,
                     double h)
{
    struct pr_modules *own = cv_malloc(sizeof(*own));

    if (!own) {
        if (!d->err)
            d->err = cv_fail(CV_ENOMEM, "out of memory");
        return;
    }
    *own = *m;
    m->dark = NULL; /* the page owns it now */
    pr_add_modules(d, own, x, y, module, h);
}

/* The barcodes of a label whose top-left corner is (x, y) on the current page. */
static void label_codes(struct pr_doc *d, struct label *lb, double x, double y, double text_h)
{
    double qx = x + LABEL_W - LABEL_PAD - lb->qr_side + QR_QUIET * QR_MODULE;
    double by = y + 2 * LABEL_PAD + (text_h > lb->qr_side ? text_h : lb->qr_side);

    add_code(d, &lb->qr, qx, y + LABEL_PAD + QR_QUIET * QR_MODULE, QR_MODULE, 0);
    add_code(d, &lb->bar, x + LABEL_PAD + C128_QUIET * C128_MODULE, by, C128_MODULE, C128_HEIGHT);
}

static void label_place(struct pr_doc *d, struct label *lb, double x, double y, double h)
{
    pr_add_rect(d, x + 1, y, LABEL_W - 2, h, false, 0.5);
    pr_add_text(d, lb->text, x + LABEL_PAD, y + LABEL_PAD, 0,
                pango_layout_get_line_count(lb->text));
    label_codes(d, lb, x, y, lb->text_h);
}

/* A label taller than a page: its text flows across pages, the codes follow it. */
static void label_flow(struct pr_doc *d, struct label *lb)
{
    struct pr_cell c = {lb->text, PR_MARGIN + LABEL_PAD, LABEL_W - lb->qr_side - 2 * LABEL_PAD};

    pr_doc_need(d, PR_BODY_BOT - PR_BODY_TOP);
    pr_flow_row(d, &c, 1, LABEL_PAD, false, true, NULL, NULL);
    pr_doc_need(d, lb->qr_side + C128_HEIGHT + 3 * LABEL_PAD);
    label_codes(d, lb, PR_MARGIN, d->y - lb->qr_side - LABEL_PAD, lb->qr_side);
    d->y += C128_HEIGHT + 2 * LABEL_PAD;
    d->fresh = false;
}

void pr_labels(struct pr_doc *d, const struct pr_job *job, const struct pr_ward *w)
{
    char *title = g_strdup_printf("病棟 %s  リストバンド wristband labels", w->name);
    (void)job;

    pr_doc_new_page(d, title, NULL);
    pr_doc_set_frame(d, title, NULL, NULL, NULL);
    for (size_t i = 0; i < w->n && !d->err; i += 2) {
        struct label lb[2];
        size_t n = i + 1 < w->n ? 2 : 1;
        double h = 0;
        enum cv_err err = CV_OK;

        memset(lb, 0, sizeof(lb));
        for (size_t k = 0; k < n && !err; k++)
            err = label_make(d, &w->v[i + k], &lb[k]);
        if (err) {
            if (!d->err)
                d->err = err;
        } else {
            for (size_t k = 0; k < n; k++)
                h = lb[k].h > h ? lb[k].h : h;
            if (h > PR_BODY_BOT - PR_BODY_TOP) {
                for (size_t k = 0; k < n; k++)
                    label_flow(d, &lb[k]);
            } else {
                pr_doc_need(d, h);
                for (size_t k = 0; k < n; k++)
                    label_place(d, &lb[k], PR_MARGIN + k * LABEL_W, d->y, h);
                d->y += h + LABEL_GAP;
                d->fresh = false;
            }
        }
        for (size_t k = 0; k < n; k++)
            label_free(&lb[k]);
    }
    if (!w->n)
        pr_flow_text(d, PR_F_BODY, "入院患者なし", 0, 0);
    pr_doc_set_frame(d, NULL, NULL, NULL, NULL);
    g_free(title);
}
