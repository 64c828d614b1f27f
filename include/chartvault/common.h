/*
 * chartvault/common.h: what every module of libchartvault shares: the error enum and the
 * per-thread error message, the one allocation wrapper, size-capped buffers, logging through
 * a sink the application installs (the library never prints), a replaceable clock, and a
 * small streaming JSON writer for --json output.
 */
#ifndef CHARTVAULT_COMMON_H
#define CHARTVAULT_COMMON_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#if defined(__GNUC__)
#define CV_PRINTF(f, a) __attribute__((format(printf, f, a)))
#define CV_NODISCARD    __attribute__((warn_unused_result))
#else
#define CV_PRINTF(f, a)
#define CV_NODISCARD
#endif

/* ---- errors ----------------------------------------------------------------------------
 * Every fallible function returns enum cv_err (0 = success). Values are only ever appended.
 * The function that detects a failure also records a human sentence with context
 * ("cannot open 'x': No such file or directory") with cv_fail(); callers read it with
 * cv_errmsg(). The message is per thread and valid until the next cv_fail() on that thread.
 */
enum cv_err {
    CV_OK = 0,
    CV_ENOMEM,       /* out of memory */
    CV_EINVAL,       /* invalid argument or usage */
    CV_EIO,          /* I/O error (read, write, fsync, rename...) */
    CV_ENOENT,       /* no such file, object, patient... */
    CV_EEXIST,       /* already exists */
    CV_ETOOBIG,      /* over a size cap */
    CV_EPARSE,       /* malformed input */
    CV_ECHARSET,     /* bad or unsupported character encoding */
    CV_EDB,          /* SQLite error */
    CV_ECRYPTO,      /* cryptographic failure (not authentication) */
    CV_EAUTH,        /* wrong passphrase / password / MAC mismatch */
    CV_ECORRUPT,     /* damaged repository or index data */
    CV_EPERM,        /* permission denied or unsafe permissions */
    CV_EBUSY,        /* locked by another process */
    CV_ENOSPC,       /* disk full */
    CV_EUNSUPPORTED, /* valid but not supported (format version, feature) */
    CV_ENET,         /* network failure */
    CV_ELOCKED,      /* account locked */
    CV_ECANCELED,    /* stopped by the caller (signal, progress callback) */
    CV_ERR_COUNT_    /* keep last */
};

/* A short, fixed description of an error code ("out of memory"). Never NULL. */
const char *cv_strerror(enum cv_err err);

/* Record a message for this thread and return `err`, so a failure reads
 * `return cv_fail(CV_EIO, "cannot open '%s': %s", path, strerror(errno));` */
enum cv_err cv_fail(enum cv_err err, const char *fmt, ...) CV_PRINTF(2, 3);

/* Like cv_fail, with errno's text appended: "<message>: <strerror(errno)>".
 * Maps ENOENT, EACCES/EPERM, ENOSPC/EDQUOT, EEXIST to the matching code; else `err`. */
enum cv_err cv_fail_errno(enum cv_err err, const char *fmt, ...) CV_PRINTF(2, 3);

/* The message recorded by the last cv_fail on this thread, or "" if none. */
const char *cv_errmsg(void);

/* Prefix the current message with context: "backup: " + "cannot open...". Returns err. */
enum cv_err cv_fail_prefix(enum cv_err err, const char *fmt, ...) CV_PRINTF(2, 3);

/* ---- allocation ---------------------------------------------------------------------------
 * All library allocations go through these, so tests can count them and inject failures.
 * cv_free(NULL) is a no-op. They never abort: callers handle NULL.
 */
void *cv_malloc(size_t n);
void *cv_calloc(size_t count, size_t size);
void *cv_realloc(void *p, size_t n);
void *cv_reallocarray(void *p, size_t count, size_t size);
char *cv_strdup(const char *s);
char *cv_strndup(const char *s, size_t n);
void cv_free(void *p);

/* Test hooks: make the allocation after `n` more succeed fail (-1: never), and count calls. */
void cv_alloc_fail_after(long n);
unsigned long cv_alloc_count(void);

/* ---- size-capped buffers -----------------------------------------------------------------
 * A growable byte buffer that refuses to grow past `max` (CV_ETOOBIG). Always NUL-terminated
 * after a successful append, so text can be read as a C string. Zero-initialised with
 * CV_BUF_INIT(max) or cv_buf_init().
 *
 * The first failed append is sticky (as in cv_json): every later append does nothing and
 * returns the same error, and cv_buf_error() tells it, so a writer may append many pieces and
 * check once at the end, and text with a piece missing is never mistaken for whole.
 * cv_buf_reset() and cv_buf_free() clear it.
 */
struct cv_buf {
    char *data; /* NULL until the first append */
    size_t len;
    size_t cap;
    size_t max;
    enum cv_err err; /* the first failed append, CV_OK when none */
};
#define CV_BUF_INIT(maxbytes)                                                                      \
    {                                                                                              \
        NULL, 0, 0, (maxbytes), CV_OK                                                              \
    }

void cv_buf_init(struct cv_buf *b, size_t max);
enum cv_err cv_buf_reserve(struct cv_buf *b, size_t extra);
enum cv_err cv_buf_append(struct cv_buf *b, const void *p, size_t n);
enum cv_err cv_buf_puts(struct cv_buf *b, const char *s);
enum cv_err cv_buf_putc(struct cv_buf *b, char c);
enum cv_err cv_buf_printf(struct cv_buf *b, const char *fmt, ...) CV_PRINTF(2, 3);
enum cv_err cv_buf_vprintf(struct cv_buf *b, const char *fmt, va_list ap);
/* The first failed append since the last reset, or CV_OK. */
CV_NODISCARD enum cv_err cv_buf_error(const struct cv_buf *b);
/* Mark the buffer as not whole (a piece could not be made); later appends do nothing. */
void cv_buf_set_error(struct cv_buf *b, enum cv_err err);
/* "" when empty (never NULL). */
const char *cv_buf_str(const struct cv_buf *b);
void cv_buf_reset(struct cv_buf *b); /* len = 0 and no error, keeps memory */
void cv_buf_free(struct cv_buf *b);  /* frees memory, clears the error, keeps max */
/* Give the memory to the caller (caller frees with cv_free); the buffer becomes empty. */
char *cv_buf_steal(struct cv_buf *b, size_t *len);

/* Read a whole file into `b` (appending), failing with CV_ETOOBIG past b->max. */
CV_NODISCARD enum cv_err cv_buf_read_file(struct cv_buf *b, const char *path);

/* ---- logging --------------------------------------------------------------------------------
 * The library reports through a sink the application installs; without one, nothing is
 * printed. Log lines must never carry patient data: log counts, codes and reasons, never names,
 * IDs, birth dates, addresses or phone numbers; a path is redacted by cv_log() (cv_redact).
 */
enum cv_log_level { CV_LOG_DEBUG, CV_LOG_INFO, CV_LOG_WARN, CV_LOG_ERROR, CV_LOG_CRIT };

typedef void (*cv_log_sink)(enum cv_log_level level, const char *func, const char *msg, void *arg);
void cv_log_set_sink(cv_log_sink sink, void *arg, enum cv_log_level min_level);
void cv_log(enum cv_log_level level, const char *func, const char *fmt, ...) CV_PRINTF(3, 4);
const char *cv_log_level_name(enum cv_log_level level);

/* Patient identifiers out of a line (redact.c): every SS-MIX2 path or file name in `text`
 * (NUL-terminated, in a buffer of `cap` bytes) is rewritten in place as
 * "…/<patient>/20240110/ADT-22/<file REF>", and every other occurrence of a patient ID found
 * in it becomes "<patient>". REF, a keyed hash of the file name, appears once a key is set;
 * `chartvault query file REF` resolves it (the key is kept in the index). cv_log() applies
 * this to every line; alerts apply it to their text. Call cv_redact_set_key() before threads
 * start. */
#define CV_REDACT_KEY_LEN 32
#define CV_REDACT_REF_LEN 10
void cv_redact(char *text, size_t cap);
void cv_redact_set_key(const uint8_t key[CV_REDACT_KEY_LEN]); /* NULL: no refs */
void cv_redact_ref(const uint8_t key[CV_REDACT_KEY_LEN], const char *file_name,
                   char out[CV_REDACT_REF_LEN + 1]);

#define log_debug(...) cv_log(CV_LOG_DEBUG, __func__, __VA_ARGS__)
#define log_info(...)  cv_log(CV_LOG_INFO, __func__, __VA_ARGS__)
#define log_warn(...)  cv_log(CV_LOG_WARN, __func__, __VA_ARGS__)
#define log_error(...) cv_log(CV_LOG_ERROR, __func__, __VA_ARGS__)
#define log_crit(...)  cv_log(CV_LOG_CRIT, __func__, __VA_ARGS__)

/* ---- time ---------------------------------------------------------------------------------
 * Wall-clock time that tests can move: cv_now() is time(NULL) plus an offset taken from
 * cv_clock_set_offset(), and, in a build made for the tests only (CV_TEST_HOOKS), from the
 * file named by $CHARTVAULT_TEST_CLOCK_FILE (seconds to add, re-read on every call). The
 * release build ignores that variable. cv_monotonic_ms() is never moved.
 */
/* true in a build made for the tests (CV_TEST_HOOKS): `chartvault --version` says so */
bool cv_test_hooks(void);
time_t cv_now(void);
/* cv_now() to the nanosecond: seconds and nanoseconds read from one clock_gettime. */
void cv_now_ns(int64_t *sec, uint32_t *nsec);
void cv_clock_set_offset(long seconds);
uint64_t cv_monotonic_ms(void);
double cv_seconds_since(uint64_t start_ms);
/* Format `t` in local time as "YYYY-MM-DD HH:MM" (buf >= 17) / ISO 8601 with offset (>= 26). */
void cv_time_format_minutes(time_t t, char *buf, size_t n);
void cv_time_format_iso(time_t t, char *buf, size_t n);
/* Parse a duration "90", "90s", "15m", "1h", "2d" into seconds. */
CV_NODISCARD enum cv_err cv_parse_duration(const char *s, long *seconds);
/* Parse "YYYY-MM-DD" into days since 1970-01-01 (proleptic Gregorian, no time zone). */
CV_NODISCARD enum cv_err cv_parse_date(const char *s, long *days);
/* Days since 1970-01-01 -> y/m/d, and back. */
void cv_days_to_ymd(long days, int *y, int *m, int *d);
long cv_ymd_to_days(int y, int m, int d);

/* ---- today at the facility (src/common/today.c) -------------------------------------------
 * One definition of "today" for ages, current orders, census and freshness: the date at
 * the facility, in its time zone. cv_facility_zone_set(NULL) takes $CHARTVAULT_TIMEZONE, or
 * Asia/Tokyo; a tz database name ("Asia/Tokyo") or a POSIX rule ("JST-9"). It becomes the
 * process's TZ, so local times printed anywhere are facility times: call it once at start,
 * before threads (the CLI does); a program that never calls it gets the default on first use.
 * An unknown zone is refused with CV_EINVAL and changes nothing. */
enum cv_err cv_facility_zone_set(const char *zone);
const char *cv_facility_zone(void); /* the zone in force, as given */
/* Today (cv_now(), so tests can move it) at the facility: days since 1970-01-01, and as
 * "YYYY-MM-DD" (buf >= 11). */
long cv_today_days(void);
void cv_today(char buf[11]);
/* Whole years from `birth_date` ("YYYY-MM-DD") to the day `on_days`; -1 when unknown. */
int cv_age_on(const char *birth_date, long on_days);

/* ---- files --------------------------------------------------------------------------------- */
/* Write `n` bytes to `path` durably: temporary name in the same folder, fsync, rename,
 * fsync of the folder. Never leaves a half-written `path`. `mode` as for open(2). */
CV_NODISCARD enum cv_err cv_file_write_atomic(const char *path, const void *p, size_t n,
                                              unsigned mode);
/* Create `path` and missing parents (mode for the new ones). Existing folders are fine. */
CV_NODISCARD enum cv_err cv_mkdir_p(const char *path, unsigned mode);
/* Refuse a file that group or others may read or write (config, password and key files). */
CV_NODISCARD enum cv_err cv_file_check_private(const char *path);
/* fsync a folder, so that a rename or a new entry in it survives a crash. */
CV_NODISCARD enum cv_err cv_fsync_dir(const char *path);
/* true when `path` is an existing folder holding at least one entry other than . and .. */
bool cv_dir_nonempty(const char *path);

/* Join `dir` and `name` with one '/' into out[n], or fail with CV_ETOOBIG (out = "") rather
 * than cut the path short: a cut path names another file. */
CV_NODISCARD enum cv_err cv_path_join(char *out, size_t n, const char *dir, const char *name);
/* snprintf for paths: CV_ETOOBIG (out = "") instead of truncating. */
CV_NODISCARD enum cv_err cv_path_format(char *out, size_t n, const char *fmt, ...) CV_PRINTF(3, 4);

/* ---- JSON output -------------------------------------------------------------------------
 * A streaming writer into a cv_buf: commas and escaping are handled, structure is the
 * caller's. Strings are taken as UTF-8; invalid bytes come out as U+FFFD.
 */
struct cv_json {
    struct cv_buf *out;
    int depth;
    bool need_comma[32];
    bool after_key;
    bool pretty;
    enum cv_err err; /* first error; later calls do nothing */
};

void cv_json_init(struct cv_json *j, struct cv_buf *out, bool pretty);
void cv_json_object_begin(struct cv_json *j);
void cv_json_object_end(struct cv_json *j);
void cv_json_array_begin(struct cv_json *j);
void cv_json_array_end(struct cv_json *j);
void cv_json_key(struct cv_json *j, const char *key);
void cv_json_string(struct cv_json *j, const char *s); /* NULL -> null */
void cv_json_string_n(struct cv_json *j, const char *s, size_t n);
void cv_json_int(struct cv_json *j, long long v);
void cv_json_double(struct cv_json *j, double v);
void cv_json_bool(struct cv_json *j, bool v);
void cv_json_null(struct cv_json *j);
/* Key + value in one call. */
void cv_json_kv_string(struct cv_json *j, const char *key, const char *s);
void cv_json_kv_int(struct cv_json *j, const char *key, long long v);
void cv_json_kv_double(struct cv_json *j, const char *key, double v);
void cv_json_kv_bool(struct cv_json *j, const char *key, bool v);
/* The first error met (CV_ETOOBIG, CV_ENOMEM, CV_EINVAL for too deep), or CV_OK. */
CV_NODISCARD enum cv_err cv_json_finish(struct cv_json *j);

/* ---- terminal output (termsafe.c) ----------------------------------------------------------
 * Append s[0..n) for a terminal: control characters (C0, DEL, C1), bytes that are not UTF-8,
 * bidirectional overrides and '\' come out as visible escapes (\x1b, \u202e, \\). */
enum cv_err cv_term_escape(struct cv_buf *b, const char *s, size_t n);

/* ---- CSV (csv.c) ---------------------------------------------------------------------------
 * Append `s` (NULL: nothing) as one CSV field: quoted when needed, and with a leading
 * apostrophe when a spreadsheet would run it as a formula (= + - @ tab CR, and the
 * full-width and small forms of = + - @). Returns the buffer's (sticky) error. */
enum cv_err cv_csv_field(struct cv_buf *b, const char *s);

/* ---- progress -------------------------------------------------------------------------------
 * Long library work reports progress through a callback; the CLI draws a bar on a TTY.
 * Return false from the callback to cancel (the work stops with CV_ECANCELED).
 */
struct cv_progress {
    const char *phase; /* "scanning", "indexing", "backing up" ... */
    uint64_t done;     /* units done */
    uint64_t total;    /* units in all, 0 when unknown */
    uint64_t bytes;    /* bytes processed so far */
};
typedef bool (*cv_progress_fn)(const struct cv_progress *p, void *arg);

/* ---- UTF-8, hashing, entropy (utf8.c, fnv.c, entropy.c): one implementation each ------------ */
/* Length (1..4) of the valid UTF-8 sequence at s (n bytes available), 0 when it is not one:
 * no overlong forms, no surrogates, nothing past U+10FFFF. */
size_t cv_utf8_len(const void *s, size_t n);
/* The code point at s and its length in *len; an invalid sequence gives U+FFFD, *len = 1. */
uint32_t cv_utf8_decode(const void *s, size_t n, size_t *len);
bool cv_utf8_valid(const void *s, size_t n);

/* FNV-1a, 64 bits: for in-memory hash tables only (not for anything an attacker chooses). */
#define CV_FNV1A_OFFSET 14695981039346656037ULL
#define CV_FNV1A_PRIME  1099511628211ULL
uint64_t cv_fnv1a(uint64_t h, const void *p, size_t n); /* start with h = CV_FNV1A_OFFSET */
uint64_t cv_fnv1a_str(const char *s);

/* Shannon entropy of n bytes in bits per byte (0..8), and the ransomware detector's verdict:
 * at least CV_ENTROPY_MIN_BYTES and more than CV_ENTROPY_HIGH_BITS (entropy.c says why). */
#define CV_ENTROPY_MIN_BYTES 512
#define CV_ENTROPY_HIGH_BITS 7.2
double cv_entropy_bits(const void *p, size_t n);
bool cv_looks_encrypted(const void *p, size_t n, double *bits);

/* ---- small helpers -------------------------------------------------------------------------- */
#define CV_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
/* Copy with truncation; always NUL-terminates when n > 0. Returns strlen(src). */
size_t cv_strlcpy(char *dst, const char *src, size_t n);
/* "512 B", "1.5 KiB", "3.2 GiB": a size for people. */
void cv_format_bytes(uint64_t n, char *buf, size_t len);
/* Lower-case hex of `n` bytes into `hex` (2n+1 bytes). */
void cv_hex_encode(const uint8_t *p, size_t n, char *hex);
/* Parse exactly 2n hex digits into `p`. */
CV_NODISCARD enum cv_err cv_hex_decode(const char *hex, uint8_t *p, size_t n);

#endif
