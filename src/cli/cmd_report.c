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
#include <time.h>

static const char usage[] =
    "usage: chartvault report --config FILE [--viewer-state DIR] [--since YYYY-MM-DD]\n"
    "                         [--out FILE.pdf|FILE.html] [--json] [--lang ja|en]\n"
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
    "  --json               print the report as one JSON object\n"
    "  --lang ja|en         the report's language (default ja)\n"
    "\n"
    "Exit status 0 when the report was written (whatever its verdicts), 1 when it could not\n"
    "be, 2 on a usage error.\n";

struct args {
    const char *config, *viewer_state, *out;
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
        {"config", required_argument, NULL, 'c'}, {"viewer-state", required_argument, NULL, 'v'},
        {"since", required_argument, NULL, 's'},  {"out", required_argument, NULL, 'o'},
        {"json", no_argument, NULL, 'j'},         {"lang", required_argument, NULL, 'l'},
        {"help", no_argument, NULL, 'h'},         {NULL, 0, NULL, 0},
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
    if (!a->out && !a->json)
        return cli_usage_error("report", "give --out FILE.pdf|FILE.html, --json, or both");
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
    cv_config_free(&cfg);
    if (err)
        return cli_fail("report", err);
    if (a.out) {
        err = a.pdf ? cv_report_pdf(&r, a.out, NULL) : write_html(&r, a.out);
        if (a.pdf)
            cv_print_release_caches();
    }
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
        printf("report written to %s\n", a.out);
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
