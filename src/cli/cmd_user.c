/*
 * cmd_user.c: `chartvault user`: the viewer's accounts in a state folder: add, change a
 * password, lock, unlock, list, and enrol a TOTP second factor (printing the otpauth URI and
 * a QR code to scan). Every change is written to the audit log too.
 */
#include "cli.h"

#include <chartvault/web.h>

#include <getopt.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out,
            "usage: chartvault user add NAME --role viewer|doctor|admin --state DIR "
            "[--password-file FILE]\n"
            "       chartvault user passwd NAME --state DIR [--password-file FILE]\n"
            "       chartvault user lock NAME --state DIR\n"
            "       chartvault user unlock NAME --state DIR\n"
            "       chartvault user list --state DIR [--json]\n"
            "       chartvault user totp NAME --state DIR [--remove]\n\n"
            "Manage the viewer's accounts. Passwords have at least 16 characters, are stored\n"
            "as Argon2id hashes, and no two accounts may share one. Without --password-file\n"
            "the password is asked for on the terminal (twice). 'unlock' also lifts a lockout\n"
            "after failed logins. 'totp' prints an otpauth URI and a QR code for an\n"
            "authenticator app; from then on the account needs its 6-digit code.\n");
}

struct user_opts {
    const char *state, *password_file, *role;
    bool json, remove;
};

static void audit_change(const char *state, const char *what, const char *name)
{
    struct cv_audit_event ev = {"account", what, NULL, "local", NULL, name};

    if (cv_audit_append_once(state, &ev) != CV_OK)
        fprintf(stderr, "chartvault user: warning: %s\n", cv_errmsg());
}

static int user_list(const struct user_opts *o)
{
    struct cv_account_info *v;
    size_t n;
    enum cv_err err = cv_account_list(o->state, &v, &n);
    struct cv_buf b = CV_BUF_INIT(1u << 24);
    struct cv_json j;
    char t[40];
    int rc = CLI_EXIT_OK;

    if (err)
        return cli_fail("user", err);
    cv_json_init(&j, &b, true);
    if (o->json)
        cv_json_array_begin(&j);
    else
        printf("%-20s %-7s %-6s %-8s %s\n", "NAME", "ROLE", "TOTP", "STATE", "FAILURES");
    for (size_t i = 0; i < n; i++) {
        const char *state = v[i].locked_by_admin ? "locked"
                            : v[i].locked_until  ? "lockout"
                                                 : "open";

        if (!o->json) {
            printf("%-20s %-7s %-6s %-8s %d\n", v[i].name, cv_role_name(v[i].role),
                   v[i].totp ? "yes" : "no", state, v[i].recent_failures);
            continue;
        }
        cv_json_object_begin(&j);
        cv_json_kv_string(&j, "name", v[i].name);
        cv_json_kv_string(&j, "role", cv_role_name(v[i].role));
        cv_json_kv_bool(&j, "totp", v[i].totp);
        cv_json_kv_string(&j, "state", state);
        cv_json_kv_int(&j, "recent_failures", v[i].recent_failures);
        cv_time_format_iso(v[i].locked_until, t, sizeof(t));
        cv_json_kv_string(&j, "locked_until", v[i].locked_until ? t : NULL);
        cv_time_format_iso(v[i].created, t, sizeof(t));
        cv_json_kv_string(&j, "created", t);
        cv_json_object_end(&j);
    }
    if (o->json) {
        cv_json_array_end(&j);
        rc = cli_print_json("user", &j);
    }
    cv_buf_free(&b);
    cv_free(v);
    return rc;
}

static int user_password(const char *sub, const char *name, const struct user_opts *o)
{
    enum cv_role role = CV_ROLE_VIEWER;
    char *pw = NULL;
    enum cv_err err;

    if (strcmp(sub, "add") == 0) {
        if (!o->role)
            return cli_usage_error("user", "add needs --role viewer|doctor|admin");
        if (cv_role_parse(o->role, &role))
            return cli_usage_error("user", "%s", cv_errmsg());
    }
    err = cv_account_name_check(name);
    if (!err)
        err =
            cli_password_get(o->password_file, false, "new password (16+ characters): ", true, &pw);
    if (!err)
        err = strcmp(sub, "add") == 0 ? cv_account_add(o->state, name, role, pw)
                                      : cv_account_set_password(o->state, name, pw);
    cli_password_free(pw);
    if (err)
        return cli_fail("user", err);
    audit_change(o->state, sub, name);
    printf("%s: %s\n", name, strcmp(sub, "add") == 0 ? "account added" : "password changed");
    return CLI_EXIT_OK;
}

static int user_totp(const char *name, const struct user_opts *o)
{
    struct cv_buf uri = CV_BUF_INIT(4096), qr = CV_BUF_INIT(1u << 20);
    char secret[64];
    enum cv_err err;

    if (o->remove) {
        err = cv_account_totp_remove(o->state, name);
        if (err)
            return cli_fail("user", err);
        audit_change(o->state, "totp-remove", name);
        printf("%s: one-time codes no longer required\n", name);
        return CLI_EXIT_OK;
    }
    err = cv_account_totp_enrol(o->state, name, secret, sizeof(secret));
    if (!err)
        err = cv_totp_uri(name, secret, &uri);
    if (!err)
        err = cv_qr_render_text(cv_buf_str(&uri), &qr);
    if (!err) {
        audit_change(o->state, "totp-enrol", name);
        printf("Scan this with an authenticator app (or enter the secret by hand).\n\n%s\n"
               "secret: %s\nuri: %s\n\nFrom now on '%s' needs the 6-digit code to log in.\n",
               cv_buf_str(&qr), secret, cv_buf_str(&uri), name);
    }
    memset(secret, 0, sizeof(secret));
    cv_buf_free(&uri);
    cv_buf_free(&qr);
    return err ? cli_fail("user", err) : CLI_EXIT_OK;
}

static int user_dispatch(const char *sub, const char *name, const struct user_opts *o)
{
    enum cv_err err;
    bool lock;

    if (strcmp(sub, "add") == 0 || strcmp(sub, "passwd") == 0)
        return user_password(sub, name, o);
    if (strcmp(sub, "totp") == 0)
        return user_totp(name, o);
    lock = strcmp(sub, "lock") == 0;
    err = cv_account_set_locked(o->state, name, lock);
    if (err)
        return cli_fail("user", err);
    audit_change(o->state, sub, name);
    printf("%s: %s\n", name, lock ? "locked" : "unlocked");
    return CLI_EXIT_OK;
}

static int user_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"state", required_argument, NULL, 's'},
        {"password-file", required_argument, NULL, 'p'},
        {"role", required_argument, NULL, 'r'},
        {"json", no_argument, NULL, 'j'},
        {"remove", no_argument, NULL, 'x'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    static const char *const subs[] = {"add", "passwd", "lock", "unlock", "list", "totp"};
    struct user_opts o = {0};
    const char *sub;
    bool known = false;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            o.state = optarg;
            break;
        case 'p':
            o.password_file = optarg;
            break;
        case 'r':
            o.role = optarg;
            break;
        case 'j':
            o.json = true;
            break;
        case 'x':
            o.remove = true;
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            return cli_usage_error("user", "unknown option");
        }
    }
    if (optind >= argc)
        return cli_usage_error("user", "which action? add, passwd, lock, unlock, list or totp");
    sub = argv[optind];
    for (size_t i = 0; i < CV_ARRAY_LEN(subs); i++)
        known |= strcmp(sub, subs[i]) == 0;
    if (!known)
        return cli_usage_error("user", "no action '%s'", sub);
    if (!o.state)
        return cli_usage_error("user", "--state DIR is required");
    if (strcmp(sub, "list") == 0)
        return optind + 1 == argc ? user_list(&o) : cli_usage_error("user", "list takes no name");
    if (optind + 2 != argc)
        return cli_usage_error("user", "%s wants exactly one account NAME", sub);
    return user_dispatch(sub, argv[optind + 1], &o);
}

const struct cli_command cli_cmd_user = {
    .name = "user",
    .section = CLI_VIEWER,
    .summary = "manage the viewer's accounts (add, passwd, lock, unlock, list, totp)",
    .run = user_run,
};
