/*
 * alert.h: telling people that something stopped: syslog, mail (SMTP through libcurl) and a
 * webhook (an HTTP POST of JSON through libcurl). Each alert has a key ("stale:local") so that a
 * condition that lasts is repeated only every [alerts] repeat, and a cleared condition sends one
 * "resolved" notice. Alert text carries paths, counts and reasons, never patient data.
 */
#ifndef CHARTVAULT_DAEMON_ALERT_H
#define CHARTVAULT_DAEMON_ALERT_H

#include <chartvault/config.h>

enum cv_alert_severity { CV_ALERT_INFO, CV_ALERT_WARN, CV_ALERT_CRIT };

struct cv_alerter;

/* Ready the channels the config names (none is fine: then alerts only reach the log).
 * `hostname` is put in every alert so that one mailbox can serve several vault hosts. */
enum cv_err cv_alerter_open(struct cv_alerter **out, const struct cv_config *cfg,
                            const char *hostname);
void cv_alerter_free(struct cv_alerter *a);

/* Raise the condition `key` with a one-line `text`. Sent on every channel unless the same key
 * reached that channel less than [alerts] repeat ago; a channel that failed is tried again on
 * the next call. At most a burst of alerts per minute goes out, the rest are logged only.
 * Thread-safe; may block for the mail/webhook timeouts (a few seconds). */
void cv_alert_raise(struct cv_alerter *a, enum cv_alert_severity sev, const char *key,
                    const char *fmt, ...) CV_PRINTF(4, 5);
/* The condition `key` is over: if it was raised, send one "resolved" notice. */
void cv_alert_clear(struct cv_alerter *a, const char *key, const char *fmt, ...) CV_PRINTF(3, 4);
/* Is `key` currently raised? */
bool cv_alert_active(struct cv_alerter *a, const char *key);

/* Counters for status: alerts sent per channel and delivery failures. */
struct cv_alert_counters {
    unsigned long raised, syslog_sent, mail_sent, mail_failed, webhook_sent, webhook_failed,
        suppressed;
};
void cv_alerter_counters(struct cv_alerter *a, struct cv_alert_counters *out);

#endif
