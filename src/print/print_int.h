/*
 * print_int.h: what the files of src/print/ share. A pack is laid out first and drawn after:
 * pages are display lists (text lines of pango layouts, rectangles, barcode modules) filled by
 * a flow that wraps and splits text across pages, so that the page count ("i / n") is known
 * before the first page is drawn and nothing is ever cut short.
 *
 *   fonts.c     private fontconfig set-up, the pango context at 72 dpi, text cleaning
 *   doc.c       pages, the flow (text blocks, table rows), page frame, drawing to PDF
 *   barcode.c   Code 128 and QR module matrices (zint)
 *   ward_data.c the census rows and each inpatient's summary, read once per ward
 *   census.c    the census table;  patient.c  the patient pages;  labels.c  wristbands
 *   packs.c     the files: per ward, hospital-wide, atomic replace, the daemon's refresh
 */
#ifndef CHARTVAULT_PRINT_INT_H
#define CHARTVAULT_PRINT_INT_H

#include <chartvault/index.h>
#include <chartvault/print.h>

#include <pango/pangocairo.h>

/* A4 in points, and the frame */
#define PR_PAGE_W   595.276
#define PR_PAGE_H   841.890
#define PR_MARGIN   28.0
#define PR_HEADER_H 62.0 /* facility, title, as of, not valid after */
#define PR_FOOTER_H 22.0 /* patient ID, printed time, page i / n */
#define PR_BODY_TOP (PR_MARGIN + PR_HEADER_H)
#define PR_BODY_BOT (PR_PAGE_H - PR_MARGIN - PR_FOOTER_H)
#define PR_BODY_W   (PR_PAGE_W - 2 * PR_MARGIN)

/* Caps: a hostile index must not make a pack without end */
#define PR_MAX_PAGES     20000 /* per PDF */
#define PR_MAX_TEXT      65536 /* bytes of one text, longer is refused as damaged */
#define PR_MAX_PATIENTS  20000 /* inpatients of one ward */
#define PR_WARD_NAME_MAX 60    /* bytes: "ward-" + 3 per byte + ".pdf" stays within NAME_MAX */

/* ---- fonts and text (fonts.c) --------------------------------------------------------- */
enum pr_font { PR_F_SMALL, PR_F_BODY, PR_F_BOLD, PR_F_HEAD, PR_F_TITLE, PR_F_LARGE, PR_F_COUNT_ };

struct pr_fonts {
    PangoFontMap *map;
    PangoContext *ctx;
    PangoFontDescription *desc[PR_F_COUNT_];
};

enum cv_err pr_fonts_open(const char *font_dir, struct pr_fonts *f);
void pr_fonts_close(struct pr_fonts *f);
/* A layout of `text` (cleaned: invalid UTF-8 and control or format characters shown as
 * 〓, never passed as markup) wrapped at `width` points (<= 0: no wrapping).
 * Caller unrefs. NULL only when out of memory. */
PangoLayout *pr_layout(struct pr_fonts *f, enum pr_font font, const char *text, double width);
#define PR_BAD_CHAR 0x3013 /* 〓 stands for a character that cannot be shown */
/* The text as it will be printed: valid UTF-8, no control or format characters. Caller
 * frees with g_free(). */
char *pr_clean_text(const char *s);

struct pr_doc;

/* Text being put together for a cell: appends that keep their first failure, so a cell that
 * could not be built whole fails the pack instead of printing part of it (doc.c). */
struct pr_text {
    struct cv_buf b;
    enum cv_err err;
};
#define PR_TEXT_MAX (16u << 20)
void pr_text_init(struct pr_text *t);
void pr_text_free(struct pr_text *t);
void pr_puts(struct pr_text *t, const char *s);
void pr_printf(struct pr_text *t, const char *fmt, ...) CV_PRINTF(2, 3);
const char *pr_str(const struct pr_text *t);
/* A layout of the text, or NULL (with the doc failed) when the text is not whole. */
PangoLayout *pr_text_layout(struct pr_doc *d, enum pr_font font, const struct pr_text *t,
                            double width);

/* ---- barcodes (barcode.c) ------------------------------------------------------------- */
struct pr_modules {
    int rows, cols; /* a linear code has one row, drawn at the height asked for */
    uint8_t *dark;  /* rows * cols, 1 = dark */
};
enum cv_err pr_code128(const char *data, struct pr_modules *m);
enum cv_err pr_qr(const char *data, struct pr_modules *m);
void pr_modules_free(struct pr_modules *m);

/* ---- the document (doc.c) ------------------------------------------------------------- */
enum pr_item_kind { PR_TEXT, PR_STROKE, PR_FILL, PR_MODULES };

struct pr_item {
    enum pr_item_kind kind;
    double x, y, w, h;      /* y is the top */
    PangoLayout *layout;    /* PR_TEXT (a reference) */
    int line0, nlines;      /* PR_TEXT: which lines */
    double line_width;      /* PR_STROKE */
    struct pr_modules *mod; /* PR_MODULES (owned by the page) */
    double module;          /* PR_MODULES: module size in points */
};

struct pr_page {
    struct pr_item *items;
    size_t n, cap;
    char *title;     /* the heading of the frame */
    char *footer_id; /* patient pages: "患者ID ... name" */
};

struct pr_doc;
/* Called at the top of every new page a flow makes (e.g. to repeat a table header). */
typedef void (*pr_page_fn)(struct pr_doc *d, void *arg);

struct pr_frame {
    const char *facility;
    char as_of[32], expires[32], printed[32];
    bool no_expiry; /* a report, not a pack: no "not valid after" box */
};

struct pr_doc {
    struct pr_fonts *fonts;
    const struct pr_frame *frame;
    struct pr_page *pages;
    size_t npages, cap;
    double y;   /* the flow's cursor on the last page */
    bool fresh; /* nothing placed on the last page yet */
    const char *title, *footer_id;
    pr_page_fn on_page;
    void *on_page_arg;
    enum cv_err err; /* sticky: the first failure */
};

void pr_doc_init(struct pr_doc *d, struct pr_fonts *f, const struct pr_frame *frame);
void pr_doc_free(struct pr_doc *d);
/* Start a new page with this title and footer (both copied; footer may be NULL). */
void pr_doc_new_page(struct pr_doc *d, const char *title, const char *footer_id);
/* Set what new pages made by the flow get; does not start a page. */
void pr_doc_set_frame(struct pr_doc *d, const char *title, const char *footer_id, pr_page_fn fn,
                      void *arg);
double pr_doc_room(const struct pr_doc *d); /* points left on the page */
/* Start a new page unless `need` points fit below the cursor. */
void pr_doc_need(struct pr_doc *d, double need);
void pr_doc_gap(struct pr_doc *d, double h);

/* Items on the current page (a layout is referenced, not taken). */
void pr_add_text(struct pr_doc *d, PangoLayout *l, double x, double y, int line0, int nlines);
void pr_add_rect(struct pr_doc *d, double x, double y, double w, double h, bool fill,
                 double line_width);
/* Takes `m` (freed with the page). */
void pr_add_modules(struct pr_doc *d, struct pr_modules *m, double x, double y, double module,
                    double h);

/* A table row: each cell a layout at an x offset; the row flows across pages when it does
 * not fit, line by line, so that no cell is ever cut. `rule` draws a hairline below each part,
 * `box` a frame around each part. Returns the page index and y where the row began. */
struct pr_cell {
    PangoLayout *layout;
    double x, w;
};
void pr_flow_row(struct pr_doc *d, const struct pr_cell *cells, size_t n, double pad, bool rule,
                 bool box, size_t *page0, double *y0);
/* One block of text across the body width (or from `x`, `w` wide). */
void pr_flow_text(struct pr_doc *d, enum pr_font font, const char *text, double x, double w);

/* Draw every page, with the frame and page i / n, into a PDF at `path`. */
enum cv_err pr_doc_write_pdf(struct pr_doc *d, const char *path, uint64_t *bytes);

/* ---- a ward's data (ward_data.c) ------------------------------------------------------ */
struct pr_inpatient {
    char *room, *bed, *id;
    int age;
    struct cv_patient *p; /* the summary as of the options' date */
};
struct pr_ward {
    char *name;
    long long beds;
    struct pr_inpatient *v;
    size_t n;
};
/* Summaries as of `as_of`, with medications ended or starting within `recent_days` of it
 * (0: CV_RECENT_DAYS_DEFAULT, as `query` and the viewer). */
enum cv_err pr_ward_load(struct cv_index *idx, const char *ward, const char *as_of, int recent_days,
                         struct pr_ward *w);
void pr_ward_free(struct pr_ward *w);

/* ---- content ---------------------------------------------------------------------------- */
struct pr_job {
    struct cv_index *idx;
    const struct cv_print_options *opt;
    struct pr_fonts fonts;
    struct pr_frame frame;
    char as_of_date[11]; /* --as-of, else today at the facility (cv_today_days) */
    long today;          /* days since 1970 of as_of_date */
};
/* 男 / 女 / その他 / 不明 (census.c) */
const char *pr_sex_text(const char *sex);
/* Every next of kin, one a line: "name（relation） ☎ phone, phone"; "登録なし" when none. */
void pr_kin_text(const struct cv_patient *p, struct pr_text *t);
/* The newest diet order with its start, "-" when none. */
void pr_diet_text(const struct cv_patient *p, struct pr_text *t);
/* "未確認" when no allergy is recorded, else "あり: " and every allergen. */
void pr_allergy_text(const struct cv_patient *p, struct pr_text *t);
/* Blood type and Rh as the viewer shows them: "A Rh+", "A（Rh未登録）", "未登録" when none. */
void pr_blood_text(const struct cv_patient *p, struct pr_text *t);
/* Name, kana, birth date and sex not confirmed by a registration record (ADT-00): taken from
 * another message's PID, or not known at all. Marked on the census, the patient page and the
 * wristband with PR_UNCONFIRMED. */
bool pr_unconfirmed(const struct cv_patient *p);
#define PR_UNCONFIRMED "【本人未確認】患者登録（ADT-00）なし"
#define PR_SUSPECTED   "【疑い】" /* before a suspected diagnosis (JHSD0005 "1") */
#define PR_DIAG_OLDER  "以前の病名ファイルにのみ記載"

void pr_contacts_box(struct pr_doc *d, const struct pr_job *job);
/* Starts a page; `contacts`: the box of people to call first (the first page of a pack). */
void pr_census(struct pr_doc *d, const struct pr_job *job, const struct pr_ward *w, bool contacts);
void pr_patient_pages(struct pr_doc *d, const struct pr_job *job, const struct pr_ward *w,
                      const struct pr_inpatient *ip);
void pr_labels(struct pr_doc *d, const struct pr_job *job, const struct pr_ward *w);
void pr_kin_list(struct pr_doc *d, const struct pr_job *job, const struct pr_ward *w);

#endif
