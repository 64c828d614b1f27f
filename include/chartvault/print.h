/*
 * chartvault/print.h: downtime packs, the paper a ward works from when every screen is dark.
 * Per ward one A4 PDF: the census, then one page (or more) per patient, then wristband labels
 * with Code 128 and QR barcodes of the patient ID; and one hospital-wide PDF with the census
 * of every ward and the next-of-kin contacts of every inpatient. Drawn with cairo and pango
 * on a PDF surface, with BIZ UDGothic (and VL Gothic for what it lacks, such as U+20BB7)
 * loaded through a private fontconfig set-up, embedded as TrueType subsets.
 *
 * Every page carries the facility, the data time ("as of"), "not valid after" (as of plus a
 * validity, printed large), page i / n, and on patient pages the patient ID in the footer.
 * Nothing is cut short: long text wraps and flows onto more lines and pages. See
 * docs/PRINT.md. The index is only read; no repository key is needed.
 */
#ifndef CHARTVAULT_PRINT_H
#define CHARTVAULT_PRINT_H

#include <chartvault/common.h>
#include <chartvault/config.h>

struct cv_index;

/* A person or desk to call, from the `[contacts]` of the daemon's configuration (printed on
 * the first page of every pack). */
struct cv_print_contact {
    const char *name, *role, *phone, *mail; /* any may be NULL */
};

struct cv_print_options {
    const char *facility;   /* printed on every page; NULL: the index's facility folder name */
    long validity_seconds;  /* "not valid after" = as of + this; 0: one hour */
    const char *as_of_date; /* "YYYY-MM-DD" medications are judged current on and ages
                               counted to; NULL: today at the facility (cv_today_days) */
    long recent_days;       /* medications that ended (or start) within this many days of
                               it are listed as recently ended (starting soon); 1..
                               CV_RECENT_DAYS_MAX, 0: CV_RECENT_DAYS_DEFAULT (30) as `query`
                               and the viewer */
    const struct cv_print_contact *contacts; /* NULL / 0: the box says none are configured */
    size_t ncontacts;
    const char *font_dir; /* folder holding the three font files; NULL: Debian's places */
};

struct cv_print_stats {
    long wards;          /* ward PDFs written */
    long patients;       /* patient pages sections (one per inpatient per ward) */
    long pages;          /* pages in every PDF written */
    uint64_t bytes;      /* bytes of every PDF written */
    double seconds;      /* wall time */
    double load_seconds; /* of which reading the index (census rows, patient summaries) */
    char as_of[32];      /* the data time printed, "YYYY-MM-DD HH:MM" */
    char expires[32];    /* "not valid after" */
};

/* One PDF per ward (`ward` NULL: every ward) into `dir` as "ward-<W>.pdf" (see
 * cv_print_file_name), plus "hospital.pdf" when `ward` is NULL. Each file is written under a
 * temporary name, synced and renamed into place, so a reader never sees half a file.
 * CV_ENOENT when `ward` has no inpatients and no beds. [out] stats (may be NULL). */
enum cv_err cv_print_packs(struct cv_index *idx, const char *dir, const char *ward,
                           const struct cv_print_options *opt, struct cv_print_stats *stats);

/* The daemon's refresh: every pack into a new folder `root`/packs-<time>/, then the symlink
 * `root`/current is switched to it in one rename, and all but the newest `keep` folders are
 * removed (keep 0: 3). A failed refresh leaves `current` as it was. */
enum cv_err cv_print_refresh(struct cv_index *idx, const char *root, unsigned keep,
                             const struct cv_print_options *opt, struct cv_print_stats *stats);

/* The file name of a ward's pack: "ward-" + the ward with every byte outside [A-Za-z0-9-]
 * written as "_XX" (hex) + ".pdf", so any ward name gives a safe, distinct name. `out`
 * holds at least 4 * strlen(ward) + 16 bytes. */
void cv_print_file_name(const char *ward, char *out, size_t n);

/* The contacts of a configuration's [contacts], in role order, as the packs print them
 * (the strings point into `cfg`). [out] *n of at most CV_CONTACT_ROLES. */
void cv_print_contacts_from_config(const struct cv_config *cfg,
                                   struct cv_print_contact out[CV_CONTACT_ROLES], size_t *n);

/* A plain document (the inspection report): blocks of text flowing over A4 pages, every page
 * framed with `facility`, `title` and the time `as_of` (no "not valid after"). */
enum cv_print_block_kind { CV_PRINT_HEADING, CV_PRINT_SUBHEADING, CV_PRINT_BODY };
struct cv_print_block {
    enum cv_print_block_kind kind;
    const char *text;
};
/* Written under a temporary name, synced and renamed into place. */
enum cv_err cv_print_document(const char *path, const char *facility, const char *title,
                              const char *as_of, const struct cv_print_block *blocks, size_t n,
                              const char *font_dir);

/* Are the fonts there? CV_ENOENT naming the missing file and the Debian package. */
enum cv_err cv_print_fonts_check(const char *font_dir);

/* For tests: how many characters of `text` no loaded font can draw, as pango counts them
 * (pango_layout_get_unknown_glyphs_count) on a 72 dpi PDF surface. */
enum cv_err cv_print_unknown_glyphs(const char *font_dir, const char *text, int *count);

/* Free what cairo and fontconfig keep for the life of the process (font faces, the default
 * configuration). Call at exit, with no pack being made, so leak checkers see only real
 * leaks. */
void cv_print_release_caches(void);

#endif
