/*
 * cli_util.c: how every command talks to the user: one-line errors, JSON on stdout, a
 * progress bar on a terminal, human sizes, and the stderr log sink.
 */
#include "cli.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int cli_usage_error(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    fprintf(stderr, "chartvault %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\nTry 'chartvault %s --help'.\n", cmd);
    return CLI_EXIT_USAGE;
}

int cli_fail(const char *cmd, enum cv_err err)
{
    struct cv_buf safe = CV_BUF_INIT(8192);
    const char *msg = cv_errmsg();

    cli_progress_done();
    /* messages quote file names, which are outside data: shown, never obeyed */
    fprintf(stderr, "chartvault %s: %s\n", cmd, *msg ? cli_term(&safe, msg) : cv_strerror(err));
    cv_buf_free(&safe);
    return CLI_EXIT_FAIL;
}

int cli_failf(const char *cmd, const char *fmt, ...)
{
    va_list ap;

    cli_progress_done();
    fprintf(stderr, "chartvault %s: ", cmd);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
    return CLI_EXIT_FAIL;
}

int cli_print_json(const char *cmd, struct cv_json *j)
{
    enum cv_err err = cv_json_finish(j);

    if (err)
        return cli_fail(cmd, err);
    fwrite(cv_buf_str(j->out), 1, j->out->len, stdout);
    fputc('\n', stdout);
    if (fflush(stdout) != 0)
        return cli_failf(cmd, "cannot write output: %s", strerror(errno));
    return CLI_EXIT_OK;
}

enum cv_err cli_parse_long(const char *opt, const char *s, long min, long max, long *out)
{
    char *end;
    long v;

    errno = 0;
    v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < min || v > max)
        return cv_fail(CV_EINVAL, "%s wants a whole number from %ld to %ld, not '%s'", opt, min,
                       max, s);
    *out = v;
    return CV_OK;
}

void cli_format_bytes(uint64_t n, char *buf, size_t len)
{
    cv_format_bytes(n, buf, len);
}

static bool progress_shown;
static uint64_t progress_last_ms;

bool cli_progress(const struct cv_progress *p, void *arg)
{
    uint64_t now = cv_monotonic_ms();
    char bytes[32];

    (void)arg;
    if (!isatty(STDERR_FILENO))
        return true;
    if (progress_shown && now - progress_last_ms < 100 && p->done != p->total)
        return true;
    progress_last_ms = now;
    progress_shown = true;
    cli_format_bytes(p->bytes, bytes, sizeof(bytes));
    if (p->total) {
        int width = 30;
        int filled = (int)((double)p->done / (double)p->total * width);
        char bar[31];

        if (filled > width)
            filled = width;
        memset(bar, '#', (size_t)filled);
        memset(bar + filled, '.', (size_t)(width - filled));
        bar[width] = '\0';
        fprintf(stderr, "\r\033[K%s [%s] %llu/%llu %3.0f%% %s", p->phase, bar,
                (unsigned long long)p->done, (unsigned long long)p->total,
                100.0 * (double)p->done / (double)p->total, bytes);
    } else {
        fprintf(stderr, "\r\033[K%s %llu %s", p->phase, (unsigned long long)p->done, bytes);
    }
    return true;
}

void cli_progress_done(void)
{
    if (progress_shown && isatty(STDERR_FILENO))
        fputs("\r\033[K", stderr);
    progress_shown = false;
}

static void stderr_sink(enum cv_log_level level, const char *func, const char *msg, void *arg)
{
    struct cv_buf safe = CV_BUF_INIT(8192);
    (void)func;
    (void)arg;

    cli_progress_done();
    fprintf(stderr, "chartvault: %s: %s\n", cv_log_level_name(level), cli_term(&safe, msg));
    cv_buf_free(&safe);
}

void cli_log_to_stderr(bool verbose)
{
    cv_log_set_sink(stderr_sink, NULL, verbose ? CV_LOG_DEBUG : CV_LOG_WARN);
}

const char *cli_term(struct cv_buf *scratch, const char *s)
{
    cv_buf_reset(scratch);
    if (!s)
        return "";
    return cv_term_escape(scratch, s, strlen(s)) == CV_OK ? cv_buf_str(scratch)
                                                          : "(name too long to show)";
}
