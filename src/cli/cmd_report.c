/*
 * cmd_report.c: `chartvault report`: the inspection report for the MHLW checklist, as PDF or
 * HTML (by the --out file's name) and/or JSON on standard output. Japanese by default.
 */
#include "cli.h"

#include <chartvault/config.h>
#include <chartvault/daemon.h>
#include <chartvault/print.h>
#include <chartvault/report.h>

#include <getopt.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

static const char usage[] =
    "usage: chartvault report --config FILE [--viewer-state DIR] [--since YYYY-MM-DD]\n"
    "                         [--out FILE.pdf|FILE.html] [--dir DIR] [--json]\n"
    "                         [--lang ja|en]\n"
    "\n"
    "The report for the on-site inspection (MHLW guideline 6.0 checklist): one section per\n"
    "item chartvault can evidence (backups, restore drills, recovery procedure, contacts,\n"
    "access logs, this system's inventory), each with a verdict (満たしている / 要対応 /\n"
    "対象外) and its evidence, and what chartvault cannot know listed as not covered.\n"
    "\n"
    "  --config FILE        the daemon's configuration (state, repositories, [contacts])\n"
    "  --viewer-state DIR   the viewer's state folder (`serve --state`): audit log,\n"
    "                       accounts, certificate; without it the access-log section is\n"
    "                       marked 要対応 (not checked)\n"
    "  --since DATE         start of the period for drills and access logs (default: 30\n"
    "                       days ago)\n"
    "  --out FILE           write the report: FILE.pdf (A4) or FILE.html\n"
    "  --dir DIR            write report.pdf, report.html, report.json and status.json\n"
    "                       into DIR (mode 0640), for the viewer's admin page (serve\n"
    "                       --report DIR); run it hourly (packaging/chartvault-report.timer)\n"
    "  --json               print the report as one JSON object\n"
    "  --lang ja|en         the report's language (default ja)\n"
    "\n"
    "Exit status 0 when the report was written (whatever its verdicts), 1 when it could not\n"
    "be, 2 on a usage error.\n";

struct args {
    const char *config, *viewer_state, *out, *dir;
    long long since;
    bool json, english, pdf;
};

static long long local_midnight(long days)
{
    struct tm tm = {0};
    int y, m, d;

    cv_days_to_ymd(days, &y, &m, &d);
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    tm.tm_isdst = -1;
    return (long long)mktime(&tm);
}

static int parse(int argc, char **argv, struct args *a)
{
    static const struct option opts[] = {
        {"config", required_argument, NULL, 'c'},
        {"viewer-state", required_argument, NULL, 'v'},
        {"since", required_argument, NULL, 's'},
        {"out", required_argument, NULL, 'o'},
        {"json", no_argument, NULL, 'j'},
        {"lang", required_argument, NULL, 'l'},
        {"dir", required_argument, NULL, 'd'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long days;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "+h", opts, NULL)) != -1) {
        switch (c) {
        case 'c':
            a->config = optarg;
            break;
        case 'v':
            a->viewer_state = optarg;
            break;
        case 's':
            if (strlen(optarg) != 10 || cv_parse_date(optarg, &days) != CV_OK)
                return cli_usage_error("report", "--since wants a date YYYY-MM-DD, not '%s'",
                                       optarg);
            a->since = local_midnight(days);
            break;
        case 'o':
            a->out = optarg;
            break;
        case 'j':
            a->json = true;
            break;
        case 'd':
            a->dir = optarg;
            break;
        case 'l':
            if (strcmp(optarg, "ja") != 0 && strcmp(optarg, "en") != 0)
                return cli_usage_error("report", "--lang: '%s' is not ja or en", optarg);
            a->english = strcmp(optarg, "en") == 0;
            break;
        case 'h':
            fputs(usage, stdout);
            return -1;
        default:
            return cli_usage_error("report", "unknown option");
        }
    }
    if (optind < argc)
        return cli_usage_error("report", "unexpected argument '%s'", argv[optind]);
    if (!a->config)
        return cli_usage_error("report", "--config FILE is required");
    if (!a->out && !a->json && !a->dir)
        return cli_usage_error("report", "give --out FILE.pdf|FILE.html, --dir DIR or --json");
    if (a->out) {
        size_t n = strlen(a->out);

        a->pdf = n > 4 && strcmp(a->out + n - 4, ".pdf") == 0;
        if (!a->pdf && !(n > 5 && strcmp(a->out + n - 5, ".html") == 0))
            return cli_usage_error("report", "--out: '%s' ends in neither .pdf nor .html", a->out);
    }
    if (!a->since)
        a->since = (long long)cv_now() - 30LL * 86400;
    return CLI_EXIT_OK;
}

static enum cv_err write_html(const struct cv_report *r, const char *path)
{
    struct cv_buf b = CV_BUF_INIT(64u << 20);
    enum cv_err err = cv_report_html(r, &b);

    if (!err)
        err = cv_file_write_atomic(path, b.data, b.len, 0640);
    cv_buf_free(&b);
    return err;
}

static enum cv_err write_json_file(const char *path, struct cv_json *j, struct cv_buf *b)
{
    enum cv_err err = cv_json_finish(j);

    if (!err)
        err = cv_buf_putc(b, '\n');
    return err ? cv_fail(err, "'%s' is too large", path)
               : cv_file_write_atomic(path, b->data, b->len, 0640);
}

/* --dir: the four files of the viewer's admin page, each replaced whole. */
static enum cv_err write_dir(const struct cv_report *r, const struct cv_config *cfg,
                             const char *dir)
{
    struct cv_buf b = CV_BUF_INIT(64u << 20);
    struct cv_status *st = cv_calloc(1, sizeof(*st));
    char path[4096];
    struct cv_json j;
    enum cv_err err = st ? cv_mkdir_p(dir, 0750) : cv_fail(CV_ENOMEM, "out of memory");

    if (!err && !(err = cv_path_join(path, sizeof(path), dir, "report.pdf")) &&
        !(err = cv_report_pdf(r, path, NULL)) && chmod(path, 0640) != 0)
        err = cv_fail_errno(CV_EIO, "cannot chmod '%s'", path);
    if (!err && !(err = cv_path_join(path, sizeof(path), dir, "report.html")))
        err = write_html(r, path);
    if (!err && !(err = cv_path_join(path, sizeof(path), dir, "report.json"))) {
        cv_json_init(&j, &b, false);
        cv_report_json(r, &j);
        err = write_json_file(path, &j, &b);
    }
    if (!err && !(err = cv_path_join(path, sizeof(path), dir, "status.json"))) {
        cv_buf_reset(&b);
        cv_json_init(&j, &b, false);
        if (cv_daemon_status(cfg, st) == CV_OK) {
            cv_status_to_json(st, &j);
        } else {
            cv_json_object_begin(&j);
            cv_json_kv_string(&j, "error", cv_errmsg());
            cv_json_object_end(&j);
        }
        err = write_json_file(path, &j, &b);
    }
    cv_buf_free(&b);
    cv_free(st);
    return err;
}

static int report_run(int argc, char **argv)
{
    struct args a = {0};
    struct cv_report_options o;
    struct cv_report r;
    struct cv_config cfg;
    enum cv_err err;
    int rc = parse(argc, argv, &a);

    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    err = cv_config_load(a.config, &cfg);
    if (err)
        return cli_fail("report", err);
    o = (struct cv_report_options){
        .viewer_state = a.viewer_state, .since = a.since, .english = a.english};
    err = cv_report_build(&cfg, &o, &r);
    if (err) {
        cv_config_free(&cfg);
        return cli_fail("report", err);
    }
    if (a.out)
        err = a.pdf ? cv_report_pdf(&r, a.out, NULL) : write_html(&r, a.out);
    if (!err && a.dir)
        err = write_dir(&r, &cfg, a.dir);
    cv_config_free(&cfg);
    cv_print_release_caches();
    if (!err && a.json) {
        struct cv_buf b = CV_BUF_INIT(64u << 20);
        struct cv_json j;

        cv_json_init(&j, &b, false);
        cv_report_json(&r, &j);
        rc = cli_print_json("report", &j);
        cv_buf_free(&b);
    } else if (!err) {
        for (int i = 0; i < CV_REPORT_SECTIONS; i++)
            printf("%s: %s\n", r.sections[i].title,
                   cv_report_verdict_text(r.sections[i].verdict, a.english));
        if (a.out)
            printf("report written to %s\n", a.out);
        if (a.dir)
            printf("report and status written to %s/ (report.pdf, report.html, report.json, "
                   "status.json)\n",
                   a.dir);
    }
    cv_report_free(&r);
    if (err)
        return cli_fail("report", err);
    return rc;
}

const struct cli_command cli_cmd_report = {
    .name = "report",
    .section = CLI_DAEMON,
    .summary = "the inspection report (MHLW checklist) as PDF, HTML or JSON, with verdicts",
    .run = report_run,
};
