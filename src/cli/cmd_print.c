/*
 * cmd_print.c: `chartvault print`: downtime packs as PDF, per ward and hospital-wide, from an
 * index file or straight from a snapshot in a repository (its stored index is written to a
 * private temporary file and removed afterwards).
 */
#include "cli.h"
#include "snapshot_index.h"

#include <chartvault/index.h>
#include <chartvault/print.h>

#include <getopt.h>
#include <string.h>

static const char usage[] =
    "usage: chartvault print (--db FILE | --repo LOCATION [--snapshot ID|latest]) --out DIR\n"
    "                        [--ward W] [--facility TEXT] [--valid-for DURATION]\n"
    "                        [--as-of DATE] [--recent-days N] [--password-file FILE]\n"
    "                        [--config FILE] [--json]\n"
    "\n"
    "Write downtime packs as A4 PDF: per ward (census, one page per inpatient, wristband\n"
    "labels with Code 128 and QR) as DIR/ward-<W>.pdf, and DIR/hospital.pdf (every ward's\n"
    "census and the next of kin of every inpatient). Each page shows the data time and\n"
    "\"not valid after\" (data time + --valid-for). Files are replaced atomically.\n"
    "\n"
    "  --db FILE            the reference index\n"
    "  --repo LOCATION      a repository: print from the index stored in a snapshot\n"
    "  --snapshot ID        which snapshot (default latest)\n"
    "  --out DIR            where the PDFs go (made when missing)\n"
    "  --ward W             only this ward's pack (no hospital.pdf)\n"
    "  --facility TEXT      the hospital's name on every page (default: the facility\n"
    "                       folder the index was built from)\n"
    "  --valid-for DURATION how long after the data time a pack may be used (default 1h)\n"
    "  --as-of DATE         judge current medications and count ages on DATE (default\n"
    "                       today at the facility, $CHARTVAULT_TIMEZONE or Asia/Tokyo)\n"
    "  --recent-days N      also list medications that ended in the N days before it and\n"
    "                       those starting in the N days after it (1-3650, default 30)\n"
    "  --password-file FILE the repository passphrase (or $CHARTVAULT_PASSWORD)\n"
    "  --config FILE        the daemon's configuration: its [contacts] go on the first\n"
    "                       page of every pack, its [print] facility_name is the default\n"
    "                       --facility\n"
    "  --json               print a summary as one JSON object\n";

struct args {
    const char *db, *repo, *snapshot, *out, *ward, *password_file, *config;
    struct cv_print_options opt;
    bool json;
};

static int parse(int argc, char **argv, struct args *a)
{
    static const struct option opts[] = {
        {"db", required_argument, NULL, 'd'},
        {"repo", required_argument, NULL, 'r'},
        {"snapshot", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'o'},
        {"ward", required_argument, NULL, 'w'},
        {"facility", required_argument, NULL, 'f'},
        {"valid-for", required_argument, NULL, 'v'},
        {"as-of", required_argument, NULL, 'a'},
        {"recent-days", required_argument, NULL, 'R'},
        {"password-file", required_argument, NULL, 'P'},
        {"json", no_argument, NULL, 'j'},
        {"config", required_argument, NULL, 'c'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long days;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'd':
            a->db = optarg;
            break;
        case 'r':
            a->repo = optarg;
            break;
        case 's':
            a->snapshot = optarg;
            break;
        case 'o':
            a->out = optarg;
            break;
        case 'w':
            a->ward = optarg;
            break;
        case 'f':
            a->opt.facility = optarg;
            break;
        case 'v':
            if (cv_parse_duration(optarg, &a->opt.validity_seconds) != CV_OK ||
                a->opt.validity_seconds <= 0)
                return cli_usage_error("print",
                                       "--valid-for: '%s' is not a duration "
                                       "(examples: 30m, 1h, 2h)",
                                       optarg);
            break;
        case 'a':
            if (cv_parse_date(optarg, &days) != CV_OK)
                return cli_usage_error("print", "--as-of: '%s' is not a date (YYYY-MM-DD)", optarg);
            a->opt.as_of_date = optarg;
            break;
        case 'R':
            if (cli_parse_long("--recent-days", optarg, 1, CV_RECENT_DAYS_MAX, &a->opt.recent_days))
                return cli_usage_error("print", "%s", cv_errmsg());
            break;
        case 'P':
            a->password_file = optarg;
            break;
        case 'j':
            a->json = true;
            break;
        case 'c':
            a->config = optarg;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            return cli_usage_error("print", "unknown option");
        }
    }
    if (optind < argc)
        return cli_usage_error("print", "unexpected argument '%s'", argv[optind]);
    if (!a->db == !a->repo)
        return cli_usage_error("print", "give either --db FILE or --repo LOCATION");
    if (a->snapshot && !a->repo)
        return cli_usage_error("print", "--snapshot goes with --repo");
    if (!a->out)
        return cli_usage_error("print", "--out DIR is required");
    return CLI_EXIT_OK;
}

static int report(const struct args *a, const struct cv_print_stats *st, const char *snapshot)
{
    char size[32];

    if (a->json) {
        struct cv_buf buf = CV_BUF_INIT(4096);
        struct cv_json j;
        int rc;

        cv_json_init(&j, &buf, false);
        cv_json_object_begin(&j);
        cv_json_kv_string(&j, "out", a->out);
        if (snapshot)
            cv_json_kv_string(&j, "snapshot", snapshot);
        cv_json_kv_string(&j, "as_of", st->as_of);
        cv_json_kv_string(&j, "not_valid_after", st->expires);
        cv_json_kv_int(&j, "wards", st->wards);
        cv_json_kv_int(&j, "patients", st->patients);
        cv_json_kv_int(&j, "pages", st->pages);
        cv_json_kv_int(&j, "bytes", (long long)st->bytes);
        cv_json_kv_double(&j, "seconds", st->seconds);
        cv_json_kv_double(&j, "load_seconds", st->load_seconds);
        cv_json_object_end(&j);
        rc = cli_print_json("print", &j);
        cv_buf_free(&buf);
        return rc;
    }
    cli_format_bytes(st->bytes, size, sizeof(size));
    printf("wrote packs for %ld ward%s (%ld patients, %ld pages, %s) into '%s' in %.2f s\n",
           st->wards, st->wards == 1 ? "" : "s", st->patients, st->pages, size, a->out,
           st->seconds);
    printf("as of %s, not valid after %s\n", st->as_of, st->expires);
    return CLI_EXIT_OK;
}

static int print_run(int argc, char **argv)
{
    struct args a = {0};
    struct cli_snapshot_index snap = {0};
    struct cv_print_contact contacts[CV_CONTACT_ROLES];
    struct cv_config cfg = {0};
    struct cv_print_stats st;
    struct cv_index *idx = NULL;
    const char *db;
    enum cv_err err;
    int rc = parse(argc, argv, &a);

    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    err = cv_print_fonts_check(NULL);
    if (err)
        return cli_fail("print", err);
    if (a.config) {
        err = cv_config_load(a.config, &cfg);
        if (err)
            return cli_fail("print", err);
        cv_print_contacts_from_config(&cfg, contacts, &a.opt.ncontacts);
        a.opt.contacts = contacts;
        if (!a.opt.facility)
            a.opt.facility = cfg.print_facility;
    }
    db = a.db;
    if (a.repo) {
        rc = cli_snapshot_index_get("print", a.repo, a.password_file,
                                    a.snapshot ? a.snapshot : "latest", &snap);
        if (rc) {
            cv_config_free(&cfg);
            return rc;
        }
        db = snap.path;
    }
    err = cv_index_open(db, CV_INDEX_READONLY, &idx);
    if (!err)
        err = cv_print_packs(idx, a.out, a.ward, &a.opt, &st);
    cv_index_close(idx);
    if (err)
        rc = cli_fail("print", err);
    else
        rc = report(&a, &st, a.repo ? snap.name : NULL);
    cli_snapshot_index_drop(&snap);
    cv_config_free(&cfg);
    cv_print_release_caches();
    return rc;
}

const struct cli_command cli_cmd_print = {
    .name = "print",
    .section = CLI_VIEWER,
    .summary = "write downtime packs (PDF per ward, wristband labels) from an index or snapshot",
    .run = print_run,
};
