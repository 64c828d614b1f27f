/*
 * accounts.c: viewer accounts in STATE/accounts: Argon2id password hashes (libsodium),
 * roles, an administrator's lock, failure lockout (5 failures in 15 minutes lock for 15
 * minutes) and TOTP secrets. The file is small; every change reads it, changes it and writes
 * it back atomically while holding STATE/accounts.lock, so `chartvault user` and a running
 * viewer can both change it safely.
 *
 * Line format (tab-separated), after a "# chartvault accounts 1" header:
 *   name role admin-lock locked-until totp-secret|- totp-last-step failures created hash
 * failures is a comma list of Unix times within the window, or "-".
 */
#include "web_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define ACCOUNTS_HEADER   "# chartvault accounts 1\n"
#define ACCOUNTS_MAX      4096
#define ACCOUNTS_FILE_MAX (4u << 20)
#define TOTP_SECRET_BYTES 20

struct accounts {
    char path[4096];
    int lock_fd;
    struct account *v;
    size_t n;
};

const char *cv_role_name(enum cv_role role)
{
    return role == CV_ROLE_ADMIN ? "admin" : role == CV_ROLE_DOCTOR ? "doctor" : "viewer";
}

enum cv_err cv_role_parse(const char *s, enum cv_role *out)
{
    if (strcmp(s, "viewer") == 0)
        *out = CV_ROLE_VIEWER;
    else if (strcmp(s, "admin") == 0)
        *out = CV_ROLE_ADMIN;
    else if (strcmp(s, "doctor") == 0)
        *out = CV_ROLE_DOCTOR;
    else
        return cv_fail(CV_EINVAL, "role must be 'viewer', 'doctor' or 'admin', not '%s'", s);
    return CV_OK;
}

const char *cv_login_result_name(enum cv_login_result r)
{
    static const char *const names[] = {"ok",     "fail",       "totp-needed", "totp-fail",
                                        "locked", "locked-now", "disabled"};

    return (size_t)r < CV_ARRAY_LEN(names) ? names[r] : "?";
}

enum cv_err cv_account_name_check(const char *name)
{
    size_t n = strlen(name);

    if (n == 0 || n > CV_ACCOUNT_NAME_MAX)
        return cv_fail(CV_EINVAL, "account name must have 1 to %d characters", CV_ACCOUNT_NAME_MAX);
    for (size_t i = 0; i < n; i++) {
        char c = name[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  (i > 0 && (c == '.' || c == '_' || c == '-'));

        if (!ok)
            return cv_fail(CV_EINVAL,
                           "account name '%s' may hold only a-z, 0-9, '.', '_' and '-' "
                           "(not first)",
                           name);
    }
    return CV_OK;
}

enum cv_err cv_password_check(const char *password)
{
    size_t chars = 0;

    for (const unsigned char *p = (const unsigned char *)password; *p; p++)
        if ((*p & 0xC0) != 0x80)
            chars++;
    if (chars < CV_PASSWORD_MIN_CHARS)
        return cv_fail(CV_EINVAL, "password has %zu characters; at least %d are needed", chars,
                       CV_PASSWORD_MIN_CHARS);
    return CV_OK;
}

/* ---- the file ----------------------------------------------------------------------------- */

static enum cv_err parse_failures(char *s, struct account *a)
{
    a->nfail = 0;
    if (strcmp(s, "-") == 0)
        return CV_OK;
    for (char *save = NULL, *t = strtok_r(s, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (a->nfail >= CV_LOCKOUT_FAILURES)
            return CV_EPARSE;
        a->failures[a->nfail++] = strtoll(t, NULL, 10);
    }
    return CV_OK;
}

/* Parse one line into `a`; CV_EPARSE when it is not a well-formed account. */
enum cv_err web_account_line_parse(char *line, struct account *a)
{
    char *f[9];
    size_t nf = 0;
    char *save = NULL;

    memset(a, 0, sizeof(*a));
    for (char *t = strtok_r(line, "\t", &save); t && nf < 9; t = strtok_r(NULL, "\t", &save))
        f[nf++] = t;
    if (nf != 9 || strtok_r(NULL, "\t", &save))
        return CV_EPARSE;
    if (strlen(f[0]) > CV_ACCOUNT_NAME_MAX || cv_account_name_check(f[0]) != CV_OK)
        return CV_EPARSE;
    strcpy(a->name, f[0]);
    if (cv_role_parse(f[1], &a->role) != CV_OK)
        return CV_EPARSE;
    a->admin_lock = strcmp(f[2], "locked") == 0;
    a->locked_until = strtoll(f[3], NULL, 10);
    if (strcmp(f[4], "-") != 0) {
        if (strlen(f[4]) >= sizeof(a->totp))
            return CV_EPARSE;
        strcpy(a->totp, f[4]);
    }
    a->totp_step = strtoll(f[5], NULL, 10);
    if (parse_failures(f[6], a) != CV_OK)
        return CV_EPARSE;
    a->created = strtoll(f[7], NULL, 10);
    if (strlen(f[8]) >= sizeof(a->hash) || strncmp(f[8], "$argon2id$", 10) != 0)
        return CV_EPARSE;
    strcpy(a->hash, f[8]);
    return CV_OK;
}

/* Parse the whole file text (modified in place) into a freshly allocated array. */
enum cv_err web_accounts_parse(char *text, const char *path, struct account **out, size_t *count)
{
    struct account *v = NULL;
    size_t n = 0, lineno = 0;
    char *save = NULL;

    *out = NULL;
    *count = 0;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        lineno++;
        if (line[0] == '#')
            continue;
        if (n >= ACCOUNTS_MAX) {
            cv_free(v);
            return cv_fail(CV_ETOOBIG, "'%s' holds more than %d accounts", path, ACCOUNTS_MAX);
        }
        if (n % 16 == 0) {
            struct account *nv = cv_reallocarray(v, n + 16, sizeof(*v));

            if (!nv) {
                cv_free(v);
                return cv_fail(CV_ENOMEM, "out of memory");
            }
            v = nv;
        }
        if (web_account_line_parse(line, &v[n]) != CV_OK) {
            cv_free(v);
            return cv_fail(CV_ECORRUPT, "'%s' line %zu is not a valid account", path, lineno);
        }
        n++;
    }
    *out = v;
    *count = n;
    return CV_OK;
}

static void accounts_release(struct accounts *s)
{
    if (s->v)
        sodium_memzero(s->v, s->n * sizeof(*s->v));
    cv_free(s->v);
    s->v = NULL;
    s->n = 0;
    if (s->lock_fd >= 0)
        close(s->lock_fd); /* drops the flock */
    s->lock_fd = -1;
}

/* Lock STATE/accounts.lock and read STATE/accounts (missing file: no accounts). */
static enum cv_err accounts_begin(const char *state, struct accounts *s)
{
    struct cv_buf text = CV_BUF_INIT(ACCOUNTS_FILE_MAX);
    char lock[4096 + 8];
    enum cv_err err;

    memset(s, 0, sizeof(*s));
    s->lock_fd = -1;
    err = cv_mkdir_p(state, 0700);
    if (err)
        return err;
    if ((size_t)snprintf(s->path, sizeof(s->path), "%s/accounts", state) >= sizeof(s->path))
        return cv_fail(CV_EINVAL, "state folder path too long");
    snprintf(lock, sizeof(lock), "%s.lock", s->path);
    s->lock_fd = open(lock, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (s->lock_fd < 0)
        return cv_fail_errno(CV_EIO, "cannot open '%s'", lock);
    while (flock(s->lock_fd, LOCK_EX) != 0)
        if (errno != EINTR) {
            err = cv_fail_errno(CV_EIO, "cannot lock '%s'", lock);
            goto out_unlock;
        }
    err = cv_buf_read_file(&text, s->path);
    if (err == CV_ENOENT) {
        cv_buf_free(&text);
        return CV_OK;
    }
    if (!err)
        err = cv_file_check_private(s->path);
    if (!err && text.data)
        err = web_accounts_parse(text.data, s->path, &s->v, &s->n);
    if (text.data)
        sodium_memzero(text.data, text.len);
    cv_buf_free(&text);
    if (!err)
        return CV_OK;
out_unlock:
    accounts_release(s);
    return err;
}

static enum cv_err write_account(struct cv_buf *b, const struct account *a)
{
    enum cv_err err;

    err = cv_buf_printf(b, "%s\t%s\t%s\t%lld\t%s\t%lld\t", a->name, cv_role_name(a->role),
                        a->admin_lock ? "locked" : "open", (long long)a->locked_until,
                        a->totp[0] ? a->totp : "-", (long long)a->totp_step);
    for (int i = 0; !err && i < a->nfail; i++)
        err = cv_buf_printf(b, "%s%lld", i ? "," : "", (long long)a->failures[i]);
    if (!err && a->nfail == 0)
        err = cv_buf_putc(b, '-');
    if (!err)
        err = cv_buf_printf(b, "\t%lld\t%s\n", (long long)a->created, a->hash);
    return err;
}

/* Write the accounts back and release the lock. */
static enum cv_err accounts_commit(struct accounts *s)
{
    struct cv_buf b = CV_BUF_INIT(ACCOUNTS_FILE_MAX);
    enum cv_err err = cv_buf_puts(&b, ACCOUNTS_HEADER);

    for (size_t i = 0; !err && i < s->n; i++)
        err = write_account(&b, &s->v[i]);
    if (!err)
        err = cv_file_write_atomic(s->path, b.data, b.len, 0600);
    if (b.data)
        sodium_memzero(b.data, b.len);
    cv_buf_free(&b);
    accounts_release(s);
    return err;
}

static struct account *accounts_find(struct accounts *s, const char *name)
{
    for (size_t i = 0; i < s->n; i++)
        if (strcmp(s->v[i].name, name) == 0)
            return &s->v[i];
    return NULL;
}

static enum cv_err accounts_find_or_fail(struct accounts *s, const char *name, struct account **out)
{
    *out = accounts_find(s, name);
    if (!*out) {
        accounts_release(s);
        return cv_fail(CV_ENOENT, "no account '%s'", name);
    }
    return CV_OK;
}

/* ---- passwords ---------------------------------------------------------------------------- */

static enum cv_err password_hash(const char *password, char hash[crypto_pwhash_STRBYTES])
{
    if (sodium_init() < 0)
        return cv_fail(CV_ECRYPTO, "libsodium failed to initialise");
    if (crypto_pwhash_str(hash, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                          crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
        return cv_fail(CV_ENOMEM, "out of memory hashing a password");
    return CV_OK;
}

static bool password_matches(const struct account *a, const char *password)
{
    return crypto_pwhash_str_verify(a->hash, password, strlen(password)) == 0;
}

/* Refuse a password that any account other than `self` already uses. Each stored hash has
 * its own salt, so this costs one Argon2id per account: the price of keeping nothing but
 * salted hashes. */
static enum cv_err password_unique(struct accounts *s, const struct account *self,
                                   const char *password)
{
    for (size_t i = 0; i < s->n; i++)
        if (&s->v[i] != self && password_matches(&s->v[i], password))
            return cv_fail(CV_EEXIST, "this password is already used by another account; "
                                      "choose another");
    return CV_OK;
}

enum cv_err cv_account_add(const char *state, const char *name, enum cv_role role,
                           const char *password)
{
    struct accounts s;
    struct account *a, *nv;
    enum cv_err err;

    err = cv_account_name_check(name);
    if (!err)
        err = cv_password_check(password);
    if (!err)
        err = accounts_begin(state, &s);
    if (err)
        return err;
    if (accounts_find(&s, name)) {
        accounts_release(&s);
        return cv_fail(CV_EEXIST, "account '%s' already exists", name);
    }
    err = password_unique(&s, NULL, password);
    if (err) {
        accounts_release(&s);
        return err;
    }
    nv = cv_reallocarray(s.v, s.n + 1, sizeof(*s.v));
    if (!nv) {
        accounts_release(&s);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    s.v = nv;
    a = &s.v[s.n];
    memset(a, 0, sizeof(*a));
    strcpy(a->name, name);
    a->role = role;
    a->created = cv_now();
    err = password_hash(password, a->hash);
    if (err) {
        accounts_release(&s);
        return err;
    }
    s.n++;
    return accounts_commit(&s);
}

enum cv_err cv_account_set_password(const char *state, const char *name, const char *password)
{
    struct accounts s;
    struct account *a;
    enum cv_err err;

    err = cv_password_check(password);
    if (!err)
        err = accounts_begin(state, &s);
    if (!err)
        err = accounts_find_or_fail(&s, name, &a);
    if (err)
        return err;
    err = password_unique(&s, a, password);
    if (!err)
        err = password_hash(password, a->hash);
    if (err) {
        accounts_release(&s);
        return err;
    }
    return accounts_commit(&s);
}

enum cv_err cv_account_set_locked(const char *state, const char *name, bool locked)
{
    struct accounts s;
    struct account *a;
    enum cv_err err;

    err = accounts_begin(state, &s);
    if (!err)
        err = accounts_find_or_fail(&s, name, &a);
    if (err)
        return err;
    a->admin_lock = locked;
    if (!locked) {
        a->locked_until = 0;
        a->nfail = 0;
    }
    return accounts_commit(&s);
}

enum cv_err cv_account_totp_enrol(const char *state, const char *name, char *secret_b32, size_t n)
{
    uint8_t secret[TOTP_SECRET_BYTES];
    struct accounts s;
    struct account *a;
    enum cv_err err;

    if (n < TOTP_SECRET_BYTES * 8 / 5 + 2)
        return cv_fail(CV_EINVAL, "secret buffer too small");
    if (sodium_init() < 0)
        return cv_fail(CV_ECRYPTO, "libsodium failed to initialise");
    err = accounts_begin(state, &s);
    if (!err)
        err = accounts_find_or_fail(&s, name, &a);
    if (err)
        return err;
    randombytes_buf(secret, sizeof(secret));
    cv_base32_encode(secret, sizeof(secret), a->totp);
    a->totp_step = 0;
    sodium_memzero(secret, sizeof(secret));
    cv_strlcpy(secret_b32, a->totp, n);
    return accounts_commit(&s);
}

enum cv_err cv_account_totp_remove(const char *state, const char *name)
{
    struct accounts s;
    struct account *a;
    enum cv_err err;

    err = accounts_begin(state, &s);
    if (!err)
        err = accounts_find_or_fail(&s, name, &a);
    if (err)
        return err;
    sodium_memzero(a->totp, sizeof(a->totp));
    a->totp_step = 0;
    return accounts_commit(&s);
}

/* Failures older than the window no longer count. */
static void failures_prune(struct account *a, time_t now)
{
    int k = 0;

    for (int i = 0; i < a->nfail; i++)
        if (a->failures[i] > now - CV_LOCKOUT_WINDOW_SECS)
            a->failures[k++] = a->failures[i];
    a->nfail = k;
}

static int cmp_info(const void *x, const void *y)
{
    return strcmp(((const struct cv_account_info *)x)->name,
                  ((const struct cv_account_info *)y)->name);
}

enum cv_err cv_account_list(const char *state, struct cv_account_info **list, size_t *count)
{
    struct cv_account_info *v;
    struct accounts s;
    enum cv_err err;
    time_t now = cv_now();

    *list = NULL;
    *count = 0;
    err = accounts_begin(state, &s);
    if (err)
        return err;
    v = cv_calloc(s.n ? s.n : 1, sizeof(*v));
    if (!v) {
        accounts_release(&s);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < s.n; i++) {
        failures_prune(&s.v[i], now);
        strcpy(v[i].name, s.v[i].name);
        v[i].role = s.v[i].role;
        v[i].locked_by_admin = s.v[i].admin_lock;
        v[i].locked_until = s.v[i].locked_until > now ? s.v[i].locked_until : 0;
        v[i].recent_failures = s.v[i].nfail;
        v[i].totp = s.v[i].totp[0] != '\0';
        v[i].created = s.v[i].created;
    }
    qsort(v, s.n, sizeof(*v), cmp_info);
    *list = v;
    *count = s.n;
    accounts_release(&s);
    return CV_OK;
}

/* ---- login -------------------------------------------------------------------------------- */

/* Check the code against the steps around now, refusing a step already used (replay). */
static bool totp_accept(struct account *a, const char *code, time_t now)
{
    uint8_t secret[64];
    size_t n;
    bool ok = false;
    int64_t step = now / 30;

    if (!code || strlen(code) != 6 || cv_base32_decode(a->totp, secret, sizeof(secret), &n))
        return false;
    for (int64_t s = step - 1; s <= step + 1 && !ok; s++) {
        char want[7];

        if (s <= a->totp_step || cv_totp_code(secret, n, (uint64_t)s, want) != CV_OK)
            continue;
        if (sodium_memcmp(want, code, 6) == 0) {
            a->totp_step = s;
            ok = true;
        }
    }
    sodium_memzero(secret, sizeof(secret));
    return ok;
}

static void record_failure(struct account *a, time_t now, enum cv_login_result *result)
{
    failures_prune(a, now);
    if (a->nfail < CV_LOCKOUT_FAILURES)
        a->failures[a->nfail++] = now;
    if (a->nfail >= CV_LOCKOUT_FAILURES) {
        a->locked_until = now + CV_LOCKOUT_DURATION_SECS;
        a->nfail = 0;
        *result = CV_LOGIN_LOCKED_NOW;
    }
}

/* Spend the time of one verification, so an unknown name answers as slowly as a known one. */
static void verify_dummy(const char *password)
{
    static char dummy[crypto_pwhash_STRBYTES];
    static int made;

    if (!made && password_hash("chartvault-dummy-password", dummy) == CV_OK)
        made = 1;
    if (made && crypto_pwhash_str_verify(dummy, password, strlen(password)) == 0)
        log_debug("dummy password matched");
}

enum cv_err cv_account_login(const char *state, const char *name, const char *password,
                             const char *totp_code, time_t now, enum cv_login_result *result,
                             enum cv_role *role)
{
    struct accounts s;
    struct account *a;
    enum cv_err err;

    *result = CV_LOGIN_BAD;
    *role = CV_ROLE_VIEWER;
    err = accounts_begin(state, &s);
    if (err)
        return err;
    a = accounts_find(&s, name);
    if (!a) {
        accounts_release(&s);
        verify_dummy(password);
        return CV_OK;
    }
    if (a->admin_lock) {
        *result = CV_LOGIN_DISABLED;
        accounts_release(&s);
        return CV_OK;
    }
    if (a->locked_until > now) {
        *result = CV_LOGIN_LOCKED;
        accounts_release(&s);
        return CV_OK;
    }
    if (!password_matches(a, password)) {
        record_failure(a, now, result);
    } else if (a->totp[0] && (!totp_code || !*totp_code)) {
        /* counted as a failure too: otherwise a guesser learns the password is right */
        *result = CV_LOGIN_TOTP_NEEDED;
        record_failure(a, now, result);
    } else if (a->totp[0] && !totp_accept(a, totp_code, now)) {
        *result = CV_LOGIN_TOTP_BAD;
        record_failure(a, now, result);
    } else {
        *result = CV_LOGIN_OK;
        *role = a->role;
        a->nfail = 0;
        a->locked_until = 0;
    }
    return accounts_commit(&s);
}
