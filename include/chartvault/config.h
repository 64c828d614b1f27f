/*
 * chartvault/config.h: the protection daemon's configuration file (INI, read with Debian's
 * libinih). The keys are a promise to operators: a file that worked with one version keeps
 * working with the next, so keys are only ever added. docs/CONFIG.md describes each one.
 */
#ifndef CHARTVAULT_CONFIG_H
#define CHARTVAULT_CONFIG_H

#include <chartvault/common.h>

#include <netinet/in.h>

/* Caps on what a config file may hold; past them the file is refused. */
#define CV_CONFIG_MAX_BYTES  (256 * 1024)
#define CV_CONFIG_MAX_LINE   190 /* libinih's line buffer is 200 bytes */
#define CV_CONFIG_MAX_REPOS  16
#define CV_CONFIG_MAX_ALLOW  64
#define CV_CONFIG_MAX_MAILTO 16

/* One network of an allow-list: `addr` masked to `prefix` bits. IPv4 is kept as an
 * IPv4-mapped IPv6 address (::ffff:a.b.c.d) with prefix + 96, so one comparison serves both. */
struct cv_cidr {
    struct in6_addr addr;
    unsigned prefix; /* 0..128 */
};

/* [contacts]: whom to call in an incident, one key per role (docs/CONFIG.md). Printed on the
 * first page of every downtime pack and in `chartvault report`. Staff and vendor data, never
 * patient data. */
enum cv_contact_role {
    CV_CONTACT_IT_ONCALL,      /* it_oncall: the hospital's IT person on call */
    CV_CONTACT_EHR_VENDOR,     /* ehr_vendor */
    CV_CONTACT_NETWORK_VENDOR, /* network_vendor */
    CV_CONTACT_PREFECTURE,     /* prefecture: the prefecture's medical affairs desk */
    CV_CONTACT_POLICE,         /* police: the prefectural police cyber crime desk */
    CV_CONTACT_MHLW,           /* mhlw: the MHLW incident line */
    CV_CONTACT_REGIONAL,       /* regional_network: the regional medical network */
    CV_CONTACT_ROLES
};
struct cv_config_contact {
    char *name;  /* NULL: this role is not set */
    char *phone; /* digits with - + ( ) # and spaces */
    char *mail;  /* NULL when none was given */
};
/* The role's key in [contacts], and its label as printed (Japanese, or English). */
const char *cv_contact_role_key(enum cv_contact_role r);
const char *cv_contact_role_label(enum cv_contact_role r, bool english);

/* Parse "10.0.0.0/8", "127.0.0.1" (= /32), "fd00::/8" or "::1". */
enum cv_err cv_cidr_parse(const char *s, struct cv_cidr *out);
/* Is the peer address (AF_INET or AF_INET6 sockaddr) inside one of `n` networks? */
bool cv_cidr_match_any(const struct cv_cidr *nets, size_t n, const struct sockaddr *peer);

struct cv_config_repo {
    char *name;          /* from the section title: [repo local] */
    char *path;          /* repository location: a folder, or s3:https://host/bucket/prefix */
    char *password_file; /* private file holding the passphrase (a copy: its source's) */
    long interval;       /* seconds between snapshots; default 15 min */
    char *type;          /* "local" or "s3" (optional: the path says which) */
    char *copy_of;       /* name of the repository this one replicates after each snapshot */
    long retention;      /* S3: seconds each object stays locked; 0 = the repository's own */
    char *credentials;   /* S3: private file with the access key */
    char *ca_file;       /* S3 over https: CA bundle */
};

struct cv_config {
    char *file; /* the path it was read from */

    /* [source]: the EHR's SS-MIX2 export (optional when MLLP storage is set) */
    char *source_path;
    char *facility;      /* 10-character facility ID; MSH-4 of our acknowledgements */
    long rescan;         /* seconds between full rescans; default 6 h */
    long settle_seconds; /* a file must be this quiet before it is read; default 1 s */

    /* [index] */
    char *index_db;

    /* [repo NAME]... */
    struct cv_config_repo repos[CV_CONFIG_MAX_REPOS];
    size_t nrepos;

    /* [mllp]: off unless `listen` is set */
    char *mllp_listen; /* as written, "0.0.0.0:2575" */
    char *mllp_host;   /* parsed: "0.0.0.0", "::" */
    unsigned mllp_port;
    struct cv_cidr allow[CV_CONFIG_MAX_ALLOW];
    size_t nallow;
    char *mllp_storage;      /* SS-MIX2 root for received messages */
    size_t mllp_max_message; /* bytes; default 1 MiB */
    unsigned mllp_max_clients;
    long mllp_max_per_address;   /* connections from one address at once; default 8 */
    size_t mllp_rejected_budget; /* bytes of refused messages kept aside; default 256 MiB */
    long mllp_idle_timeout;      /* seconds a silent client may stay connected */

    /* [alerts] */
    bool alert_syslog;
    char *smtp_url;
    char *smtp_user;
    char *smtp_password_file;
    char *mail_from;
    char *mail_to[CV_CONFIG_MAX_MAILTO];
    size_t nmail_to;
    char *webhook;
    long alert_repeat; /* seconds before the same alert is sent again; default 1 h */

    /* [drill] */
    long drill_interval;      /* default 1 h */
    long drill_sample;        /* default 1,000 files */
    long check_interval;      /* repository structure check; default 1 d, 0 = off */
    long drill_full_interval; /* full restore drill of the newest snapshot; default 30 d, 0 = off */
    long drill_rto;           /* recovery time objective a full drill is held to; default 4 h */

    /* [thresholds] */
    long snapshot_max_age; /* default 1 h */
    long anomaly_files;    /* default 500 */
    double anomaly_percent;

    /* [print]: downtime packs, off unless `dir` is set */
    char *print_dir;      /* packs-<time>/ folders and the `current` link */
    long print_interval;  /* seconds between refreshes; default 15 min (and after a freeze) */
    long print_validity;  /* "not valid after" = data time + this; default 1 h */
    long print_keep;      /* refreshes kept; default 3 */
    char *print_facility; /* the hospital's name on every page; default: [source] facility */

    /* [daemon] */
    char *state_dir; /* status, counters, freeze flag, drill scratch; default beside the index */
    long full_walk;  /* seconds between snapshots that walk the whole tree (between them the
                        change journal says what to read); default 1 d, 0 = always walk */

    /* [contacts] */
    struct cv_config_contact contacts[CV_CONTACT_ROLES];
    size_t ncontacts; /* roles set */
};

/* Read and check `path`. On a problem the message is one line naming the file, the line and
 * the key: "/etc/chartvault.conf:12: [repo local] interval: '15x' is not a duration...".
 * The file (and every password file it names) must be private to its owner. On failure *out
 * is zeroed. Release with cv_config_free(). */
enum cv_err cv_config_load(const char *path, struct cv_config *out);
/* The same checks on text in memory (`name` stands for the file in messages); password
 * files are not looked at. Used by the fuzz target and tests. */
enum cv_err cv_config_parse_text(const char *name, const char *text, size_t len,
                                 struct cv_config *out);
void cv_config_free(struct cv_config *c);

/* Parse a size "1048576", "512K", "1M", "1MiB", "2G" into bytes. */
enum cv_err cv_parse_size(const char *s, size_t *bytes);

#endif
