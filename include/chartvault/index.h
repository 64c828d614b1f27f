/*
 * chartvault/index.h: the reference index, a SQLite database (WAL) built from an SS-MIX2
 * tree, that answers "who is this patient, what are they allergic to, whom do we call, which
 * bed are they in" in milliseconds. Schema and reasons: docs/INDEX.md. What "current" means:
 * docs/CURRENT-STATE.md. No SQL leaves src/index: callers get structs or one callback per row.
 *
 * Three kinds of users:
 *  - `chartvault index` builds and updates it: cv_index_update() (the first run reads
 *    everything; later runs read only new, renamed, changed and vanished files).
 *  - The protection daemon keeps it fresh: cv_index_paths() indexes a few files at once
 *    (inotify, MLLP), cv_index_scan() reports what changed since the last run before anything
 *    is applied, so a ransomware-like mass change can be refused, and cv_index_apply() applies
 *    all or part of a scan.
 *  - The viewer and `chartvault query` read it (CV_INDEX_READONLY): search, patient summary,
 *    wards, census, bed map, rejected files, data time.
 *
 * Threads: a handle is used by one thread at a time; open one handle per thread (they are
 * cheap: one SQLite connection and its prepared statements). Read-only handles notice when the
 * database file is replaced by a newer one (rename over the path) and reopen by themselves
 * before the next query. Query functions never print; failures come back as enum cv_err with
 * cv_errmsg() set, and messages never contain patient data.
 */
#ifndef CHARTVAULT_INDEX_H
#define CHARTVAULT_INDEX_H

#include <chartvault/common.h>

struct cv_index; /* opaque */

enum {
    CV_INDEX_READONLY = 1 << 0, /* never writes; fails if the file does not exist */
};

/* Open (and, unless read-only, create) the index at `path`. [out] *out: caller closes. */
enum cv_err cv_index_open(const char *path, unsigned flags, struct cv_index **out);
void cv_index_close(struct cv_index *idx);

/* ---- building ----------------------------------------------------------------------------- */
struct cv_index_options {
    cv_progress_fn progress; /* called now and then; return false to cancel */
    void *progress_arg;
    size_t max_file_bytes;   /* files above are rejected ("over size cap"); 0: 16 MiB */
    unsigned settle_seconds; /* a file changed less than this long ago that does not parse is
                                left for the next run (the EHR may still be writing it) */
    bool reread;             /* re-read and re-parse every file, as after an upgrade */
};

struct cv_index_stats {
    uint64_t seen;       /* files in the tree */
    uint64_t new_files;  /* new paths indexed (JSON key "new") */
    uint64_t updated;    /* existing paths whose content changed */
    uint64_t renamed;    /* same content under a new name (_1 -> _2 ...) */
    uint64_t superseded; /* files that became _2 in this run (new or renamed) */
    uint64_t deleted;    /* files that became _0 in this run (new or renamed) */
    uint64_t vanished;   /* paths gone from the tree */
    uint64_t rejected;   /* files rejected in this run (new or changed), each with a reason */
    uint64_t unchanged;
    uint64_t deferred; /* left for the next run (settle_seconds, or vanished while read) */
    uint64_t skipped;  /* hidden files (".name"), never indexed */
    uint64_t bytes;    /* bytes read */
    uint64_t patients; /* patients whose current state was recomputed */
    double seconds;
};

/* Bring the index up to date with the tree at `root`. A run that completes (even with
 * rejected files) returns CV_OK and records the data time; an unreadable root or a database
 * error fails and leaves the last good data in place. A first build into an empty or missing
 * database writes a temporary file and renames it over the path at the end. */
enum cv_err cv_index_update(struct cv_index *idx, const char *root,
                            const struct cv_index_options *opt, struct cv_index_stats *stats);

/* Index (or forget, when gone) these paths relative to `root` now, and recompute their
 * patients: for inotify events and messages the MLLP listener just stored. Quick: no walk. */
enum cv_err cv_index_paths(struct cv_index *idx, const char *root, const char *const *relpaths,
                           size_t n, const struct cv_index_options *opt,
                           struct cv_index_stats *stats);

/* ---- two-phase runs for the protection daemon ------------------------------------------
 * cv_index_scan() walks the tree and compares it with the index without changing anything.
 * Existing files whose size or time changed are read: hashed, parsed, and measured for
 * entropy. New files are only checked by name (and hashed when they may be renames). */
enum cv_index_change_kind {
    CV_CHANGE_NEW,      /* a path the index does not hold */
    CV_CHANGE_CONTENT,  /* an indexed path whose bytes changed */
    CV_CHANGE_RENAMED,  /* indexed content under a new path (old_path says where it was) */
    CV_CHANGE_VANISHED, /* an indexed path that is gone */
    CV_CHANGE_TOUCHED,  /* size/time changed but the bytes did not */
};

struct cv_index_change {
    enum cv_index_change_kind kind;
    const char *path;     /* relative to the root; for VANISHED the old path */
    const char *old_path; /* RENAMED only */
    bool name_ok;         /* the path follows the SS-MIX2 rules */
    bool parses;          /* CONTENT: still one HL7 message (always true for others) */
    bool high_entropy;    /* CONTENT: looks encrypted or compressed */
    double entropy;       /* CONTENT: bits per byte, 0..8 */
};

struct cv_index_scan_summary {
    uint64_t seen;            /* files in the tree now */
    uint64_t existing;        /* files the index held before */
    uint64_t new_files;       /* CV_CHANGE_NEW */
    uint64_t changed;         /* CV_CHANGE_CONTENT */
    uint64_t renamed;         /* CV_CHANGE_RENAMED */
    uint64_t renamed_unknown; /* RENAMED or NEW to a name outside the SS-MIX2 rules */
    uint64_t vanished;        /* CV_CHANGE_VANISHED */
    uint64_t touched;         /* CV_CHANGE_TOUCHED */
    uint64_t unparseable;     /* CONTENT changes that no longer parse as HL7 */
    uint64_t high_entropy;    /* CONTENT changes with entropy > 7.2 bits/byte */
};

struct cv_index_scan; /* opaque: the changes found, not yet applied */

enum cv_err cv_index_scan(struct cv_index *idx, const char *root,
                          const struct cv_index_options *opt, struct cv_index_scan **out);
void cv_index_scan_summary(const struct cv_index_scan *scan, struct cv_index_scan_summary *out);
/* Each change in turn; strings valid during the call. A non-zero return stops the walk and
 * is returned; -1 (with cv_errmsg()) when a change's path could not be built. */
int cv_index_scan_foreach(const struct cv_index_scan *scan,
                          int (*fn)(const struct cv_index_change *c, void *arg), void *arg);

enum {
    CV_APPLY_NEW = 1 << 0,
    CV_APPLY_CONTENT = 1 << 1,
    CV_APPLY_RENAMED = 1 << 2,
    CV_APPLY_VANISHED = 1 << 3,
    CV_APPLY_TOUCHED = 1 << 4,
    CV_APPLY_ALL = 0x1F,
};
/* Apply the chosen kinds of change from a scan (CV_APPLY_ALL after a normal scan; only
 * CV_APPLY_NEW while frozen, so that changed content never replaces the last good data).
 * Kinds not applied are found again by the next scan. The data time advances only when
 * everything was applied. */
enum cv_err cv_index_apply(struct cv_index *idx, struct cv_index_scan *scan, unsigned what,
                           const struct cv_index_options *opt, struct cv_index_stats *stats);
void cv_index_scan_free(struct cv_index_scan *scan);

/* ---- reading -----------------------------------------------------------------------------
 * Strings handed to callbacks are valid only during the callback; copy what you keep.
 * Dates are "YYYY-MM-DD", times "YYYY-MM-DDTHH:MM" (local, no zone); absent values are NULL. */

/* One read snapshot across several queries (a viewer page: summary, then census...): inside
 * it every query sees the same state of the index while the daemon writes, and the WAL read
 * lock is taken once. [out] *began says whether this call began it; pass it to
 * cv_index_snapshot_end(). Failure is not fatal: queries then run each on its own.
 * (src/index/viewer_snapshot.c, contributed by the viewer.) */
enum cv_err cv_index_snapshot_begin(struct cv_index *idx, bool *began);
void cv_index_snapshot_end(struct cv_index *idx, bool began);

/* Which data a read snapshot sees, so the viewer can reuse a rendered page only for exactly the
 * same data (src/index/viewer_version.c). */
struct cv_index_version {
    uint64_t dev, ino, data;
    bool valid;
};
/* Inside a snapshot (cv_index_snapshot_begin() began one), the version of the data it reads:
 * the file (device, inode: a newer index renamed over the path is another inode, since ours
 * stays open until the handle reopens) and SQLite's data version of it, which changes with
 * every commit by any connection. Equal versions mean equal data. v->valid is false when
 * it cannot be told (no snapshot): then nothing may be reused. */
void cv_index_data_version(struct cv_index *idx, struct cv_index_version *v);

struct cv_index_info {
    char data_time[32];        /* ISO 8601 time of the last completed ingest, "" if none */
    long long data_time_epoch; /* the same as seconds since 1970, 0 if none */
    char source[1024];         /* the root it was built from */
    long long patients, files, rejected;
    int schema_version;
};
enum cv_err cv_index_info(struct cv_index *idx, struct cv_index_info *out);

struct cv_index_hit {
    const char *id, *family, *given, *kana_family, *kana_given, *birth_date, *sex;
};
/* Patients matching an ID prefix, a kanji name prefix, a kana name prefix (full or half
 * width, hiragana or katakana, with or without the space between family and given names), or
 * a birth date "YYYY-MM-DD" / "YYYYMMDD". At most `limit` hits (0: 50), sorted by kana. */
enum cv_err cv_index_search(struct cv_index *idx, const char *text, size_t limit,
                            void (*fn)(const struct cv_index_hit *hit, void *arg), void *arg);

/* ---- the patient summary ----------------------------------------------------------------
 * What a nurse reads during an outage, by the rules of docs/CURRENT-STATE.md. Every string
 * is as the message wrote it (UTF-8) or NULL when absent; the whole summary lives in one
 * allocation, freed by cv_patient_free(). The downtime packs print these fields. */
struct cv_name {
    char *family, *given;
};
struct cv_contact {
    char *name, *relationship;
    char **phones;
    size_t nphones;
};
struct cv_allergy {
    char *type, *code, *allergen, *severity, *reaction, *onset;
};
struct cv_diagnosis {
    char *name, *code, *icd10, *onset; /* PRB-3 text and code, PRB-10.1, PRB-16 (onset) */
    bool main;                         /* PRB-18.1 "1": the main diagnosis */
    bool suspected;                    /* PRB-13.1 "1" (JHSD0005 疑いあり): not confirmed */
    char *confirmation;                /* PRB-13.1 as written (a value outside 0/1 too) */
    char *start, *end;                 /* PRB-7 (established), PRB-9 (resolution) dates */
};
struct cv_location {
    char *ward, *room, *bed, *admitted;
};
struct cv_component {    /* one drug of an injection (RXC) */
    char *type;          /* RXC-1: "B" base, "A" additive, other values as written */
    char *name, *code;   /* RXC-2 text (NULL when the writer gave none) and code */
    char *amount, *unit; /* RXC-3, RXC-4 (text, else code) */
};
struct cv_medication {
    char *kind; /* "prescription" | "injection" */
    /* drug: RXE-2 text; for an injection with RXC, its components' names " + "-joined, base
     * first (RXE-2 is then the kind of order, in order_type: JHSI0002 "一般") */
    char *drug, *drug_code, *dose, *unit, *usage, *start, *end;
    char *route;                 /* RXR-1 text (静脈内) */
    char *instructions;          /* RXE-7 text (５時間一定速度で) */
    char *rate;                  /* RXE-23 and RXE-24's unit: "102 ml/hr" */
    char *order_type;            /* RXE-2 text of an injection whose drugs are in RXC */
    char *start_time, *end_time; /* injections: TQ1-7, TQ1-8 to the minute, if written so */
    char *components; /* the RXC on one line: "name amount unit + ..." (NULL without RXC) */
    struct cv_component *comps; /* the same, one by one, base first */
    size_t ncomps;
    int days;     /* -1 when not given */
    bool current; /* the period covers the as-of date */
};
struct cv_lab {
    char *code, *name, *value, *unit, *range, *flag, *time;
};
struct cv_lab_series { /* one test: the newest result first, then earlier ones */
    struct cv_lab *results;
    size_t n;
};
struct cv_result {             /* one OBX of a culture */
    char *sub_id;              /* OBX-4 as written ("1", "1.2") */
    char *code, *name;         /* OBX-3: for a susceptibility, the drug */
    char *value, *unit, *flag; /* OBX-5, OBX-6.1, OBX-8 (S/I/R for a susceptibility; H/L) */
};
struct cv_organism { /* one OBX-4 group of a culture report */
    char *group;     /* OBX-4 up to its first '.', '-' or '_' */
    char *organism;  /* value of the group's first un-nested result (NULL: none written) */
    struct cv_result *details; /* the group's other un-nested results (amount ...) */
    size_t ndetails;
    struct cv_result *susceptibility; /* nested sub-IDs under it: drug, MIC, S/I/R */
    size_t nsusceptibility;
};
struct cv_culture { /* the latest report of one culture test (OBR-4) on one specimen (SPM-4) */
    char *test, *code, *specimen, *time;
    struct cv_result *results; /* results of the report without OBX-4 (smear, comments) */
    size_t nresults;
    struct cv_organism *organisms; /* in the order of the report */
    size_t norganisms;
    struct cv_culture *earlier; /* up to 3 earlier reports of the same test and specimen,
                                   newest first (their own `earlier` is empty) */
    size_t nearlier;
};
struct cv_diet {
    char *text, *start;
};
struct cv_report {
    char *kind, *text, *time; /* kind: "radiology" | "endoscopy" | "physiology" */
};
struct cv_order { /* a lab, radiology, endoscopy or physiology order (OML-01, OMG-01/02/03) */
    char *kind, *order_no, *code, *name, *time;
};
struct cv_stay { /* one admission, newest first */
    char *admitted, *discharged, *ward, *room, *bed, *attending;
};

struct cv_patient {
    char *id;
    struct cv_name name, kana;
    char *birth_date, *sex, *blood_type, *rh, *postcode, *address, *attending;
    /* where name, kana, birth date and sex come from: "ADT-00", or "PID" when the patient has
     * no current ADT-00 and they were taken from the newest PID of another message (not
     * confirmed: show it as such); NULL when neither holds any */
    char *demographics_source;
    double height_cm, weight_kg; /* < 0 when not recorded */
    char **phones;
    size_t nphones;
    struct cv_contact *contacts;
    size_t ncontacts;
    bool allergies_recorded; /* allergy_status "recorded" / "none_recorded" */
    struct cv_allergy *allergies;
    size_t nallergies;
    struct cv_diagnosis *diagnoses; /* active ones of the newest current PPR-01 */
    size_t ndiagnoses;
    /* active diagnoses found only in older current PPR-01 files (writers that wrote one file
     * per diagnosis order): shown apart, never dropped */
    struct cv_diagnosis *older_diagnoses;
    size_t nolder_diagnoses;
    struct cv_location *location;      /* NULL when not admitted */
    struct cv_medication *medications; /* current ones (as of), as in `query patient` */
    size_t nmedications;
    /* ended within recent_days before the as-of date, newest end first */
    struct cv_medication *recent_medications;
    size_t nrecent_medications;
    /* ordered to start within recent_days after the as-of date, as the current ones */
    struct cv_medication *upcoming_medications;
    size_t nupcoming_medications;
    int recent_days;
    struct cv_medication *medication_history; /* every _1 order, newest first (viewer) */
    size_t nmedication_history;
    struct cv_lab_series *labs; /* by code; labs[i].results[0] is the value `query` shows */
    size_t nlabs;
    struct cv_culture *cultures; /* results grouped by OBX-4, newest first */
    size_t ncultures;
    struct cv_diet *diet; /* newest first */
    size_t ndiet;
    struct cv_report *reports; /* newest first */
    size_t nreports;
    struct cv_stay *stays; /* admission history, newest first */
    size_t nstays;
    struct cv_order *orders; /* the latest 100 orders, newest first (viewer) */
    size_t norders;
    bool pid3_mismatch;
    char as_of[11]; /* the date medications were judged current on */
};

#define CV_RECENT_DAYS_DEFAULT 30
#define CV_RECENT_DAYS_MAX     3650

/* The summary of one patient as of `as_of` ("YYYY-MM-DD"; NULL: today at the facility, see
 * cv_today()), with medications that ended in the `recent_days` (1..CV_RECENT_DAYS_MAX; 0:
 * CV_RECENT_DAYS_DEFAULT) before it and those that start in as many days after it. CV_ENOENT with
 * "no patient 'ID'" when the index has none. [out] *out: free with cv_patient_free(). */
enum cv_err cv_index_patient_recent(struct cv_index *idx, const char *id, const char *as_of,
                                    int recent_days, struct cv_patient **out);
/* The same with CV_RECENT_DAYS_DEFAULT. */
enum cv_err cv_index_patient(struct cv_index *idx, const char *id, const char *as_of,
                             struct cv_patient **out);
void cv_patient_free(struct cv_patient *p);
/* The `query patient --json` object (docs/CURRENT-STATE.md), written into `j`. */
void cv_patient_to_json(const struct cv_patient *p, struct cv_json *j);

/* Whole years from `birth_date` to `as_of` ("YYYY-MM-DD"; NULL: today at the facility, see
 * cv_today()), as the census counts them; -1 when the birth date is unknown. */
int cv_index_age(const char *birth_date, const char *as_of);

/* ---- wards, census, beds ---------------------------------------------------------------- */
struct cv_ward {
    const char *ward;
    long long beds;     /* distinct (room, bed) ever seen in its ADT messages */
    long long occupied; /* patients whose current location is in it */
};
enum cv_err cv_index_wards(struct cv_index *idx, void (*fn)(const struct cv_ward *w, void *arg),
                           void *arg);

struct cv_census_row {
    const char *ward, *room, *bed, *id, *family, *given, *kana_family, *kana_given, *sex,
        *birth_date, *admitted, *attending;
    int age; /* on the as-of date, -1 when the birth date is unknown */
    bool allergies_recorded;
};
/* Patients in beds, sorted by ward, room, bed; `ward` NULL for every ward. Ages are on
 * `as_of` (NULL: today at the facility). */
enum cv_err cv_index_census(struct cv_index *idx, const char *ward, const char *as_of,
                            void (*fn)(const struct cv_census_row *row, void *arg), void *arg);

/* Every bed of a ward (rooms x beds, occupied or not), sorted by room and bed; `occupant`
 * is NULL for an empty bed. */
struct cv_bed {
    const char *room, *bed;
    const struct cv_census_row *occupant;
};
enum cv_err cv_index_beds(struct cv_index *idx, const char *ward, const char *as_of,
                          void (*fn)(const struct cv_bed *bed, void *arg), void *arg);

/* ---- redacted log lines (cv_redact) --------------------------------------------------------- */
/* The key of the file references in redacted log lines: read from the index, made and stored
 * on first use (a read-only index without one: CV_ENOENT). */
CV_NODISCARD enum cv_err cv_index_log_key(struct cv_index *idx, uint8_t key[CV_REDACT_KEY_LEN]);
/* Every indexed path (relative to its root) whose file name has the reference `ref` (the
 * CV_REDACT_REF_LEN hex digits of "<file REF>"). *found: how many. */
enum cv_err cv_index_file_ref(struct cv_index *idx, const char *ref,
                              void (*fn)(const char *path, void *arg), void *arg, size_t *found);

/* ---- files ------------------------------------------------------------------------------ */
struct cv_index_file {
    const char *path, *state, *reason, *warnings; /* state: current|superseded|deleted|rejected */
    long long size;
};
/* Rejected files with their reasons, sorted by path. */
enum cv_err cv_index_rejected(struct cv_index *idx,
                              void (*fn)(const struct cv_index_file *f, void *arg), void *arg);

/* Normalise search text the way names are keyed: half-width kana widened, hiragana turned
 * into katakana, spaces (ASCII and U+3000) removed. Appends to `out`. */
enum cv_err cv_index_search_key(const char *text, struct cv_buf *out);

#endif
