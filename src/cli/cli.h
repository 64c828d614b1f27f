/*
 * cli.h: what every `chartvault <command>` file shares. A command is a file cmd_<name>.c that
 * defines `const struct cli_command cli_cmd_<name>`; the table is generated from the file
 * names. Exit codes: 0 done, 1 failed (the reason is printed on one line), 2 usage error.
 */
#ifndef CHARTVAULT_CLI_H
#define CHARTVAULT_CLI_H

#include <chartvault/common.h>

#include <stdio.h>

enum cli_section { CLI_DATA, CLI_VAULT, CLI_VIEWER, CLI_DAEMON, CLI_OTHER };

struct cli_command {
    const char *name;
    enum cli_section section;
    const char *summary; /* one line for `chartvault --help` */
    /* argv[0] is the command name; options follow. Returns the exit status. */
    int (*run)(int argc, char **argv);
};

enum { CLI_EXIT_OK = 0, CLI_EXIT_FAIL = 1, CLI_EXIT_USAGE = 2 };

/* "chartvault <cmd>: <message>" on stderr, then "Try 'chartvault <cmd> --help'."; returns 2. */
int cli_usage_error(const char *cmd, const char *fmt, ...) CV_PRINTF(2, 3);
/* "chartvault <cmd>: <cv_errmsg() or cv_strerror(err)>" on stderr; returns 1. */
int cli_fail(const char *cmd, enum cv_err err);
/* "chartvault <cmd>: <message>" on stderr; returns 1. */
int cli_failf(const char *cmd, const char *fmt, ...) CV_PRINTF(2, 3);

/* Write a finished JSON buffer (plus newline) to stdout; returns 0, or 1 if it failed. */
int cli_print_json(const char *cmd, struct cv_json *j);

/* Parse a non-negative integer option value within [min, max]. */
enum cv_err cli_parse_long(const char *opt, const char *s, long min, long max, long *out);

/* A progress bar on stderr, drawn only when stderr is a terminal; use as a cv_progress_fn.
 * Call cli_progress_done() afterwards to clear the line. */
bool cli_progress(const struct cv_progress *p, void *arg);
void cli_progress_done(void);

/* Install a stderr log sink ("chartvault: warning: ..."); verbose adds info/debug. */
void cli_log_to_stderr(bool verbose);

/* The passphrase for a repository or account, from (in order) --password-file FILE (refused
 * when group/others can read it), $CHARTVAULT_PASSWORD when `use_env`, or a prompt on the
 * terminal (asked twice when `confirm`). First line only, without its newline. Caller wipes
 * and frees with cli_password_free(). */
enum cv_err cli_password_get(const char *password_file, bool use_env, const char *prompt,
                             bool confirm, char **out);
void cli_password_free(char *pw);

/* Human sizes: "1.5 MiB". */
void cli_format_bytes(uint64_t n, char *buf, size_t len);
/* `s` made safe for a terminal (cv_term_escape) in `scratch` (reset first); valid until the
 * next use of `scratch`. Text that could not be escaped whole shows as "(name too long)". */
const char *cli_term(struct cv_buf *scratch, const char *s);

#endif
