/*
 * index_internal.h: what the files of src/index/ share: the handle, the rows extracted from
 * one message, the work items a run passes from the reading thread to the writing thread, a
 * string arena per batch of items, and the functions each file provides.
 */
#ifndef CV_INDEX_INTERNAL_H
#define CV_INDEX_INTERNAL_H

#include <chartvault/hl7.h>
#include <chartvault/index.h>
#include <chartvault/ssmix2.h>

#include <sqlite3.h>
#include <sys/types.h>

#define INDEX_SCHEMA_VERSION 2
#define INDEX_APP_ID         0x43565831 /* "CVX1" */
#define INDEX_HASH_LEN       16
#define INDEX_BATCH_FILES    512
#define INDEX_MAX_DEPTH      16

struct cv_index {
    sqlite3 *db;
    char *path;
    unsigned flags;
    dev_t dev; /* of the open file, to notice a replacement */
    ino_t ino;
    uint64_t checked_ms;
    int stale; /* the schema version of an older index (only cv_index_update may touch it), or 0 */
    sqlite3_stmt *stmts[48]; /* prepared read statements, by enum in index_query.c */
};

/* ---- arena -------------------------------------------------------------------------------- */
struct xblock;
struct xarena {
    struct xblock *head;
    size_t bytes;
};
void *xa_alloc(struct xarena *a, size_t n);    /* zeroed; NULL when out of memory */
char *xa_dup(struct xarena *a, const char *s); /* NULL stays NULL */
char *xa_dupn(struct xarena *a, const char *s, size_t n);
/* Append one zeroed element to a growing array kept in the arena; NULL when out of memory. */
void *xa_push(struct xarena *a, void **arr, size_t *n, size_t *cap, size_t elem);
void xa_free(struct xarena *a);

/* ---- rows extracted from one message ------------------------------------------------------ */
struct x_demo {
    const char *family, *given, *kana_family, *kana_given, *birth_date, *sex, *blood_type, *rh;
    const char *postcode, *address, *phones /* JSON array */, *updated;
    double height_cm, weight_kg; /* < 0: none */
};
struct x_contact {
    const char *name, *relationship, *phones;
};
struct x_allergy {
    const char *source, *type, *code, *allergen, *severity, *reaction, *action, *onset;
};
struct x_diag {
    const char *action, *name, *code, *icd10, *onset, *outcome, *resolved;
    const char *confirmation, *start; /* PRB-13.1 as written (JHSD0005: 1 suspected), PRB-7 */
    int main;
};
struct x_adt {
    const char *kind, *event, *clinical_time, *patient_class, *ward, *room, *bed;
    const char *prior_ward, *prior_room, *prior_bed, *admitted, *discharged, *attending;
    int cancel;
};
struct x_component { /* one RXC of an injection */
    const char *type, *code, *name, *amount, *unit;
};
struct x_med {
    const char *kind, *order_no, *drug_code, *drug, *dose, *unit, *usage, *start, *end, *route;
    const char *instructions, *rate, *order_type;
    const char *start_time, *end_time; /* injections: TQ1-7, TQ1-8 to the minute, if given */
    struct x_component *components;    /* base (RXC-1 B) first, then the rest in message order */
    size_t ncomponents;
    int days;
};
struct x_lab {
    const char *code, *name, *value, *unit, *range, *flag, *time, *status;
    const char *sub_id; /* OBX-4 as written, only for results of a grouped OBR (cultures) */
    const char *test_code, *test_name, *specimen; /* OBR-4, SPM-4 */
    int obr;                                      /* which OBR of the message, from 1 */
};
struct x_diet {
    const char *text, *start;
};
struct x_report {
    const char *kind, *text, *time;
};
struct x_order {
    const char *kind, *order_no, *control, *code, *name, *time;
};

#define X_ARRAY(type, name)                                                                        \
    type *name;                                                                                    \
    size_t n_##name, cap_##name

struct x_rows {
    struct x_demo *demo;
    struct x_demo *pid; /* name, kana, birth, sex of the PID of a message other than ADT-00 */
    struct x_adt *adt;
    X_ARRAY(struct x_contact, contacts);
    X_ARRAY(struct x_allergy, allergies);
    X_ARRAY(struct x_diag, diags);
    X_ARRAY(struct x_med, meds);
    X_ARRAY(struct x_lab, labs);
    X_ARRAY(struct x_diet, diets);
    X_ARRAY(struct x_report, reports);
    X_ARRAY(struct x_order, orders);
};

/* Fill `rows` from a parsed message stored in a folder of data type `type`. Strings are
 * copied into `a`. Returns CV_ENOMEM only. */
enum cv_err index_extract(struct cv_hl7_msg *m, const struct cv_ssmix2_type *type,
                          const char *file_event_time, struct xarena *a, struct x_rows *rows);
/* Name, kana, birth date and sex from the first PID of any message (for a patient without
 * an ADT-00); the other fields stay empty. false when the message has no PID. */
bool index_extract_pid(struct cv_hl7_msg *m, struct xarena *a, struct x_demo *out, bool *oom);
/* ABO ("A", "B", "O", "AB") and Rh ("+", "-") from the value forms writers use ("A型",
 * "ＡＢ", "Rh(+)", "陰性", "POS" ...); NULL when the value is none of them. */
const char *index_abo(const char *value);
const char *index_rh(const char *value);

/* ---- work items --------------------------------------------------------------------------- */
enum item_kind { IT_NEW, IT_CONTENT, IT_RENAMED, IT_VANISHED, IT_TOUCHED, IT_DIR };

enum file_state { FS_CURRENT = 1, FS_SUPERSEDED = 2, FS_DELETED = 0, FS_REJECTED = 3 };

struct item {
    enum item_kind kind;
    int64_t file_id; /* the existing row, or the id chosen for a new one */
    int64_t dir_id;
    const char *dir;  /* relative folder ("" for the root) */
    const char *name; /* file name (IT_DIR: unused) */
    const char *old_name;
    int64_t size, mtime_ns, dir_sig;
    uint8_t hash[INDEX_HASH_LEN];
    bool have_hash, dir_is_new;
    /* filled by reading (IT_NEW, IT_CONTENT) */
    bool read_done, deferred;
    int state;
    const char *reason, *warnings, *event, *pid3, *msg_time;
    struct cv_ssmix2_path path; /* parsed path (name fields used for every kind) */
    bool path_ok;
    bool parses, high_entropy;
    double entropy;
    struct x_rows rows;
};

struct batch {
    struct item *items;
    size_t n, cap;
    struct xarena arena;
    struct batch *next;
};
struct item *batch_add(struct batch *b);
void batch_free(struct batch *b);

/* A reader per thread: HL7 parser and a read buffer. */
struct reader {
    struct cv_hl7_msg *msg;
    struct cv_buf buf;
    size_t max_bytes;
    unsigned settle_seconds;
    time_t now;
    uint64_t bytes;
    int dirfd; /* when >= 0, files are opened relative to it (the walk's current folder) */
};
enum cv_err reader_init(struct reader *r, const struct cv_index_options *opt);
void reader_free(struct reader *r);
/* Read, hash, parse and extract one file for item `it` (root-relative path from it->dir and
 * it->name). Never fails for the file's content (that becomes a rejection); CV_ENOMEM only. */
enum cv_err reader_process(struct reader *r, const char *root, struct item *it, struct xarena *a,
                           bool extract);
/* Hash only (rename detection). false when the file cannot be read. */
bool reader_hash(struct reader *r, const char *root, const char *dir, const char *name,
                 uint8_t hash[INDEX_HASH_LEN]);
/* "dir/name" into buf. */
/* `dir`/`name` (just `name` when dir is empty); CV_ETOOBIG rather than a cut path. */
CV_NODISCARD enum cv_err index_join(char *buf, size_t n, const char *dir, const char *name);

/* ---- writing ------------------------------------------------------------------------------ */
struct writer; /* prepared statements for one write connection */
enum cv_err writer_new(sqlite3 *db, struct writer **out);
void writer_free(struct writer *w);
/* Apply one item. Records the patients it touches in the writer's set. */
enum cv_err writer_apply(struct writer *w, const struct item *it);
/* Patients touched so far, then forget them. */
char **writer_take_touched(struct writer *w, size_t *n);
void index_free_strings(char **v, size_t n);

/* ---- derived current state ---------------------------------------------------------------- */
enum cv_err index_derive(sqlite3 *db, char **patients, size_t n);
enum cv_err index_derive_all(sqlite3 *db);

/* ---- database ----------------------------------------------------------------------------- */
enum cv_err index_exec(sqlite3 *db, const char *sql);
/* The index holds patient data: its file is its owner's to write and its group's (the
 * viewer's) to read, never anyone else's, whatever the umask. Creates `path` 0640 when it
 * is missing and takes group-write and every bit for others off an existing one. SQLite gives
 * the -wal and -shm files the database file's mode. */
enum cv_err index_file_mode(const char *path);
enum cv_err index_db_error(sqlite3 *db, const char *what);
/* what made the last call on db fail: the system error when there was one (never NULL) */
const char *index_db_cause(sqlite3 *db);
enum cv_err index_check_writable(sqlite3 *db, const char *path, int open_errno);
/* "'PATH' was made by an older chartvault ... rebuild it with ..." */
enum cv_err index_stale_error(const char *path, int version);
enum cv_err index_create_tables(sqlite3 *db);
enum cv_err index_create_indexes(sqlite3 *db);
enum cv_err index_meta_set(sqlite3 *db, const char *key, const char *value);
/* Reopen a read-only handle when its file was replaced. */
enum cv_err index_refresh(struct cv_index *idx);
enum cv_err index_reopen(struct cv_index *idx);
void index_close_db(struct cv_index *idx);
sqlite3_stmt *index_stmt(struct cv_index *idx, int which, const char *sql);
const char *index_col(sqlite3_stmt *st, int col); /* NULL for SQL NULL */

/* ---- walking ------------------------------------------------------------------------------
 * Walk `root` comparing it with the index at `view_path` (read through each thread's own
 * read-only connection; NULL for a first build, when there is nothing to compare with), and
 * hand batches of work items to `sink` (called from every walking thread at once: it locks what it
 * shares; it takes ownership). Patient folders are shared out between threads (one per core,
 * $CV_INDEX_THREADS to override). With `extract`, new and changed files are parsed and their rows
 * extracted; without it (a daemon's scan) changed files are only read and classified. */
struct walk_sink {
    enum cv_err (*batch_ready)(struct batch *b, void *arg);
    void *arg;
};
enum cv_err index_walk(const char *view_path, const char *root, const struct cv_index_options *opt,
                       struct walk_sink *sink, struct cv_index_stats *stats, bool extract);

/* ---- runs -------------------------------------------------------------------------------- */
/* Derive touched (or all) patients and record the run in meta; inside the run's transaction.
 * FINISH_TIME advances the data time; FINISH_COUNTS recounts patients and files. */
enum { FINISH_TIME = 1, FINISH_COUNTS = 2 };
enum cv_err index_finish_run(sqlite3 *db, struct writer *w, bool all_patients, const char *root,
                             const struct cv_index_stats *stats, unsigned record);
enum cv_err index_open_view(struct cv_index *idx, sqlite3 **out);
enum cv_err index_files_count(sqlite3 *db, long long *n);

/* ---- keys --------------------------------------------------------------------------------- */
/* Name keys for search: family+given with spaces removed (kana also widened/katakana). */
char *index_name_key(const char *family, const char *given, bool kana);

#endif
