/*
 * vault_cli.h: what the vault's commands (init, backup, snapshots, ls, diff, restore,
 * dump-index, check) share: the --repo/--password-file/--json options, opening a repository
 * with its passphrase, and small printing helpers.
 */
#ifndef CHARTVAULT_VAULT_CLI_H
#define CHARTVAULT_VAULT_CLI_H

#include "cli.h"

#include <chartvault/backend.h>
#include <chartvault/store.h>

#include <getopt.h>

struct vault_args {
    const char *repo;          /* --repo, or $CHARTVAULT_REPO */
    const char *password_file; /* --password-file */
    bool json;
    struct cv_backend_opts backend; /* --credentials, --ca-file, --retention (S3) */
    bool bad_option;
};

/* The long options every vault command takes; end a command's table with these. */
#define VAULT_COMMON_OPTIONS                                                                       \
    {"repo", required_argument, NULL, 'r'}, {"password-file", required_argument, NULL, 'P'},       \
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},                        \
        {"credentials", required_argument, NULL, VAULT_OPT_CREDENTIALS},                           \
        {"ca-file", required_argument, NULL, VAULT_OPT_CA_FILE},                                   \
        {"retention", required_argument, NULL, VAULT_OPT_RETENTION},                               \
    {                                                                                              \
        NULL, 0, NULL, 0                                                                           \
    }
#define VAULT_COMMON_SHORT "r:P:jh"
#define VAULT_OPT_HELP     'h'
/* long-only options every vault command takes, for S3 repositories */
enum { VAULT_OPT_CREDENTIALS = 0x100, VAULT_OPT_CA_FILE, VAULT_OPT_RETENTION };
/* The help lines for them. */
#define VAULT_S3_HELP                                                                              \
    "  --credentials FILE     S3: access key file (mode 0600; aws_access_key_id = ...,\n"          \
    "                         aws_secret_access_key = ...), else $AWS_ACCESS_KEY_ID and\n"         \
    "                         $AWS_SECRET_ACCESS_KEY\n"                                            \
    "  --ca-file FILE         S3 over https: trust this CA bundle\n"                               \
    "  --retention DURATION   S3: lock new objects this long (30d; default: the repository's)\n"

/* Take a common option; true when `c` was one. A bad --retention is reported and sets
 * a->bad_option (the command then exits with a usage error). */
bool vault_common_opt(int c, const char *arg, struct vault_args *a);
/* After option parsing: the repository must be known. Returns 0 or a usage error (2). */
int vault_need_repo(const char *cmd, struct vault_args *a);
/* Open the repository, asking for its passphrase. Returns 0, or 1 after printing why. */
int vault_open(const char *cmd, const struct vault_args *a, struct cv_repo **repo);
/* Print "usage..." text to stdout and return 0 (for --help). */
int vault_help(const char *text);
/* Local time "YYYY-MM-DD HH:MM:SS" of a snapshot time. */
void vault_format_time(int64_t t, char *buf, size_t n);
/* Print warnings collected while the repository was open, if any, to stderr. */
void vault_report_warnings(const char *cmd, const struct cv_repo *repo);

#endif
