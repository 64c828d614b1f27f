/*
 * log.c: library logging goes to a sink the application installs (stderr for the CLI, syslog
 * or a file for the daemons). Without a sink the library is silent. Callers must never pass
 * patient data here; see common.h. Every line goes through cv_redact() on its way, so a path
 * that slipped into a message (an error from below, say) leaves without its patient.
 */
#include <chartvault/common.h>

#include <stdio.h>

static cv_log_sink log_sink;
static void *log_sink_arg;
static enum cv_log_level log_min = CV_LOG_INFO;

void cv_log_set_sink(cv_log_sink sink, void *arg, enum cv_log_level min_level)
{
    log_sink = sink;
    log_sink_arg = arg;
    log_min = min_level;
}

const char *cv_log_level_name(enum cv_log_level level)
{
    static const char *const names[] = {"debug", "info", "warning", "error", "critical"};

    if ((unsigned)level >= CV_ARRAY_LEN(names))
        return "?";
    return names[level];
}

void cv_log(enum cv_log_level level, const char *func, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    if (!log_sink || level < log_min)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    cv_redact(msg, sizeof(msg));
    log_sink(level, func, msg, log_sink_arg);
}
