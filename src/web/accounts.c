/*
 * accounts.c: viewer accounts in STATE/accounts: Argon2id password hashes (libsodium),
 * roles, an administrator's lock and TOTP secrets, and the login check, which keeps failed
 * attempts per name and source in STATE/lockout (lockout.c). The files are small; every
 * change reads them, changes them and writes them back atomically while holding
 * STATE/accounts.lock, so `chartvault user` and a running viewer can both change them safely.
 *
 * Line format (tab-separated), after a "# chartvault accounts 2" header:
 *   name role admin-lock totp-secret|- totp-last-step created hash
 * Version 1 lines (with locked-until after admin-lock and failures after totp-last-step)
 * are read too; their lockout fields are dropped (lockouts last 15 minutes).
 */
#include "web_internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#define ACCOUNTS_HEADER   "# chartvault accounts 2\n"
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
                                        "locked", "locked-now", "disabled",    "throttled"};

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

/* Parse one line into `a`; CV_EPARSE when it is not a well-formed account. */
enum cv_err web_account_line_parse(char *line, struct account *a)
{
    char *f[9];
    size_t nf = 0;
    char *save = NULL;

    memset(a, 0, sizeof(*a));
    for (char *t = strtok_r(line, "\t", &save); t && nf < 9; t = strtok_r(NULL, "\t", &save))
        f[nf++] = t;
    if (strtok_r(NULL, "\t", &save))
        return CV_EPARSE;
    if (nf == 9) { /* version 1: drop locked-until (f[3]) and failures (f[6]) */
        f[3] = f[4], f[4] = f[5], f[5] = f[7], f[6] = f[8];
        nf = 7;
    }
    if (nf != 7)
        return CV_EPARSE;
    if (strlen(f[0]) > CV_ACCOUNT_NAME_MAX || cv_account_name_check(f[0]) != CV_OK)
        return CV_EPARSE;
    strcpy(a->name, f[0]);
    if (cv_role_parse(f[1], &a->role) != CV_OK)
        return CV_EPARSE;
    a->admin_lock = strcmp(f[2], "locked") == 0;
    if (strcmp(f[3], "-") != 0) {
        if (strlen(f[3]) >= sizeof(a->totp))
            return CV_EPARSE;
        strcpy(a->totp, f[3]);
    }
    a->totp_step = strtoll(f[4], NULL, 10);
    a->created = strtoll(f[5], NULL, 10);
    if (strlen(f[6]) >= sizeof(a->hash) || strncmp(f[6], "$argon2id$", 10) != 0)
        return CV_EPARSE;
    strcpy(a->hash, f[6]);
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
    return cv_buf_printf(b, "%s\t%s\t%s\t%s\t%lld\t%lld\t%s\n", a->name, cv_role_name(a->role),
                         a->admin_lock ? "locked" : "open", a->totp[0] ? a->totp : "-",
                         (long long)a->totp_step, (long long)a->created, a->hash);
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

/* Argon2id's interactive limits (64 MiB, about 0.1 s). A build made for the tests
 * (CV_TEST_HOOKS) takes the smallest ones when $CHARTVAULT_TEST_CHEAP_HASH is set, so tests
 * that log in hundreds of times (lockouts) stay fast under ASan; a hash is checked with the
 * limits stored in it, so known and unknown names still cost alike. The release build always
 * uses the interactive limits. */
static void hash_limits(unsigned long long *ops, size_t *mem)
{
    *ops = crypto_pwhash_OPSLIMIT_INTERACTIVE;
    *mem = crypto_pwhash_MEMLIMIT_INTERACTIVE;
#ifdef CV_TEST_HOOKS
    if (getenv("CHARTVAULT_TEST_CHEAP_HASH")) {
        *ops = crypto_pwhash_OPSLIMIT_MIN;
        *mem = crypto_pwhash_MEMLIMIT_MIN;
    }
#endif
}

static enum cv_err password_hash(const char *password, char hash[crypto_pwhash_STRBYTES])
{
    unsigned long long ops;
    size_t mem;

    if (sodium_init() < 0)
        return cv_fail(CV_ECRYPTO, "libsodium failed to initialise");
    hash_limits(&ops, &mem);
    if (crypto_pwhash_str(hash, password, strlen(password), ops, mem) != 0)
        return cv_fail(CV_ENOMEM, "out of memory hashing a password");
    return CV_OK;
}

static atomic_ulong verifications;

unsigned long web_password_verifications(void)
{
    return atomic_load(&verifications);
}

static bool hash_matches(const char *hash, const char *password)
{
    atomic_fetch_add(&verifications, 1);
    return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

static bool password_matches(const struct account *a, const char *password)
{
    return hash_matches(a->hash, password);
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
    if (!locked) { /* unlock also lifts the lockouts of every source */
        struct lockout l;

        err = web_lockout_load(state, &l);
        if (!err) {
            web_lockout_forget(&l, name);
            err = web_lockout_save(&l);
        }
        web_lockout_free(&l);
        if (err) {
            accounts_release(&s);
            return err;
        }
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

static int cmp_info(const void *x, const void *y)
{
    return strcmp(((const struct cv_account_info *)x)->name,
                  ((const struct cv_account_info *)y)->name);
}

enum cv_err cv_account_list(const char *state, struct cv_account_info **list, size_t *count)
{
    struct cv_account_info *v;
    struct accounts s;
    struct lockout l;
    enum cv_err err;
    time_t now = cv_now();

    *list = NULL;
    *count = 0;
    err = accounts_begin(state, &s);
    if (err)
        return err;
    err = web_lockout_load(state, &l);
    if (err) {
        accounts_release(&s);
        return err;
    }
    web_lockout_prune(&l, now);
    v = cv_calloc(s.n ? s.n : 1, sizeof(*v));
    if (!v) {
        web_lockout_free(&l);
        accounts_release(&s);
        return cv_fail(CV_ENOMEM, "out of memory");
    }
    for (size_t i = 0; i < s.n; i++) {
        strcpy(v[i].name, s.v[i].name);
        v[i].role = s.v[i].role;
        v[i].locked_by_admin = s.v[i].admin_lock;
        v[i].recent_failures = web_lockout_count(&l, s.v[i].name, &v[i].locked_until);
        v[i].totp = s.v[i].totp[0] != '\0';
        v[i].created = s.v[i].created;
    }
    qsort(v, s.n, sizeof(*v), cmp_info);
    *list = v;
    *count = s.n;
    web_lockout_free(&l);
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

/* The hash an unknown name is checked against, so it costs what a known one costs. */
static char dummy_hash[crypto_pwhash_STRBYTES];
static bool dummy_ok;

static void make_dummy(void)
{
    dummy_ok = password_hash("chartvault: no account has this name", dummy_hash) == CV_OK;
}

/* What the attempt earns, once the password (and code) have been checked. */
static enum cv_login_result judge(const struct cv_login *in, const struct account *a, bool pw_ok,
                                  bool code_ok, bool locked)
{
    bool second_factor = pw_ok && a->totp[0] && code_ok;

    if (pw_ok && a->admin_lock)
        return CV_LOGIN_DISABLED;
    if (second_factor || (pw_ok && !a->totp[0] && !locked && !in->second_factor_only))
        return CV_LOGIN_OK;
    if (locked)
        return CV_LOGIN_LOCKED;
    if (in->second_factor_only)
        return CV_LOGIN_THROTTLED;
    if (!pw_ok)
        return CV_LOGIN_BAD;
    /* the right password without the code counts as a failure too: otherwise a guesser
     * would learn that the password was right */
    return in->totp_code && *in->totp_code ? CV_LOGIN_TOTP_BAD : CV_LOGIN_TOTP_NEEDED;
}

static enum cv_err login_locked(const char *state, struct accounts *s, const struct cv_login *in,
                                time_t now, enum cv_login_result *result, enum cv_role *role)
{
    static pthread_once_t once = PTHREAD_ONCE_INIT;
    struct account *a = accounts_find(s, in->name);
    struct lockout l;
    struct lockout_entry *e;
    bool pw_ok, code_ok = false, locked;
    enum cv_err err;

    pthread_once(&once, make_dummy);
    if (!dummy_ok)
        return cv_fail(CV_ECRYPTO, "cannot make the hash unknown names are checked against");
    err = web_lockout_load(state, &l);
    if (err)
        return err;
    web_lockout_prune(&l, now);
    /* exactly one Argon2id whatever the name: unknown names cost what known ones cost */
    pw_ok = hash_matches(a ? a->hash : dummy_hash, in->password) && a;
    if (pw_ok && a->totp[0])
        code_ok = totp_accept(a, in->totp_code, now);
    e = web_lockout_get(&l, in->name, in->source);
    if (!e) {
        web_lockout_free(&l);
        return cv_fail(CV_EINVAL, "a login needs an account name and a source address");
    }
    locked = e->locked_until > now ||
             web_lockout_count(&l, in->name, NULL) >= CV_LOCKOUT_ACCOUNT_FAILURES;
    *result = judge(in, a, pw_ok, code_ok, locked);
    if (*result == CV_LOGIN_OK) {
        *role = a->role;
        memset(e, 0, sizeof(*e)); /* this source starts afresh; pruned away below */
        web_lockout_prune(&l, now);
        err = web_lockout_save(&l);
        if (!err)
            err = accounts_commit(s); /* the one-time code's step, against replay */
        else
            accounts_release(s);
    } else if (*result != CV_LOGIN_LOCKED && *result != CV_LOGIN_DISABLED) {
        if (web_lockout_fail(e, now))
            *result = CV_LOGIN_LOCKED_NOW;
        err = web_lockout_save(&l); /* known or unknown name: the same write */
        accounts_release(s);
    } else {
        accounts_release(s);
    }
    web_lockout_free(&l);
    return err;
}

enum cv_err cv_account_login(const char *state, const struct cv_login *in, time_t now,
                             enum cv_login_result *result, enum cv_role *role)
{
    struct accounts s;
    enum cv_err err;

    *result = CV_LOGIN_BAD;
    *role = CV_ROLE_VIEWER;
    if (!in->name || !in->password || !in->source)
        return cv_fail(CV_EINVAL, "a login needs a name, a password and a source");
    err = accounts_begin(state, &s);
    if (err)
        return err;
    err = login_locked(state, &s, in, now, result, role);
    if (err && s.lock_fd >= 0)
        accounts_release(&s);
    return err;
}
