/*
 * vault_cli.c: the options, passphrase handling and printing the vault's commands share.
 */
#include "vault_cli.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

bool vault_common_opt(int c, const char *arg, struct vault_args *a)
{
    switch (c) {
    case 'r':
        a->repo = arg;
        return true;
    case 'P':
        a->password_file = arg;
        return true;
    case 'j':
        a->json = true;
        return true;
    case VAULT_OPT_CREDENTIALS:
        a->backend.credentials_file = arg;
        return true;
    case VAULT_OPT_CA_FILE:
        a->backend.ca_file = arg;
        return true;
    case VAULT_OPT_RETENTION:
        if (cv_parse_duration(arg, &a->backend.retention) != CV_OK || a->backend.retention <= 0) {
            cli_usage_error("", "--retention wants a duration such as 30d, 12h or 90s");
            a->bad_option = true;
        }
        return true;
    default:
        return false;
    }
}

int vault_need_repo(const char *cmd, struct vault_args *a)
{
    if (a->bad_option)
        return CLI_EXIT_USAGE;
    if (!a->repo || !*a->repo)
        a->repo = getenv("CHARTVAULT_REPO");
    if (!a->repo || !*a->repo)
        return cli_usage_error(cmd, "--repo DIR is required (or set CHARTVAULT_REPO)");
    return CLI_EXIT_OK;
}

int vault_open(const char *cmd, const struct vault_args *a, struct cv_repo **repo)
{
    char prompt[512], *pw = NULL;
    enum cv_err err;

    snprintf(prompt, sizeof(prompt), "passphrase for '%s': ", a->repo);
    err = cli_password_get(a->password_file, true, prompt, false, &pw);
    if (!err)
        err = cv_repo_open_with(a->repo, pw, &a->backend, repo);
    cli_password_free(pw);
    if (err)
        return cli_fail(cmd, err);
    return CLI_EXIT_OK;
}

int vault_help(const char *text)
{
    fputs(text, stdout);
    return CLI_EXIT_OK;
}

void vault_format_time(int64_t t, char *buf, size_t n)
{
    time_t tt = (time_t)t;
    struct tm tm;

    if (!localtime_r(&tt, &tm) || !strftime(buf, n, "%Y-%m-%d %H:%M:%S", &tm))
        snprintf(buf, n, "%lld", (long long)t);
}

void vault_report_warnings(const char *cmd, const struct cv_repo *repo)
{
    uint64_t n = cv_repo_warnings(repo);

    if (n)
        fprintf(stderr,
                "chartvault %s: %llu damaged repository object%s skipped; "
                "run 'chartvault check'\n",
                cmd, (unsigned long long)n, n == 1 ? "" : "s");
}
