/*
 * vault_cli.h: what the vault's commands (init, backup, snapshots, ls, diff, restore,
 * dump-index, check) share: the --repo/--password-file/--json options, opening a repository
 * with its passphrase, and small printing helpers.
 */
#ifndef CHARTVAULT_VAULT_CLI_H
#define CHARTVAULT_VAULT_CLI_H

#include "cli.h"

#include <chartvault/store.h>

#include <getopt.h>

struct vault_args {
    const char *repo;          /* --repo, or $CHARTVAULT_REPO */
    const char *password_file; /* --password-file */
    bool json;
};

/* The long options every vault command takes; end a command's table with these. */
#define VAULT_COMMON_OPTIONS                                                                       \
    {"repo", required_argument, NULL, 'r'}, {"password-file", required_argument, NULL, 'P'},       \
        {"json", no_argument, NULL, 'j'}, {"help", no_argument, NULL, 'h'},                        \
    {                                                                                              \
        NULL, 0, NULL, 0                                                                           \
    }
#define VAULT_COMMON_SHORT "r:P:jh"
#define VAULT_OPT_HELP     'h'

/* Take a common option; true when `c` was one. */
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
