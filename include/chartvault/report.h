/*
 * chartvault/report.h: the inspection report (`chartvault report`): one section per item of
 * the MHLW on-site inspection checklist that chartvault can evidence (backups, restore drills,
 * the recovery procedure, contacts, access logs, the vault's own inventory), each with a
 * verdict and its evidence, and what chartvault cannot know listed as not covered. Built from
 * the configuration, the daemon's state, the repositories (via cv_daemon_status) and the
 * viewer's audit log; written as HTML, PDF or JSON. See docs/REPORT.md.
 *
 * Every input is read with bounds and a damaged one is a finding ("action needed" with the
 * reason), never a crash and never a silent "met". No patient data is ever written: patient
 * IDs from the audit log are only counted.
 */
#ifndef CHARTVAULT_REPORT_H
#define CHARTVAULT_REPORT_H

#include <chartvault/config.h>

enum cv_report_verdict { CV_REPORT_MET, CV_REPORT_ACTION, CV_REPORT_NA };

enum cv_report_section_id {
    CV_REPORT_BACKUPS,
    CV_REPORT_DRILLS,
    CV_REPORT_PROCEDURE,
    CV_REPORT_CONTACTS,
    CV_REPORT_ACCESS,
    CV_REPORT_INVENTORY,
    CV_REPORT_NOT_COVERED,
    CV_REPORT_SECTIONS
};

#define CV_REPORT_MAX_FIGURES 64
#define CV_REPORT_MAX_TEXT    (1u << 20) /* bytes of one section's evidence */
/* one account viewing more distinct patients than this in a day is listed for review */
#define CV_REPORT_MANY_PATIENTS 50
/* audit log records looked at; past this the access section says the log was not read whole */
#define CV_REPORT_MAX_AUDIT_RECORDS 2000000

struct cv_report_figure {
    char name[64]; /* "views", "logins.nurse", ... */
    long long value;
};

struct cv_report_section {
    enum cv_report_section_id id;
    const char *key;   /* "backups", "drills", ... */
    const char *title; /* in the report's language */
    enum cv_report_verdict verdict;
    struct cv_buf reasons;  /* why action is needed (or why not applicable), one a line */
    struct cv_buf evidence; /* one a line; a line starting "## " is a sub-heading */
    struct cv_report_figure figures[CV_REPORT_MAX_FIGURES];
    size_t nfigures;
};

struct cv_report_options {
    const char *viewer_state; /* the viewer's state folder (audit log, accounts, TLS) or NULL */
    long long since;          /* start of the period, seconds since 1970 */
    bool english;             /* default Japanese */
};

struct cv_report {
    bool english;
    char generated[40]; /* ISO time */
    char since[16];     /* YYYY-MM-DD */
    char facility[128];
    struct cv_report_section sections[CV_REPORT_SECTIONS];
};

/* Build the report. Fails only when out of memory; every other trouble is a finding in its
 * section. Release with cv_report_free(). */
enum cv_err cv_report_build(const struct cv_config *cfg, const struct cv_report_options *opt,
                            struct cv_report *out);
void cv_report_free(struct cv_report *r);

const char *cv_report_verdict_text(enum cv_report_verdict v, bool english);
const char *cv_report_verdict_key(enum cv_report_verdict v); /* "met", "action", "n/a" */

/* A whole HTML page (escaped; no script, no outside resource). */
enum cv_err cv_report_html(const struct cv_report *r, struct cv_buf *out);
/* The report as one JSON object. */
void cv_report_json(const struct cv_report *r, struct cv_json *j);
/* A4 PDF through src/print (fonts as the packs'). */
enum cv_err cv_report_pdf(const struct cv_report *r, const char *path, const char *font_dir);

#endif
