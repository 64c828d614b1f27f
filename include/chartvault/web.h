/*
 * chartvault/web.h: the downtime viewer's library side: viewer accounts (Argon2id passwords,
 * lockout, TOTP), the hash-chained audit log, and the HTTPS server that `chartvault serve`
 * runs. Everything lives in a state folder that holds no repository key:
 *
 *   STATE/accounts        one account per line (0600), changed under STATE/accounts.lock
 *   STATE/audit.log       one JSON record per line, each carrying the hash of the one before
 *   STATE/audit.head      the sequence number and hash of the last record known to be on disk
 *   STATE/tls/            the self-signed certificate made on first start (when none is given)
 */
#ifndef CHARTVAULT_WEB_H
#define CHARTVAULT_WEB_H

#include <chartvault/common.h>

/* ---- accounts ----------------------------------------------------------------------------- */
#define CV_ACCOUNT_NAME_MAX      32 /* [a-z0-9._-], starting with a letter or digit */
#define CV_PASSWORD_MIN_CHARS    16 /* characters (UTF-8 code points), not bytes */
#define CV_LOCKOUT_FAILURES      5  /* from one source (address, or IPv6 /64) */
#define CV_LOCKOUT_WINDOW_SECS   (15 * 60)
#define CV_LOCKOUT_DURATION_SECS (15 * 60)
/* From all sources together: past this many failures in the window every source needs the
 * one-time code as well (ten sources' worth: one address cannot get there alone). */
#define CV_LOCKOUT_ACCOUNT_FAILURES (10 * CV_LOCKOUT_FAILURES)

/* viewer: reads the live data; doctor: also earlier snapshots ("as it was before ..."); admin:
 * everything. Values are only ever appended (the accounts file stores the names). */
enum cv_role { CV_ROLE_VIEWER, CV_ROLE_ADMIN, CV_ROLE_DOCTOR };

struct cv_account_info {
    char name[CV_ACCOUNT_NAME_MAX + 1];
    enum cv_role role;
    bool locked_by_admin;
    time_t locked_until; /* the latest lockout of a source after failures; 0 when none */
    int recent_failures; /* within the lockout window, from all sources */
    bool totp;
    time_t created;
};

/* Outcome of a login attempt; anything but CV_LOGIN_OK is a refusal. A name that is no
 * account gets the same outcomes (BAD, LOCKED_NOW, LOCKED) after the same work, so neither
 * the answer nor its time tells whether it exists. */
enum cv_login_result {
    CV_LOGIN_OK,
    CV_LOGIN_BAD,         /* wrong name or password (not told apart) */
    CV_LOGIN_TOTP_NEEDED, /* right password, the account wants a code and none was given */
    CV_LOGIN_TOTP_BAD,    /* right password, wrong or replayed code */
    CV_LOGIN_LOCKED,      /* this name is locked from this source (or everywhere: see
                             CV_LOCKOUT_ACCOUNT_FAILURES); only password + code pass */
    CV_LOGIN_LOCKED_NOW,  /* this failure locked the name from this source */
    CV_LOGIN_DISABLED,    /* locked by an administrator (told only after the right password) */
    CV_LOGIN_THROTTLED,   /* the source is throttled and this was not password + code */
};

/* One login attempt. */
struct cv_login {
    const char *name, *password;
    const char *totp_code;   /* NULL or "" when none was given */
    const char *source;      /* the client's address (IPv6: its /64); failures are kept per
                                name and source */
    bool second_factor_only; /* the source is throttled: only password + code may pass */
};

const char *cv_role_name(enum cv_role role);
enum cv_err cv_role_parse(const char *s, enum cv_role *out);
const char *cv_login_result_name(enum cv_login_result r);
/* CV_EINVAL with a reason unless `name` is a valid account name. */
enum cv_err cv_account_name_check(const char *name);
/* CV_EINVAL with a reason unless `password` is long enough. */
enum cv_err cv_password_check(const char *password);

/* Add an account. Refuses a duplicate name, a short password, and a password that another
 * account already uses (checked by verifying it against each stored Argon2id hash, so
 * nothing but those salted hashes is ever stored). */
enum cv_err cv_account_add(const char *state, const char *name, enum cv_role role,
                           const char *password);
enum cv_err cv_account_set_password(const char *state, const char *name, const char *password);
/* Lock (an administrator's lock, until unlocked) or unlock (also clears failure lockout). */
enum cv_err cv_account_set_locked(const char *state, const char *name, bool locked);
/* Make a new TOTP secret for `name` (replacing any) and return it in base32 in `secret_b32`
 * (>= 33 bytes). */
enum cv_err cv_account_totp_enrol(const char *state, const char *name, char *secret_b32, size_t n);
enum cv_err cv_account_totp_remove(const char *state, const char *name);
/* All accounts, sorted by name. [out] *list (caller frees with cv_free) and *count. */
enum cv_err cv_account_list(const char *state, struct cv_account_info **list, size_t *count);
/* Check a login at time `now`: exactly one Argon2id verification whatever the name, failures
 * and lockouts recorded per name and source in STATE/lockout. A source locked after
 * CV_LOCKOUT_FAILURES failures in the window stays locked for CV_LOCKOUT_DURATION_SECS, but
 * the right password with the right one-time code still passes, so guessing cannot lock the
 * owner out. [out] *result; *role on success. */
CV_NODISCARD enum cv_err cv_account_login(const char *state, const struct cv_login *in, time_t now,
                                          enum cv_login_result *result, enum cv_role *role);

/* ---- TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30 s) ------------------------------------------ */
/* The 6-digit code of `secret` for time step `step`. */
enum cv_err cv_totp_code(const uint8_t *secret, size_t n, uint64_t step, char code[7]);
/* RFC 4648 base32 without padding; `out` holds at least n * 8 / 5 + 2 bytes. */
void cv_base32_encode(const uint8_t *p, size_t n, char *out);
/* Decode base32 (case-insensitive, no padding) into at most `max` bytes. */
enum cv_err cv_base32_decode(const char *s, uint8_t *out, size_t max, size_t *n);
/* "otpauth://totp/chartvault:NAME?secret=...&issuer=chartvault..." into `out`. */
enum cv_err cv_totp_uri(const char *name, const char *secret_b32, struct cv_buf *out);
/* The QR code of `text` drawn for a terminal with Unicode half blocks. */
enum cv_err cv_qr_render_text(const char *text, struct cv_buf *out);

/* ---- audit log ---------------------------------------------------------------------------- */
struct cv_audit;

/* One record. Strings may be NULL. */
struct cv_audit_event {
    const char *event;   /* login, logout, search, view, print, ward, beds, user-add... */
    const char *result;  /* ok, fail, locked, lockout, ... */
    const char *user;    /* account name, or NULL */
    const char *addr;    /* client address, or NULL */
    const char *patient; /* patient ID viewed or printed */
    const char *detail;  /* search text, ward, reason */
};

/* Open STATE/audit.log for appending (creating it, 0600). [out] *out, free with
 * cv_audit_close(). */
CV_NODISCARD enum cv_err cv_audit_open(const char *state, struct cv_audit **out);
/* Append one record chained to the last one on disk (other processes may append too: the
 * file is locked while writing). The write reaches the kernel before this returns; it is
 * flushed to the disk by cv_audit_sync(). */
CV_NODISCARD enum cv_err cv_audit_append(struct cv_audit *a, const struct cv_audit_event *ev);
/* fdatasync the log and record its head, when anything was appended since the last call. */
enum cv_err cv_audit_sync(struct cv_audit *a);
void cv_audit_close(struct cv_audit *a);
/* Open, append one record, sync and close: for commands that write a single record. */
CV_NODISCARD enum cv_err cv_audit_append_once(const char *state, const struct cv_audit_event *ev);

struct cv_audit_verify {
    uint64_t records;
    uint64_t first_bad_line; /* 1-based line number of the first problem, 0 when none */
    char reason[256];        /* what is wrong there */
};
/* Walk the whole chain. Returns CV_OK when the walk could be done (see v->first_bad_line for
 * the verdict), an error when the log could not be read. */
CV_NODISCARD enum cv_err cv_audit_verify(const char *state, struct cv_audit_verify *v);

/* A parsed record, for export. Strings point into the record's own storage. */
struct cv_audit_record {
    uint64_t seq;
    const char *time, *event, *result, *user, *addr, *patient, *detail, *prev, *hash;
    char storage[8192];
};
/* Parse one line of the log (without its newline). */
enum cv_err cv_audit_record_parse(const char *line, size_t n, struct cv_audit_record *r);

/* ---- earlier snapshots ------------------------------------------------------------------ */
struct cv_web_snapshot {
    char name[80];
    long long time; /* seconds since 1970 */
    bool has_index; /* taken with the reference index (only those can be shown) */
    bool suspect;   /* tagged suspect: taken while the source was frozen */
};

/* Where the viewer finds earlier snapshots' indexes. The viewer never opens a repository and
 * never holds its key: `chartvault serve --repo` hands it a helper process that does (see
 * cmd_serve.c). Called from worker threads, one call at a time. */
struct cv_web_snapshots {
    /* Every snapshot, oldest first. [out] *v: caller frees with cv_free(). */
    enum cv_err (*list)(void *arg, struct cv_web_snapshot **v, size_t *n);
    /* The path of a read-only copy of snapshot `name`'s index, made on first use, and the
     * snapshot's time. */
    enum cv_err (*index_path)(void *arg, const char *name, char *path, size_t n, long long *time);
    void *arg;
};

/* ---- the server --------------------------------------------------------------------------- */
struct cv_web_config {
    const char *db_path;   /* the reference index, opened read-only */
    const char *state_dir; /* accounts, audit log, self-signed certificate */
    const char *listen;    /* "ADDR:PORT"; default "127.0.0.1:8443" */
    const char *tls_cert;  /* PEM; NULL: make or reuse STATE/tls/cert.pem */
    const char *tls_key;   /* PEM */
    const char *client_ca; /* PEM: demand client certificates signed by it; NULL: none */
    long stale_minutes;    /* freshness banner turns red past this; default 30 */
    unsigned threads;      /* worker threads; 0: one per core */
    /* `db_path` is the index of this snapshot (serve --repo): the banner says so */
    const char *snapshot_name;
    long long snapshot_time;
    /* earlier snapshots a doctor or admin may switch to (audited); NULL: none */
    const struct cv_web_snapshots *snapshots;
    /* the daemon's downtime packs ([print] folder, its current/ is listed); NULL: none */
    const char *packs_dir;
    /* the inspection report and status files for the admin page (`chartvault report --dir`:
       report.pdf, report.html, report.json, status.json); NULL: no admin page */
    const char *report_dir;
    unsigned request_secs; /* the most one request may take, from its connection's opening
                              (or the previous answer) to its answer; 0: 30 */
    unsigned per_address;  /* connections one client address may hold; 0: 32 */
};

struct cv_web;

/* Start serving in background threads. [out] *out; *fingerprint (caller frees) is the
 * SHA-256 fingerprint of the server certificate as colon-separated hex, and *made_cert
 * tells whether it was made now. */
enum cv_err cv_web_start(const struct cv_web_config *cfg, struct cv_web **out, char **fingerprint,
                         bool *made_cert);
/* Periodic duties (audit sync, expired sessions); call about once a second. */
void cv_web_tick(struct cv_web *w);
void cv_web_stop(struct cv_web *w);

#endif
