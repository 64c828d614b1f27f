/*
 * doc.c: a pack as pages of display lists, the flow that fills them, and the drawing. The
 * flow never cuts: a text block or a table row that does not fit is split between lines of
 * its layouts and goes on at the top of the next page (after the page's repeated table
 * header), however long it is. Only when everything is laid out is the page count known;
 * then each page is drawn with its frame: facility, title, "as of", "not valid after" (large),
 * the patient ID footer and page i / n.
 */
#include "print_int.h"

#include <cairo-pdf.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

void pr_doc_init(struct pr_doc *d, struct pr_fonts *f, const struct pr_frame *frame)
{
    memset(d, 0, sizeof(*d));
    d->fonts = f;
    d->frame = frame;
}

static void page_free(struct pr_page *p)
{
    for (size_t i = 0; i < p->n; i++) {
        if (p->items[i].layout)
            g_object_unref(p->items[i].layout);
        if (p->items[i].mod) {
            pr_modules_free(p->items[i].mod);
            cv_free(p->items[i].mod);
        }
    }
    cv_free(p->items);
    cv_free(p->title);
    cv_free(p->footer_id);
}

void pr_doc_free(struct pr_doc *d)
{
    for (size_t i = 0; i < d->npages; i++)
        page_free(&d->pages[i]);
    cv_free(d->pages);
    d->pages = NULL;
    d->npages = d->cap = 0;
}

static void fail(struct pr_doc *d, enum cv_err err)
{
    if (!d->err)
        d->err = err;
}

static void start_page(struct pr_doc *d, const char *title, const char *footer_id)
{
    struct pr_page *p;

    if (d->err)
        return;
    if (d->npages >= PR_MAX_PAGES) {
        fail(d, cv_fail(CV_ETOOBIG, "a pack would have more than %d pages", PR_MAX_PAGES));
        return;
    }
    if (d->npages == d->cap) {
        size_t cap = d->cap ? d->cap * 2 : 16;
        struct pr_page *v = cv_reallocarray(d->pages, cap, sizeof(*v));

        if (!v) {
            fail(d, cv_fail(CV_ENOMEM, "out of memory"));
            return;
        }
        d->pages = v;
        d->cap = cap;
    }
    p = &d->pages[d->npages++];
    memset(p, 0, sizeof(*p));
    p->title = cv_strdup(title ? title : "");
    p->footer_id = footer_id ? cv_strdup(footer_id) : NULL;
    if (!p->title || (footer_id && !p->footer_id))
        fail(d, cv_fail(CV_ENOMEM, "out of memory"));
    d->y = PR_BODY_TOP;
    d->fresh = true;
}

void pr_doc_set_frame(struct pr_doc *d, const char *title, const char *footer_id, pr_page_fn fn,
                      void *arg)
{
    d->title = title;
    d->footer_id = footer_id;
    d->on_page = fn;
    d->on_page_arg = arg;
}

void pr_doc_new_page(struct pr_doc *d, const char *title, const char *footer_id)
{
    start_page(d, title, footer_id);
}

/* A page break made by the flow: same frame, then the repeated header (if any). */
static void flow_break(struct pr_doc *d)
{
    start_page(d, d->title, d->footer_id);
    if (d->on_page && !d->err) {
        d->on_page(d, d->on_page_arg);
        d->fresh = true; /* a repeated header alone does not make the page used */
    }
}

double pr_doc_room(const struct pr_doc *d)
{
    return PR_BODY_BOT - d->y;
}

void pr_doc_need(struct pr_doc *d, double need)
{
    if (!d->npages || (!d->fresh && pr_doc_room(d) < need))
        flow_break(d);
}

void pr_doc_gap(struct pr_doc *d, double h)
{
    if (!d->fresh)
        d->y += h;
}

static struct pr_item *add_item(struct pr_doc *d)
{
    struct pr_page *p;

    if (d->err || !d->npages)
        return NULL;
    p = &d->pages[d->npages - 1];
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 64;
        struct pr_item *v = cv_reallocarray(p->items, cap, sizeof(*v));

        if (!v) {
            fail(d, cv_fail(CV_ENOMEM, "out of memory"));
            return NULL;
        }
        p->items = v;
        p->cap = cap;
    }
    memset(&p->items[p->n], 0, sizeof(p->items[0]));
    return &p->items[p->n++];
}

void pr_add_text(struct pr_doc *d, PangoLayout *l, double x, double y, int line0, int nlines)
{
    struct pr_item *it = add_item(d);

    if (!it)
        return;
    it->kind = PR_TEXT;
    it->layout = g_object_ref(l);
    it->x = x;
    it->y = y;
    it->line0 = line0;
    it->nlines = nlines;
}

void pr_add_rect(struct pr_doc *d, double x, double y, double w, double h, bool fill,
                 double line_width)
{
    struct pr_item *it = add_item(d);

    if (!it)
        return;
    it->kind = fill ? PR_FILL : PR_STROKE;
    it->x = x;
    it->y = y;
    it->w = w;
    it->h = h;
    it->line_width = line_width;
}

void pr_add_modules(struct pr_doc *d, struct pr_modules *m, double x, double y, double module,
                    double h)
{
    struct pr_item *it = add_item(d);

    if (!it) {
        pr_modules_free(m);
        cv_free(m);
        return;
    }
    it->kind = PR_MODULES;
    it->mod = m;
    it->x = x;
    it->y = y;
    it->module = module;
    it->w = m->cols * module;
    it->h = h;
}

/* ---- the flow ------------------------------------------------------------------------------ */

/* The top of each line of a layout and the layout's height, in points. */
struct lines {
    int n;
    double *top; /* n + 1 entries: top[n] is the bottom of the last line */
};

static bool lines_of(PangoLayout *l, struct lines *ls)
{
    PangoLayoutIter *it;
    int i = 0;

    ls->n = pango_layout_get_line_count(l);
    ls->top = cv_calloc((size_t)ls->n + 1, sizeof(double));
    if (!ls->top)
        return false;
    it = pango_layout_get_iter(l);
    do {
        int y0, y1;

        pango_layout_iter_get_line_yrange(it, &y0, &y1);
        if (i < ls->n) {
            ls->top[i] = (double)y0 / PANGO_SCALE;
            ls->top[i + 1] = (double)y1 / PANGO_SCALE;
        }
        i++;
    } while (pango_layout_iter_next_line(it));
    pango_layout_iter_free(it);
    return true;
}

#define CELLS_MAX 16

void pr_flow_row(struct pr_doc *d, const struct pr_cell *cells, size_t n, double pad, bool rule,
                 bool box, size_t *page0, double *y0)
{
    struct lines ls[CELLS_MAX] = {0};
    int next[CELLS_MAX] = {0};
    double need = 0;
    bool first = true;

    if (n > CELLS_MAX)
        n = CELLS_MAX;
    for (size_t i = 0; i < n; i++) {
        if (!lines_of(cells[i].layout, &ls[i])) {
            fail(d, cv_fail(CV_ENOMEM, "out of memory"));
            goto out_free;
        }
        if (ls[i].top[ls[i].n] > need)
            need = ls[i].top[ls[i].n];
    }
    pr_doc_need(d, need + 2 * pad);
    for (;;) {
        double room = pr_doc_room(d) - 2 * pad, used = 0;
        bool left = false, placed = false;

        if (d->err)
            break;
        if (first) {
            if (page0)
                *page0 = d->npages - 1;
            if (y0)
                *y0 = d->y;
        }
        for (size_t i = 0; i < n; i++) {
            int a = next[i], b = a;
            double base = a < ls[i].n ? ls[i].top[a] : 0;

            while (b < ls[i].n && ls[i].top[b + 1] - base <= room)
                b++;
            if (b == a && a < ls[i].n && d->fresh && !placed)
                b = a + 1; /* a line taller than a page: print it anyway, never drop it */
            if (b > a) {
                pr_add_text(d, cells[i].layout, cells[i].x, d->y + pad, a, b - a);
                if (ls[i].top[b] - base > used)
                    used = ls[i].top[b] - base;
                placed = true;
            }
            next[i] = b;
            left |= b < ls[i].n;
        }
        if (placed || !left) {
            double h = used + 2 * pad;

            if (box)
                pr_add_rect(d, PR_MARGIN, d->y, PR_BODY_W, h, false, 0.8);
            else if (rule)
                pr_add_rect(d, PR_MARGIN, d->y + h, PR_BODY_W, 0, false, 0.3);
            d->y += h;
            d->fresh = false;
        }
        first = false;
        if (!left)
            break;
        flow_break(d);
    }
out_free:
    for (size_t i = 0; i < n; i++)
        cv_free(ls[i].top);
}

void pr_flow_text(struct pr_doc *d, enum pr_font font, const char *text, double x, double w)
{
    PangoLayout *l;
    struct pr_cell c;

    if (w <= 0) {
        x = PR_MARGIN;
        w = PR_BODY_W;
    }
    l = pr_layout(d->fonts, font, text, w);
    c = (struct pr_cell){l, x, w};
    pr_flow_row(d, &c, 1, 1.0, false, false, NULL, NULL);
    g_object_unref(l);
}

/* ---- drawing --------------------------------------------------------------------------------- */

static void draw_text(cairo_t *cr, const struct pr_item *it)
{
    PangoLayoutIter *iter = pango_layout_get_iter(it->layout);
    double base = -1;
    int i = 0;

    do {
        int y0, y1;

        if (i >= it->line0 + it->nlines)
            break;
        pango_layout_iter_get_line_yrange(iter, &y0, &y1);
        if (i >= it->line0) {
            PangoRectangle logical;
            double bl = (double)pango_layout_iter_get_baseline(iter) / PANGO_SCALE;

            if (base < 0)
                base = (double)y0 / PANGO_SCALE;
            pango_layout_iter_get_line_extents(iter, NULL, &logical);
            cairo_move_to(cr, it->x + (double)logical.x / PANGO_SCALE, it->y + bl - base);
            pango_cairo_show_layout_line(cr, pango_layout_iter_get_line_readonly(iter));
        }
        i++;
    } while (pango_layout_iter_next_line(iter));
    pango_layout_iter_free(iter);
}

static void draw_modules(cairo_t *cr, const struct pr_item *it)
{
    const struct pr_modules *m = it->mod;
    double mh = m->rows == 1 ? it->h : it->module;

    for (int r = 0; r < m->rows; r++) {
        for (int c = 0; c < m->cols;) {
            int e = c;

            while (e < m->cols && m->dark[r * m->cols + e])
                e++;
            if (e > c)
                cairo_rectangle(cr, it->x + c * it->module, it->y + r * mh, (e - c) * it->module,
                                mh);
            c = e > c ? e : c + 1;
        }
    }
    cairo_fill(cr);
}

static void draw_item(cairo_t *cr, const struct pr_item *it)
{
    switch (it->kind) {
    case PR_TEXT:
        draw_text(cr, it);
        break;
    case PR_STROKE:
        cairo_set_line_width(cr, it->line_width);
        if (it->h == 0) {
            cairo_move_to(cr, it->x, it->y);
            cairo_line_to(cr, it->x + it->w, it->y);
        } else {
            cairo_rectangle(cr, it->x, it->y, it->w, it->h);
        }
        cairo_stroke(cr);
        break;
    case PR_FILL:
        cairo_rectangle(cr, it->x, it->y, it->w, it->h);
        cairo_fill(cr);
        break;
    case PR_MODULES:
        draw_modules(cr, it);
        break;
    }
}

static void show(cairo_t *cr, struct pr_fonts *f, enum pr_font font, const char *text, double x,
                 double y, double w, PangoAlignment align)
{
    PangoLayout *l = pr_layout(f, font, text, w);

    pango_layout_set_alignment(l, align);
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, l);
    g_object_unref(l);
}

/* Text of the frame in a box `h` high: in `font` when it fits, else smaller; never cut. */
static void show_fit(cairo_t *cr, struct pr_fonts *f, enum pr_font font, const char *text, double x,
                     double y, double w, double h)
{
    static const enum pr_font smaller[] = {PR_F_LARGE, PR_F_TITLE, PR_F_HEAD, PR_F_BODY,
                                           PR_F_SMALL};
    PangoLayout *l = NULL;

    for (size_t i = 0; i < CV_ARRAY_LEN(smaller); i++) {
        PangoRectangle ext;

        if (smaller[i] > font)
            continue;
        if (l)
            g_object_unref(l);
        l = pr_layout(f, smaller[i], text, w);
        pango_layout_get_extents(l, NULL, &ext);
        if ((double)ext.height / PANGO_SCALE <= h)
            break;
    }
    cairo_move_to(cr, x, y);
    pango_cairo_show_layout(cr, l);
    g_object_unref(l);
}

/* The frame: facility and title on the left; as of and "not valid after" (large, boxed) on
 * the right; footer with the patient ID, the printed time and page i / n. The title and
 * footer wrap inside their space (a long ward name or patient name is never cut). */
static void draw_frame(cairo_t *cr, struct pr_doc *d, const struct pr_page *p, size_t i)
{
    const struct pr_frame *fr = d->frame;
    char buf[160];
    double right = PR_PAGE_W - PR_MARGIN, boxw = 235;

    show_fit(cr, d->fonts, PR_F_BOLD, fr->facility, PR_MARGIN, PR_MARGIN, PR_BODY_W - boxw - 8, 13);
    show_fit(cr, d->fonts, PR_F_TITLE, p->title, PR_MARGIN, PR_MARGIN + 14, PR_BODY_W - boxw - 8,
             PR_HEADER_H - 22);
    snprintf(buf, sizeof(buf), "データ時点 as of %s", fr->as_of);
    show(cr, d->fonts, PR_F_BODY, buf, right - boxw, PR_MARGIN, boxw, PANGO_ALIGN_RIGHT);
    if (!fr->no_expiry) {
        cairo_set_line_width(cr, 1.6);
        cairo_rectangle(cr, right - boxw, PR_MARGIN + 13, boxw, 40);
        cairo_stroke(cr);
        show(cr, d->fonts, PR_F_SMALL, "有効期限 not valid after", right - boxw + 4, PR_MARGIN + 15,
             boxw - 8, PANGO_ALIGN_LEFT);
        show(cr, d->fonts, PR_F_LARGE, fr->expires, right - boxw + 4, PR_MARGIN + 26, boxw - 8,
             PANGO_ALIGN_RIGHT);
    }
    cairo_set_line_width(cr, 0.8);
    cairo_move_to(cr, PR_MARGIN, PR_BODY_TOP - 5);
    cairo_line_to(cr, right, PR_BODY_TOP - 5);
    cairo_move_to(cr, PR_MARGIN, PR_BODY_BOT + 4);
    cairo_line_to(cr, right, PR_BODY_BOT + 4);
    cairo_stroke(cr);
    if (p->footer_id)
        show_fit(cr, d->fonts, PR_F_HEAD, p->footer_id, PR_MARGIN, PR_BODY_BOT + 6, 300,
                 PR_FOOTER_H - 6);
    snprintf(buf, sizeof(buf), "印刷 %s", fr->printed);
    show(cr, d->fonts, PR_F_SMALL, buf, PR_MARGIN + 300, PR_BODY_BOT + 8, 130, PANGO_ALIGN_LEFT);
    snprintf(buf, sizeof(buf), "%zu / %zu", i + 1, d->npages);
    show(cr, d->fonts, PR_F_HEAD, buf, right - 100, PR_BODY_BOT + 6, 100, PANGO_ALIGN_RIGHT);
}

static cairo_status_t count_bytes(void *closure, const unsigned char *data, unsigned int length)
{
    FILE *f = ((void **)closure)[0];
    uint64_t *bytes = ((void **)closure)[1];

    if (fwrite(data, 1, length, f) != length)
        return CAIRO_STATUS_WRITE_ERROR;
    *bytes += length;
    return CAIRO_STATUS_SUCCESS;
}

enum cv_err pr_doc_write_pdf(struct pr_doc *d, const char *path, uint64_t *bytes)
{
    cairo_surface_t *s;
    cairo_t *cr;
    cairo_status_t st;
    FILE *f;
    void *closure[2];
    enum cv_err err = CV_OK;

    *bytes = 0;
    if (d->err)
        return d->err;
    f = fopen(path, "wbx");
    if (!f)
        return cv_fail_errno(errno == ENOSPC ? CV_ENOSPC : CV_EIO, "cannot create '%s'", path);
    closure[0] = f;
    closure[1] = bytes;
    s = cairo_pdf_surface_create_for_stream(count_bytes, closure, PR_PAGE_W, PR_PAGE_H);
    cairo_pdf_surface_set_metadata(s, CAIRO_PDF_METADATA_CREATOR, "chartvault " CV_VERSION);
    cr = cairo_create(s);
    for (size_t i = 0; i < d->npages; i++) {
        const struct pr_page *p = &d->pages[i];

        cairo_set_source_rgb(cr, 0, 0, 0);
        draw_frame(cr, d, p, i);
        for (size_t k = 0; k < p->n; k++)
            draw_item(cr, &p->items[k]);
        cairo_show_page(cr);
    }
    cairo_destroy(cr);
    cairo_surface_finish(s);
    st = cairo_surface_status(s);
    cairo_surface_destroy(s);
    if (st != CAIRO_STATUS_SUCCESS)
        err = cv_fail(CV_EIO, "cannot write the PDF '%s': %s", path, cairo_status_to_string(st));
    if (fflush(f) != 0 || fsync(fileno(f)) != 0)
        err = err ? err : cv_fail_errno(CV_EIO, "cannot write '%s'", path);
    if (fclose(f) != 0 && !err)
        err = cv_fail_errno(CV_EIO, "cannot write '%s'", path);
    return err;
}

/* ---- cell text ------------------------------------------------------------------------------ */

void pr_text_init(struct pr_text *t)
{
    cv_buf_init(&t->b, PR_TEXT_MAX);
    t->err = CV_OK;
}

void pr_text_free(struct pr_text *t)
{
    cv_buf_free(&t->b);
}

void pr_puts(struct pr_text *t, const char *s)
{
    enum cv_err err = cv_buf_puts(&t->b, s ? s : "");

    if (err && !t->err)
        t->err = err;
}

void pr_printf(struct pr_text *t, const char *fmt, ...)
{
    enum cv_err err;
    va_list ap;

    va_start(ap, fmt);
    err = cv_buf_vprintf(&t->b, fmt, ap);
    va_end(ap);
    if (err && !t->err)
        t->err = err;
}

const char *pr_str(const struct pr_text *t)
{
    return cv_buf_str(&t->b);
}

PangoLayout *pr_text_layout(struct pr_doc *d, enum pr_font font, const struct pr_text *t,
                            double width)
{
    if (t->err) {
        fail(d, cv_fail(t->err, "a field of the pack could not be put together whole (%s)",
                        cv_strerror(t->err)));
        return pr_layout(d->fonts, font, "", width);
    }
    return pr_layout(d->fonts, font, pr_str(t), width);
}
