/*
 * report_int.h: what the files of src/report/ share: a section is filled through these
 * helpers (each line bounded by the section's buffer cap, the first failure kept), and each
 * builder takes its section and says what it found.
 *
 *   report.c            the build, backups, drills, procedure, contacts, not covered
 *   report_access.c     the viewer's audit log: chain, logins, views, unusual use
 *   report_inventory.c  version, host, certificate, file permissions, accounts, MLLP peers
 *   report_out.c        HTML, JSON, PDF
 */
#ifndef CHARTVAULT_REPORT_INT_H
#define CHARTVAULT_REPORT_INT_H

#include <chartvault/report.h>

/* Japanese or English text by the report's language */
#define RL(r, ja, en) ((r)->english ? (en) : (ja))

void rs_line(struct cv_report_section *s, const char *fmt, ...) CV_PRINTF(2, 3);
void rs_sub(struct cv_report_section *s, const char *title);
/* A reason for action: the verdict becomes CV_REPORT_ACTION. */
void rs_action(struct cv_report_section *s, const char *fmt, ...) CV_PRINTF(2, 3);
void rs_figure(struct cv_report_section *s, const char *name, long long v);
void rs_age(char *buf, size_t n, long long seconds, bool english);

/* last logins by account, from the audit log (report_access.c), for the inventory */
struct rs_last_login {
    char user[40];
    char time[40];
};
#define RS_MAX_USERS 256
struct rs_access_out {
    struct rs_last_login last[RS_MAX_USERS];
    size_t nlast;
};

void rs_access(const struct cv_report *r, const struct cv_report_options *o,
               struct cv_report_section *s, struct rs_access_out *out);
void rs_inventory(const struct cv_report *r, const struct cv_config *cfg,
                  const struct cv_report_options *o, const struct rs_access_out *acc,
                  struct cv_report_section *s);

#endif
