/*
 * config.c: reads the daemon's INI file with libinih and turns each key into a checked value.
 * A table maps [section] key to a parser and a place in struct cv_config; the first problem
 * stops the parse and becomes one line naming the file, the line and the key, so an operator
 * can fix a typo without reading source code. Unknown sections and keys are refused for the
 * same reason: a misspelt key silently ignored is a setting silently not applied.
 */
#include <chartvault/config.h>

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdlib.h>
#include <string.h>

enum key_type {
    K_PATH,      /* absolute path */
    K_TEXT,      /* any printable text */
    K_URL,       /* scheme://... */
    K_FACILITY,  /* 1..16 letters and digits */
    K_DURATION,  /* > 0 */
    K_DURATION0, /* >= 0, 0 = off */
    K_COUNT,     /* whole number >= 0 */
    K_PERCENT,   /* (0, 100] */
    K_BOOL,
    K_SIZE,
    K_LISTEN,
    K_ALLOW,
    K_MAILTO,
    K_CONTACT, /* "NAME | PHONE | MAIL"; `min` is the role */
};

struct key_def {
    const char *section; /* "repo" for every [repo NAME] */
    const char *key;
    enum key_type type;
    size_t offset; /* into struct cv_config, or struct cv_config_repo for "repo" */
    long min, max; /* for K_COUNT; for K_SIZE (none: 1K..64M) */
};

#define CFG(f)  offsetof(struct cv_config, f)
#define REPO(f) offsetof(struct cv_config_repo, f)

static const struct key_def keys[] = {
    {"source", "path", K_PATH, CFG(source_path), 0, 0},
    {"source", "facility", K_FACILITY, CFG(facility), 0, 0},
    {"source", "rescan", K_DURATION0, CFG(rescan), 0, 0},
    {"source", "settle", K_COUNT, CFG(settle_seconds), 0, 3600},
    {"index", "db", K_PATH, CFG(index_db), 0, 0},
    {"repo", "path", K_TEXT, REPO(path), 0, 0},
    {"repo", "password_file", K_PATH, REPO(password_file), 0, 0},
    {"repo", "interval", K_DURATION, REPO(interval), 0, 0},
    {"repo", "type", K_TEXT, REPO(type), 0, 0},
    {"repo", "copy_of", K_TEXT, REPO(copy_of), 0, 0},
    {"repo", "retention", K_DURATION, REPO(retention), 0, 0},
    {"repo", "credentials", K_PATH, REPO(credentials), 0, 0},
    {"repo", "ca_file", K_PATH, REPO(ca_file), 0, 0},
    {"mllp", "listen", K_LISTEN, CFG(mllp_listen), 0, 0},
    {"mllp", "allow", K_ALLOW, CFG(allow), 0, 0},
    {"mllp", "storage", K_PATH, CFG(mllp_storage), 0, 0},
    {"mllp", "max_message", K_SIZE, CFG(mllp_max_message), 0, 0},
    {"mllp", "max_clients", K_COUNT, CFG(mllp_max_clients), 1, 1000},
    {"mllp", "max_clients_per_address", K_COUNT, CFG(mllp_max_per_address), 1, 1000},
    {"mllp", "rejected_budget", K_SIZE, CFG(mllp_rejected_budget), 4096, 64L << 30},
    {"mllp", "idle_timeout", K_DURATION, CFG(mllp_idle_timeout), 0, 0},
    {"alerts", "syslog", K_BOOL, CFG(alert_syslog), 0, 0},
    {"alerts", "smtp_url", K_URL, CFG(smtp_url), 0, 0},
    {"alerts", "smtp_user", K_TEXT, CFG(smtp_user), 0, 0},
    {"alerts", "smtp_password_file", K_PATH, CFG(smtp_password_file), 0, 0},
    {"alerts", "mail_from", K_TEXT, CFG(mail_from), 0, 0},
    {"alerts", "mail_to", K_MAILTO, CFG(mail_to), 0, 0},
    {"alerts", "webhook", K_URL, CFG(webhook), 0, 0},
    {"alerts", "repeat", K_DURATION, CFG(alert_repeat), 0, 0},
    {"drill", "interval", K_DURATION0, CFG(drill_interval), 0, 0},
    {"drill", "sample", K_COUNT, CFG(drill_sample), 1, 10000000},
    {"drill", "check_interval", K_DURATION0, CFG(check_interval), 0, 0},
    {"drill", "full_interval", K_DURATION0, CFG(drill_full_interval), 0, 0},
    {"drill", "rto", K_DURATION, CFG(drill_rto), 0, 0},
    {"thresholds", "snapshot_max_age", K_DURATION, CFG(snapshot_max_age), 0, 0},
    {"thresholds", "anomaly_files", K_COUNT, CFG(anomaly_files), 1, 100000000},
    {"thresholds", "anomaly_percent", K_PERCENT, CFG(anomaly_percent), 0, 0},
    {"print", "dir", K_PATH, CFG(print_dir), 0, 0},
    {"print", "interval", K_DURATION, CFG(print_interval), 0, 0},
    {"print", "valid_for", K_DURATION, CFG(print_validity), 0, 0},
    {"print", "keep", K_COUNT, CFG(print_keep), 1, 100},
    {"print", "facility_name", K_TEXT, CFG(print_facility), 0, 0},
    {"daemon", "state_dir", K_PATH, CFG(state_dir), 0, 0},
    {"daemon", "full_walk", K_DURATION0, CFG(full_walk), 0, 0},
    {"contacts", "it_oncall", K_CONTACT, 0, CV_CONTACT_IT_ONCALL, 0},
    {"contacts", "ehr_vendor", K_CONTACT, 0, CV_CONTACT_EHR_VENDOR, 0},
    {"contacts", "network_vendor", K_CONTACT, 0, CV_CONTACT_NETWORK_VENDOR, 0},
    {"contacts", "prefecture", K_CONTACT, 0, CV_CONTACT_PREFECTURE, 0},
    {"contacts", "police", K_CONTACT, 0, CV_CONTACT_POLICE, 0},
    {"contacts", "mhlw", K_CONTACT, 0, CV_CONTACT_MHLW, 0},
    {"contacts", "regional_network", K_CONTACT, 0, CV_CONTACT_REGIONAL, 0},
};

const char *cv_contact_role_key(enum cv_contact_role r)
{
    for (size_t i = 0; i < CV_ARRAY_LEN(keys); i++)
        if (keys[i].type == K_CONTACT && keys[i].min == (long)r)
            return keys[i].key;
    return "?";
}

struct parse_ctx {
    const char *name; /* file name for messages */
    struct cv_config *cfg;
    char msg[512]; /* first problem, without the "file:line: " prefix */
    enum cv_err err;
    unsigned set[CV_ARRAY_LEN(keys)][CV_CONFIG_MAX_REPOS + 1]; /* times each key was set */
};

static bool parse_bool(const char *v, bool *out)
{
    static const char *const yes[] = {"yes", "true", "on", "1"};
    static const char *const no[] = {"no", "false", "off", "0"};

    for (size_t i = 0; i < CV_ARRAY_LEN(yes); i++) {
        if (strcasecmp(v, yes[i]) == 0)
            return (*out = true);
        if (strcasecmp(v, no[i]) == 0)
            return !(*out = false);
    }
    return false;
}

enum cv_err cv_parse_size(const char *s, size_t *bytes)
{
    unsigned long long v, unit = 1;
    char *end;

    *bytes = 0;
    if (!isdigit((unsigned char)*s))
        return cv_fail(CV_EINVAL, "'%s' is not a size (examples: 1048576, 512K, 1M)", s);
    errno = 0;
    v = strtoull(s, &end, 10);
    switch (toupper((unsigned char)*end)) {
    case '\0':
        break;
    case 'K':
        unit = 1ULL << 10;
        break;
    case 'M':
        unit = 1ULL << 20;
        break;
    case 'G':
        unit = 1ULL << 30;
        break;
    default:
        return cv_fail(CV_EINVAL, "'%s' is not a size (examples: 1048576, 512K, 1M)", s);
    }
    if (*end && end[1] && strcasecmp(end + 1, "iB") != 0 && strcasecmp(end + 1, "B") != 0)
        return cv_fail(CV_EINVAL, "'%s' is not a size (examples: 1048576, 512K, 1M)", s);
    if (errno || v > (1ULL << 40) / unit)
        return cv_fail(CV_EINVAL, "size '%s' is too large", s);
    *bytes = (size_t)(v * unit);
    return CV_OK;
}

/* "0.0.0.0:2575", "[::]:2575", "2575" (all interfaces). No host names: a daemon must not
 * depend on name resolution to start. */
static enum cv_err parse_listen(const char *v, char **host, unsigned *port)
{
    char hostbuf[INET6_ADDRSTRLEN + 1] = "0.0.0.0";
    struct in6_addr a6;
    const char *p = strrchr(v, ':');
    const char *portstr = p ? p + 1 : v;
    size_t hl = p ? (size_t)(p - v) : 0;
    char *end;
    long n;

    if (p && v[0] == '[') {
        if (hl < 3 || v[hl - 1] != ']')
            return cv_fail(CV_EINVAL, "'%s' is not HOST:PORT", v);
        v++;
        hl -= 2;
    }
    if (p) {
        if (hl == 0 || hl >= sizeof(hostbuf))
            return cv_fail(CV_EINVAL, "'%s' is not HOST:PORT", v);
        memcpy(hostbuf, v, hl);
        hostbuf[hl] = '\0';
        if (inet_pton(AF_INET, hostbuf, &a6) != 1 && inet_pton(AF_INET6, hostbuf, &a6) != 1)
            return cv_fail(CV_EINVAL, "'%s' is not an IP address (host names are not used)",
                           hostbuf);
    }
    errno = 0;
    n = strtol(portstr, &end, 10);
    if (!isdigit((unsigned char)*portstr) || *end || errno || n < 1 || n > 65535)
        return cv_fail(CV_EINVAL, "'%s' is not a TCP port (1-65535)", portstr);
    *host = cv_strdup(hostbuf);
    *port = (unsigned)n;
    return *host ? CV_OK : cv_fail(CV_ENOMEM, "out of memory");
}

/* Split a comma-separated list in place; calls `fn` on each trimmed, non-empty item. */
static enum cv_err each_item(char *list, enum cv_err (*fn)(const char *item, void *arg), void *arg)
{
    for (char *save = NULL, *it = strtok_r(list, ",", &save); it; it = strtok_r(NULL, ",", &save)) {
        char *e;
        enum cv_err err;

        while (isspace((unsigned char)*it))
            it++;
        e = it + strlen(it);
        while (e > it && isspace((unsigned char)e[-1]))
            *--e = '\0';
        if (!*it)
            continue;
        err = fn(it, arg);
        if (err)
            return err;
    }
    return CV_OK;
}

static enum cv_err add_allow(const char *item, void *arg)
{
    struct cv_config *c = arg;

    if (c->nallow == CV_CONFIG_MAX_ALLOW)
        return cv_fail(CV_ETOOBIG, "more than %d networks", CV_CONFIG_MAX_ALLOW);
    return cv_cidr_parse(item, &c->allow[c->nallow++]);
}

static enum cv_err add_mailto(const char *item, void *arg)
{
    struct cv_config *c = arg;
    const char *at = strchr(item, '@');

    if (!at || at == item || !at[1] || strpbrk(item, " <>\"\r\n"))
        return cv_fail(CV_EINVAL, "'%s' is not a mail address", item);
    if (c->nmail_to == CV_CONFIG_MAX_MAILTO)
        return cv_fail(CV_ETOOBIG, "more than %d addresses", CV_CONFIG_MAX_MAILTO);
    c->mail_to[c->nmail_to] = cv_strdup(item);
    return c->mail_to[c->nmail_to++] ? CV_OK : cv_fail(CV_ENOMEM, "out of memory");
}

static bool printable(const char *v)
{
    for (; *v; v++)
        if ((unsigned char)*v < 0x20 || *v == 0x7f)
            return false;
    return true;
}

static enum cv_err check_text(enum key_type t, const char *v)
{
    size_t n = strlen(v);

    if (n == 0)
        return cv_fail(CV_EINVAL, "is empty");
    if (!printable(v))
        return cv_fail(CV_EINVAL, "holds control characters");
    if (t == K_PATH && v[0] != '/')
        return cv_fail(CV_EINVAL, "'%s' is not an absolute path", v);
    if (t == K_URL && !strstr(v, "://"))
        return cv_fail(CV_EINVAL, "'%s' is not a URL (scheme://host...)", v);
    if (t == K_FACILITY) {
        if (n > 16)
            return cv_fail(CV_EINVAL, "'%s' is longer than 16 characters", v);
        for (const char *p = v; *p; p++)
            if (!isalnum((unsigned char)*p))
                return cv_fail(CV_EINVAL, "'%s' holds characters other than letters and digits", v);
    }
    return CV_OK;
}

static enum cv_err set_string(char **slot, enum key_type t, const char *v)
{
    enum cv_err err = check_text(t, v);

    if (err)
        return err;
    *slot = cv_strdup(v);
    return *slot ? CV_OK : cv_fail(CV_ENOMEM, "out of memory");
}

/* One field of a contact, trimmed in place; "" and "-" read as none. */
static char *contact_field(char **rest)
{
    char *f = *rest, *bar = strchr(f, '|'), *e;

    *rest = bar ? bar + 1 : NULL;
    if (bar)
        *bar = '\0';
    while (isspace((unsigned char)*f))
        f++;
    e = f + strlen(f);
    while (e > f && isspace((unsigned char)e[-1]))
        *--e = '\0';
    return strcmp(f, "-") == 0 ? f + 1 : f;
}

static enum cv_err check_phone(const char *v)
{
    int digits = 0;

    for (const char *p = v; *p; p++) {
        if (isdigit((unsigned char)*p))
            digits++;
        else if (!strchr("+-() #", *p))
            return cv_fail(CV_EINVAL,
                           "phone '%s' holds '%c' (a phone number is digits, with - + ( ) # "
                           "and spaces)",
                           v, *p);
    }
    if (digits < 3 || digits > 20)
        return cv_fail(CV_EINVAL, "phone '%s' has %d digits (3 to 20 make a phone number)", v,
                       digits);
    return CV_OK;
}

/* "NAME | PHONE | MAIL": the name and phone are needed (an entry nobody can call is no
 * contact), the mail may be left out. */
static enum cv_err set_contact(struct cv_config *c, enum cv_contact_role role, const char *value)
{
    struct cv_config_contact *k = &c->contacts[role];
    char tmp[CV_CONFIG_MAX_LINE + 8], *rest = tmp;
    const char *name, *phone, *mail;
    enum cv_err err;

    cv_strlcpy(tmp, value, sizeof(tmp));
    name = contact_field(&rest);
    phone = rest ? contact_field(&rest) : "";
    mail = rest ? contact_field(&rest) : "";
    if (rest)
        return cv_fail(CV_EINVAL, "wants 'NAME | PHONE | MAIL', not more than three fields");
    if (!*name)
        return cv_fail(CV_EINVAL, "has no name (write 'NAME | PHONE | MAIL')");
    if (!printable(name))
        return cv_fail(CV_EINVAL, "holds control characters");
    if (!*phone)
        return cv_fail(CV_EINVAL, "has no phone number (write 'NAME | PHONE | MAIL')");
    err = check_phone(phone);
    if (err)
        return err;
    if (*mail && (!strchr(mail, '@') || mail[0] == '@' || !strchr(mail, '@')[1] ||
                  strchr(strchr(mail, '@') + 1, '@') || strpbrk(mail, " <>\"\t")))
        return cv_fail(CV_EINVAL, "'%s' is not a mail address (name@example.jp)", mail);
    k->name = cv_strdup(name);
    k->phone = cv_strdup(phone);
    k->mail = *mail ? cv_strdup(mail) : NULL;
    if (!k->name || !k->phone || (*mail && !k->mail))
        return cv_fail(CV_ENOMEM, "out of memory");
    c->ncontacts++;
    return CV_OK;
}

static enum cv_err set_value(struct cv_config *c, const struct key_def *k, void *base,
                             const char *value)
{
    char tmp[CV_CONFIG_MAX_LINE + 8];
    void *slot = (char *)base + k->offset;
    enum cv_err err;
    long n;

    switch (k->type) {
    case K_PATH:
    case K_TEXT:
    case K_URL:
    case K_FACILITY:
        return set_string(slot, k->type, value);
    case K_DURATION:
    case K_DURATION0:
        err = cv_parse_duration(value, slot);
        if (!err && k->type == K_DURATION && *(long *)slot == 0)
            return cv_fail(CV_EINVAL, "must be longer than 0");
        return err;
    case K_COUNT:
        if (!isdigit((unsigned char)*value))
            return cv_fail(CV_EINVAL, "'%s' is not a whole number", value);
        errno = 0;
        n = strtol(value, (char **)&value, 10);
        if (*value || errno || n < k->min || n > k->max)
            return cv_fail(CV_EINVAL, "wants a whole number from %ld to %ld", k->min, k->max);
        if (k->offset == CFG(mllp_max_clients))
            *(unsigned *)slot = (unsigned)n;
        else
            *(long *)slot = n;
        return CV_OK;
    case K_PERCENT: {
        char *end;
        double d = strtod(value, &end);

        if (end == value || *end || !(d > 0 && d <= 100))
            return cv_fail(CV_EINVAL, "'%s' is not a percentage above 0 and at most 100", value);
        *(double *)slot = d;
        return CV_OK;
    }
    case K_BOOL:
        if (!parse_bool(value, slot))
            return cv_fail(CV_EINVAL, "'%s' is not yes or no", value);
        return CV_OK;
    case K_SIZE:
        err = cv_parse_size(value, slot);
        if (!err && k->max &&
            (*(size_t *)slot < (size_t)k->min || *(size_t *)slot > (size_t)k->max))
            return cv_fail(CV_EINVAL, "'%s' is outside 4K..64G", value);
        if (!err && !k->max && (*(size_t *)slot < 1024 || *(size_t *)slot > (64u << 20)))
            return cv_fail(CV_EINVAL, "'%s' is outside 1K..64M", value);
        return err;
    case K_LISTEN:
        err = parse_listen(value, &c->mllp_host, &c->mllp_port);
        return err ? err : set_string(slot, K_TEXT, value);
    case K_ALLOW:
        cv_strlcpy(tmp, value, sizeof(tmp));
        return each_item(tmp, add_allow, c);
    case K_MAILTO:
        cv_strlcpy(tmp, value, sizeof(tmp));
        return each_item(tmp, add_mailto, c);
    case K_CONTACT:
        return set_contact(c, (enum cv_contact_role)k->min, value);
    }
    return cv_fail(CV_EINVAL, "unknown key type");
}

/* [repo NAME]: the repository for this section, made on its first key. */
static enum cv_err repo_for(struct cv_config *c, const char *section, size_t *idx)
{
    const char *name = section + 4;

    while (*name == ' ')
        name++;
    if (!*name)
        return cv_fail(CV_EINVAL, "a repository section needs a name: [repo local]");
    for (const char *p = name; *p; p++)
        if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
            return cv_fail(CV_EINVAL, "repository name '%s' may hold only letters, digits, - _ .",
                           name);
    for (*idx = 0; *idx < c->nrepos; (*idx)++)
        if (strcmp(c->repos[*idx].name, name) == 0)
            return CV_OK;
    if (c->nrepos == CV_CONFIG_MAX_REPOS)
        return cv_fail(CV_ETOOBIG, "more than %d repositories", CV_CONFIG_MAX_REPOS);
    c->repos[c->nrepos].name = cv_strdup(name);
    if (!c->repos[c->nrepos].name)
        return cv_fail(CV_ENOMEM, "out of memory");
    c->repos[c->nrepos].interval = 15 * 60;
    *idx = c->nrepos++;
    return CV_OK;
}

static int on_ini_key(void *user, const char *section, const char *name, const char *value)
{
    struct parse_ctx *ctx = user;
    bool is_repo = strncmp(section, "repo", 4) == 0 && (section[4] == ' ' || !section[4]);
    const char *sec = is_repo ? "repo" : section;
    size_t ri = CV_CONFIG_MAX_REPOS, ki;
    void *base = ctx->cfg;
    enum cv_err err;

    if (!*section) {
        snprintf(ctx->msg, sizeof(ctx->msg), "%s: key before any [section]", name);
        ctx->err = CV_EPARSE;
        return 0;
    }
    for (ki = 0; ki < CV_ARRAY_LEN(keys); ki++)
        if (strcmp(keys[ki].section, sec) == 0 && strcmp(keys[ki].key, name) == 0)
            break;
    if (ki == CV_ARRAY_LEN(keys)) {
        bool known = false;

        for (size_t i = 0; i < CV_ARRAY_LEN(keys); i++)
            known |= strcmp(keys[i].section, sec) == 0;
        snprintf(ctx->msg, sizeof(ctx->msg),
                 known ? "[%s] %s: unknown key" : "[%s]: unknown section", section, name);
        ctx->err = CV_EPARSE;
        return 0;
    }
    if (is_repo) {
        err = repo_for(ctx->cfg, section, &ri);
        if (err)
            goto out_fail;
        base = &ctx->cfg->repos[ri];
    }
    if (ctx->set[ki][is_repo ? ri : CV_CONFIG_MAX_REPOS]++) {
        err = cv_fail(CV_EINVAL, "is set twice");
        goto out_fail;
    }
    err = set_value(ctx->cfg, &keys[ki], base, value);
    if (!err)
        return 1;
out_fail:
    snprintf(ctx->msg, sizeof(ctx->msg), "[%s] %s: %s", section, name, cv_errmsg());
    ctx->err = err;
    return 0;
}

static void set_defaults(struct cv_config *c)
{
    memset(c, 0, sizeof(*c));
    c->rescan = 6 * 3600;
    c->settle_seconds = 1;
    c->mllp_max_message = 1 << 20;
    c->mllp_max_clients = 64;
    c->mllp_max_per_address = 8;
    c->mllp_rejected_budget = (size_t)256 << 20;
    c->mllp_idle_timeout = 300;
    c->alert_syslog = true;
    c->alert_repeat = 3600;
    c->drill_interval = 3600;
    c->drill_sample = 1000;
    c->check_interval = 86400;
    c->drill_full_interval = 30L * 86400;
    c->drill_rto = 4L * 3600;
    c->full_walk = 86400;
    c->snapshot_max_age = 3600;
    c->anomaly_files = 500;
    c->anomaly_percent = 1.0;
    c->print_interval = 15 * 60;
    c->print_validity = 3600;
    c->print_keep = 3;
}

/* A repository section as a whole: its path and type agree; a copy names a repository that
 * snapshots (and so takes its passphrase file, for drills: a replica has the same key). */
static enum cv_err check_repo(struct cv_config *c, struct cv_config_repo *r)
{
    bool s3 = r->path && strncmp(r->path, "s3:", 3) == 0;
    struct cv_config_repo *src = NULL;

    if (!r->path)
        return cv_fail(CV_EINVAL, "[repo %s] path is missing", r->name);
    if (r->type && strcmp(r->type, "s3") != 0 && strcmp(r->type, "local") != 0)
        return cv_fail(CV_EINVAL, "[repo %s] type: '%s' is not s3 or local", r->name, r->type);
    if (r->type && (strcmp(r->type, "s3") == 0) != s3)
        return cv_fail(CV_EINVAL, "[repo %s] type = %s but path is %s", r->name, r->type,
                       s3 ? "an s3: location" : "not an s3: location (s3:https://host/bucket)");
    if (!s3 && (r->retention || r->credentials || r->ca_file))
        return cv_fail(CV_EINVAL, "[repo %s] retention, credentials and ca_file are for S3 only",
                       r->name);
    if (r->copy_of) {
        for (size_t k = 0; k < c->nrepos; k++)
            if (strcmp(c->repos[k].name, r->copy_of) == 0)
                src = &c->repos[k];
        if (!src || src == r)
            return cv_fail(CV_EINVAL, "[repo %s] copy_of: no other [repo %s]", r->name, r->copy_of);
        if (src->copy_of)
            return cv_fail(CV_EINVAL,
                           "[repo %s] copy_of: [repo %s] is itself a copy; name the "
                           "repository that takes the snapshots",
                           r->name, r->copy_of);
        if (!r->password_file && src->password_file &&
            !(r->password_file = cv_strdup(src->password_file)))
            return cv_fail(CV_ENOMEM, "out of memory");
    }
    if (!r->password_file)
        return cv_fail(CV_EINVAL, "[repo %s] password_file is missing", r->name);
    return CV_OK;
}

/* What no single key can say: required keys and keys that need each other. */
static enum cv_err check_whole(struct cv_config *c)
{
    if (!c->index_db)
        return cv_fail(CV_EINVAL, "[index] db is missing");
    if (!c->source_path && !c->mllp_storage)
        return cv_fail(CV_EINVAL, "nothing to protect: set [source] path or [mllp] storage");
    if (c->mllp_listen && !c->mllp_storage)
        return cv_fail(CV_EINVAL, "[mllp] storage is missing (received messages need a home)");
    if (c->mllp_storage && !c->mllp_listen)
        return cv_fail(CV_EINVAL, "[mllp] listen is missing");
    if (c->mllp_listen && c->nallow == 0) {
        /* No allow-list: only this host may send, never the whole network by accident. */
        cv_cidr_parse("127.0.0.0/8", &c->allow[c->nallow++]);
        cv_cidr_parse("::1", &c->allow[c->nallow++]);
    }
    if (c->mllp_listen && !c->facility)
        return cv_fail(CV_EINVAL, "[source] facility is missing (MSH-4 of acknowledgements)");
    for (size_t i = 0; i < c->nrepos; i++) {
        enum cv_err err = check_repo(c, &c->repos[i]);

        if (err)
            return err;
    }
    if (c->smtp_url && (!c->mail_from || !c->nmail_to))
        return cv_fail(CV_EINVAL, "[alerts] smtp_url needs mail_from and mail_to");
    if (!c->smtp_url && c->nmail_to)
        return cv_fail(CV_EINVAL, "[alerts] mail_to needs smtp_url");
    if (!c->state_dir) {
        const char *slash = strrchr(c->index_db, '/');
        struct cv_buf b = CV_BUF_INIT(4096);

        if (cv_buf_append(&b, c->index_db, (size_t)(slash - c->index_db)) ||
            cv_buf_puts(&b, "/state"))
            return cv_fail(CV_ENOMEM, "out of memory");
        c->state_dir = cv_buf_steal(&b, NULL);
    }
    return CV_OK;
}

/* libinih reads lines into a 200-byte buffer and would silently split longer ones; a NUL
 * would cut a line short. Refuse both before parsing, naming the line. */
static enum cv_err check_lines(const char *name, const char *text, size_t len)
{
    size_t line = 1, col = 0;

    for (size_t i = 0; i < len; i++) {
        if (text[i] == '\0')
            return cv_fail(CV_EPARSE, "%s:%zu: holds a NUL byte", name, line);
        if (text[i] == '\n') {
            line++;
            col = 0;
        } else if (++col > CV_CONFIG_MAX_LINE) {
            return cv_fail(CV_EPARSE, "%s:%zu: line is longer than %d bytes", name, line,
                           CV_CONFIG_MAX_LINE);
        }
    }
    return CV_OK;
}

enum cv_err cv_config_parse_text(const char *name, const char *text, size_t len,
                                 struct cv_config *out)
{
    struct parse_ctx *ctx;
    enum cv_err err;
    char *copy;
    int line;

    set_defaults(out);
    if (len > CV_CONFIG_MAX_BYTES)
        return cv_fail(CV_ETOOBIG, "%s: larger than %d bytes", name, CV_CONFIG_MAX_BYTES);
    err = check_lines(name, text, len);
    if (err)
        return err;
    ctx = cv_calloc(1, sizeof(*ctx));
    copy = cv_strndup(text, len);
    if (!ctx || !copy) {
        err = cv_fail(CV_ENOMEM, "out of memory");
        goto out_free;
    }
    ctx->name = name;
    ctx->cfg = out;
    out->file = cv_strdup(name);
    /* An indented line must not silently continue the previous value. */
    ini_allow_multiline = false;
    ini_stop_on_first_error = true;
    line = out->file ? ini_parse_string(copy, on_ini_key, ctx) : -2;
    if (line == -2) {
        err = cv_fail(CV_ENOMEM, "out of memory");
    } else if (line != 0) {
        err = cv_fail(ctx->err ? ctx->err : CV_EPARSE, "%s:%d: %s", name, line,
                      ctx->msg[0] ? ctx->msg : "not a 'key = value' line or a [section] title");
    } else {
        err = check_whole(out);
        if (err)
            cv_fail_prefix(err, "%s: ", name);
    }
out_free:
    cv_free(copy);
    cv_free(ctx);
    if (err)
        cv_config_free(out);
    return err;
}

enum cv_err cv_config_load(const char *path, struct cv_config *out)
{
    struct cv_buf b = CV_BUF_INIT(CV_CONFIG_MAX_BYTES);
    enum cv_err err;

    memset(out, 0, sizeof(*out));
    err = cv_file_check_private(path);
    if (!err)
        err = cv_buf_read_file(&b, path);
    if (err == CV_ETOOBIG)
        err = cv_fail(CV_ETOOBIG, "'%s' is larger than %d bytes", path, CV_CONFIG_MAX_BYTES);
    if (!err)
        err = cv_config_parse_text(path, cv_buf_str(&b), b.len, out);
    cv_buf_free(&b);
    for (size_t i = 0; !err && i < out->nrepos; i++) {
        err = cv_file_check_private(out->repos[i].password_file);
        if (err)
            cv_fail_prefix(err, "%s: [repo %s] password_file: ", path, out->repos[i].name);
        if (!err && out->repos[i].credentials &&
            (err = cv_file_check_private(out->repos[i].credentials)) != CV_OK)
            cv_fail_prefix(err, "%s: [repo %s] credentials: ", path, out->repos[i].name);
    }
    if (!err && out->smtp_password_file) {
        err = cv_file_check_private(out->smtp_password_file);
        if (err)
            cv_fail_prefix(err, "%s: [alerts] smtp_password_file: ", path);
    }
    if (err)
        cv_config_free(out);
    return err;
}

void cv_config_free(struct cv_config *c)
{
    if (!c)
        return;
    cv_free(c->file);
    cv_free(c->source_path);
    cv_free(c->facility);
    cv_free(c->index_db);
    for (size_t i = 0; i < c->nrepos; i++) {
        cv_free(c->repos[i].name);
        cv_free(c->repos[i].path);
        cv_free(c->repos[i].password_file);
        cv_free(c->repos[i].type);
        cv_free(c->repos[i].copy_of);
        cv_free(c->repos[i].credentials);
        cv_free(c->repos[i].ca_file);
    }
    cv_free(c->mllp_listen);
    cv_free(c->mllp_host);
    cv_free(c->mllp_storage);
    cv_free(c->smtp_url);
    cv_free(c->smtp_user);
    cv_free(c->smtp_password_file);
    cv_free(c->mail_from);
    for (size_t i = 0; i < c->nmail_to; i++)
        cv_free(c->mail_to[i]);
    cv_free(c->webhook);
    cv_free(c->print_dir);
    cv_free(c->print_facility);
    cv_free(c->state_dir);
    for (size_t i = 0; i < CV_CONTACT_ROLES; i++) {
        cv_free(c->contacts[i].name);
        cv_free(c->contacts[i].phone);
        cv_free(c->contacts[i].mail);
    }
    memset(c, 0, sizeof(*c));
}
