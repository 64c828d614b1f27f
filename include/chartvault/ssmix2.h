/*
 * chartvault/ssmix2.h: the rules of SS-MIX2 standardized storage (JAMI, Ver.1.2): the tree
 * <root>/<ID[0:3]>/<ID[3:6]>/<ID>/<care date|->/<data type>/<file>, the file name
 * <ID>_<care date|->_<data type>_<order no>_<event time>_<dept|->_<flag>, the data-type table
 * (which HL7 events belong in which folder), condition flags (1 current, 2 superseded,
 * 0 deleted), and care dates (which field of which message is the care date).
 *
 * Readers of a tree use cv_ssmix2_path_parse() (does the path follow the rules?) and
 * cv_ssmix2_msginfo_get() (what does the message say about itself?), then
 * cv_ssmix2_check_consistency() (do the two agree?). Writers — the MLLP listener — use
 * cv_ssmix2_msginfo_get() to validate a message, cv_ssmix2_type_for_message() to choose its
 * folder, and cv_ssmix2_name_format()/cv_ssmix2_dir_format() to name it.
 * Failure reasons (cv_errmsg()) never quote patient IDs or other content, so they may be logged.
 */
#ifndef CHARTVAULT_SSMIX2_H
#define CHARTVAULT_SSMIX2_H

#include <chartvault/common.h>
#include <chartvault/hl7.h>

#define CV_SSMIX2_ID_MAX    15 /* patient ID */
#define CV_SSMIX2_ORDER_MAX 15 /* order number */
#define CV_SSMIX2_DEPT_MAX  3  /* department code */
#define CV_SSMIX2_NO_ORDER  "999999999999999"

enum cv_ssmix2_flag {
    CV_SSMIX2_DELETED = 0,
    CV_SSMIX2_CURRENT = 1,
    CV_SSMIX2_SUPERSEDED = 2,
};

/* One row of the data-type table. */
struct cv_ssmix2_type {
    const char *code;    /* folder name: "ADT-22", "OMD", "OMP-01" */
    const char *meaning; /* "admission" */
    const char *ja;      /* "入院" */
    const char *events;  /* MSH-9 message^event pairs that belong here, space separated */
    const char *cancels; /* those among them that cancel ("ADT^A11"), or "" */
    bool dated;          /* false: stored under "-" (ADT-00, ADT-01, ADT-61, PPR-01) */
};

/* The type with this folder name (exact, case-sensitive), or NULL. */
const struct cv_ssmix2_type *cv_ssmix2_type_find(const char *code);
/* The whole table, for listing: i from 0 while the result is not NULL. */
const struct cv_ssmix2_type *cv_ssmix2_type_at(size_t i);
/* Does MSH-9 "ADT^A11" belong in this type's folder / is it a cancel there? */
bool cv_ssmix2_type_accepts(const struct cv_ssmix2_type *t, const char *event);
bool cv_ssmix2_type_is_cancel(const struct cv_ssmix2_type *t, const char *event);

/* The care-date source field ("ORC-9", "PV1-44"...) for an MSH-9 "OMD^O03", or NULL when the
 * event has none (ADT^A08, ADT^A60, PPR^ZD1...). From the JAMI care-date table. */
const char *cv_ssmix2_care_date_field(const char *event);

/* ---- file names ------------------------------------------------------------------------- */
struct cv_ssmix2_name {
    char patient_id[CV_SSMIX2_ID_MAX + 1];
    char care_date[9]; /* "YYYYMMDD" or "-" */
    char data_type[8]; /* "OMP-01" */
    char order_no[CV_SSMIX2_ORDER_MAX + 1];
    char event_time[18];               /* yyyyMMddHHmmssfff (14..17 digits accepted) */
    char dept[CV_SSMIX2_DEPT_MAX + 1]; /* "01", "7A" or "-" */
    int flag;                          /* enum cv_ssmix2_flag */
};

/* Parse a file name (no folder part). CV_EPARSE with a reason such as "file name has 4 of 7
 * fields" or "condition flag '3' is not 0, 1 or 2". */
enum cv_err cv_ssmix2_name_parse(const char *name, struct cv_ssmix2_name *out);
/* Validate and format; buf >= 96 bytes is always enough. */
enum cv_err cv_ssmix2_name_format(const struct cv_ssmix2_name *n, char *buf, size_t size);
/* The folder a name belongs in, relative to the root: "999/901/9999013/20111220/OMG-01".
 * IDs shorter than 6 characters are refused (CV_EINVAL): their padding is site-specific, so
 * pass the ID padded as the site does. buf >= 64 is always enough. */
enum cv_err cv_ssmix2_dir_format(const struct cv_ssmix2_name *n, char *buf, size_t size);

/* ---- paths within a tree ------------------------------------------------------------------ */
struct cv_ssmix2_path {
    char folder_id[CV_SSMIX2_ID_MAX + 1]; /* the patient folder: authoritative for whose data */
    char folder_date[9];
    char folder_type[8];
    const struct cv_ssmix2_type *type; /* of the folder */
    struct cv_ssmix2_name name;
};
/* Parse "999/901/9999013/-/ADT-00/9999013_-_ADT-00_..._1" (relative to the root) and check
 * that the levels, the folder names and the file name agree. Fails with CV_EPARSE and a
 * reason naming what disagrees ("file name does not match its folder (patient ID, data
 * type)"); `out` is still filled with what could be read. */
enum cv_err cv_ssmix2_path_parse(const char *relpath, struct cv_ssmix2_path *out);

/* ---- what a message says about itself ----------------------------------------------------- */
/* Problems cv_ssmix2_msginfo_get() found, as bits: a receiver refuses any; an indexer of
 * files, where the folder decides whose data it is, only CV_SSMIX2_P_EVENT. */
enum {
    CV_SSMIX2_P_EVENT = 1 << 0,     /* no MSH-9, or an event with no SS-MIX2 folder */
    CV_SSMIX2_P_CONTROL = 1 << 1,   /* no MSH-10 */
    CV_SSMIX2_P_TIME = 1 << 2,      /* MSH-7 unreadable */
    CV_SSMIX2_P_PID = 1 << 3,       /* no PID segment or empty PID-3 */
    CV_SSMIX2_P_PID_LONG = 1 << 4,  /* PID-3 over 15 characters or not letters/digits */
    CV_SSMIX2_P_ORDER = 1 << 5,     /* ORC-2 over 15 characters or not letters/digits */
    CV_SSMIX2_P_CARE_DATE = 1 << 6, /* a dated event without a readable care date */
    CV_SSMIX2_P_CHARSET = 1 << 7,   /* MSH-18 names neither ISO IR87 nor UNICODE UTF-8 while
                                       the text is not plain ASCII */
};

struct cv_ssmix2_msginfo {
    char event[16];        /* MSH-9.1^MSH-9.2: "ADT^A08" */
    char structure[16];    /* MSH-9.3 */
    char control_id[24];   /* MSH-10 (truncated) */
    char version[12];      /* MSH-12 */
    char message_time[18]; /* MSH-7 as yyyyMMddHHmmssfff, "" when unreadable */
    enum cv_hl7_charset charset;
    char pid3[64]; /* PID-3.1 of the "PI" repetition, else of the first (truncated) */
    char patient_id[CV_SSMIX2_ID_MAX + 1];  /* the same when it is a valid SS-MIX2 ID, else "" */
    char order_no[CV_SSMIX2_ORDER_MAX + 1]; /* first ORC-2.1, else OBR-2.1; "" if none */
    char care_date[9];                      /* YYYYMMDD, "" when the event has none */
    const char *care_date_field;            /* "ORC-9", or NULL */
    char dept[CV_SSMIX2_DEPT_MAX + 1];      /* ORC-17.1, else PV1-10.1; "" if none */
    const struct cv_ssmix2_type *type;      /* best folder for this message, or NULL */
    unsigned problems;                      /* CV_SSMIX2_P_* */
};

enum cv_err cv_ssmix2_msginfo_get(struct cv_hl7_msg *m, struct cv_ssmix2_msginfo *out);

/* The folder for a message (needs MSH-9 and, to tell prescriptions from injections or
 * radiology from endoscopy, the content): RDE^O11/RAS^O17 with an RXC segment or a
 * parenteral RXR-1 route are injections (OMP-02/12), else prescriptions (OMP-01/11);
 * OMG^O19/OMI^Z23 by the OBR-4 code system (JJ1017 radiology, LENDO endoscopy, else
 * physiology). NULL when the event has no folder. */
const struct cv_ssmix2_type *cv_ssmix2_type_for_message(struct cv_hl7_msg *m, const char *event);

/* Compare a file's place in the tree with its content. Returns CV_OK, or CV_EPARSE with a
 * reason when the content does not belong in the folder (MSH-9 of another data type).
 * Lesser disagreements (care date, PID-3, a cancel stored as current) are appended to
 * `warnings` as "; "-separated sentences. */
enum cv_err cv_ssmix2_check_consistency(const struct cv_ssmix2_path *path,
                                        const struct cv_ssmix2_msginfo *info,
                                        struct cv_buf *warnings);

#endif
