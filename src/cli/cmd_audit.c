/*
 * cmd_audit.c: `chartvault audit`: check the viewer's hash-chained audit log (any edited,
 * removed or reordered record is found), and export it as JSON or CSV for an inspector.
 */
#include "cli.h"

#include <chartvault/web.h>

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static void usage(FILE *out)
{
    fprintf(out, "usage: chartvault audit verify --state DIR [--json]\n"
                 "       chartvault audit export --state DIR [--since YYYY-MM-DD] [--csv]\n\n"
                 "verify walks the whole chain of the viewer's audit log and names the first\n"
                 "record that was edited, removed or reordered (exit 1). export prints the\n"
                 "records (from a date on) as a JSON array, or as CSV with a header line.\n");
}

static int audit_verify(const char *state, bool json)
{
    struct cv_audit_verify v;
    struct cv_buf b = CV_BUF_INIT(4096);
    struct cv_json j;
    enum cv_err err = cv_audit_verify(state, &v);
    int rc;

    if (err)
        return cli_fail("audit", err);
    if (json) {
        cv_json_init(&j, &b, false);
        cv_json_object_begin(&j);
        cv_json_kv_bool(&j, "ok", v.first_bad_line == 0);
        cv_json_kv_int(&j, "records", (long long)v.records);
        if (v.first_bad_line) {
            cv_json_kv_int(&j, "bad_line", (long long)v.first_bad_line);
            cv_json_kv_string(&j, "reason", v.reason);
        }
        cv_json_object_end(&j);
        rc = cli_print_json("audit", &j);
        cv_buf_free(&b);
        return rc ? rc : v.first_bad_line ? CLI_EXIT_FAIL : CLI_EXIT_OK;
    }
    if (v.first_bad_line)
        return cli_failf("audit",
                         "audit log damaged at line %llu: %s (%llu records intact "
                         "before it)",
                         (unsigned long long)v.first_bad_line, v.reason,
                         (unsigned long long)v.records);
    printf("audit log intact: %llu records\n", (unsigned long long)v.records);
    return CLI_EXIT_OK;
}

/* One record as a CSV line (cv_csv_field defuses formulas for spreadsheets). */
static void export_csv(const struct cv_audit_record *r)
{
    const char *fields[] = {r->time, r->event,   r->result, r->user,
                            r->addr, r->patient, r->detail, r->hash};
    struct cv_buf b = CV_BUF_INIT(1u << 16);

    cv_buf_printf(&b, "%llu", (unsigned long long)r->seq);
    for (size_t i = 0; i < CV_ARRAY_LEN(fields); i++) {
        cv_buf_putc(&b, ',');
        cv_csv_field(&b, fields[i]);
    }
    if (cv_buf_putc(&b, '\n') == CV_OK)
        fwrite(b.data, 1, b.len, stdout);
    else
        fprintf(stderr, "chartvault audit: record %llu skipped: %s\n", (unsigned long long)r->seq,
                cv_errmsg());
    cv_buf_free(&b);
}

static void export_one(const struct cv_audit_record *r, bool csv, bool first)
{
    struct cv_buf b = CV_BUF_INIT(1u << 16);
    struct cv_json j;

    if (csv) {
        export_csv(r);
        return;
    }
    cv_json_init(&j, &b, false);
    cv_json_object_begin(&j);
    cv_json_kv_int(&j, "seq", (long long)r->seq);
    cv_json_kv_string(&j, "time", r->time);
    cv_json_kv_string(&j, "event", r->event);
    cv_json_kv_string(&j, "result", r->result);
    cv_json_kv_string(&j, "user", r->user);
    cv_json_kv_string(&j, "addr", r->addr);
    cv_json_kv_string(&j, "patient", r->patient);
    cv_json_kv_string(&j, "detail", r->detail);
    cv_json_kv_string(&j, "hash", r->hash);
    cv_json_object_end(&j);
    if (cv_json_finish(&j) == CV_OK)
        printf("%s\n%s", first ? "" : ",", cv_buf_str(&b));
    cv_buf_free(&b);
}

static int audit_export(const char *state, const char *since, bool csv)
{
    static struct cv_audit_record r;
    char path[4096];
    char *line = NULL;
    size_t cap = 0, lineno = 0, out = 0;
    ssize_t n;
    FILE *f;

    if (cv_path_join(path, sizeof(path), state, "audit.log"))
        return cli_fail("audit", CV_ETOOBIG);
    f = fopen(path, "r");
    if (!f)
        return cli_fail("audit", cv_fail_errno(CV_EIO, "cannot open audit log '%s'", path));
    if (csv)
        printf("seq,time,event,result,user,addr,patient,detail,hash\n");
    else
        printf("[");
    while ((n = getline(&line, &cap, f)) > 0) {
        lineno++;
        if (line[n - 1] == '\n')
            line[--n] = '\0';
        if (cv_audit_record_parse(line, (size_t)n, &r) != CV_OK) {
            fprintf(stderr, "chartvault audit: line %zu skipped: %s\n", lineno, cv_errmsg());
            continue;
        }
        if (since && strncmp(r.time, since, strlen(since)) < 0)
            continue;
        export_one(&r, csv, out++ == 0);
    }
    if (!csv)
        printf("%s]\n", out ? "\n" : "");
    free(line);
    fclose(f);
    return CLI_EXIT_OK;
}

static int audit_run(int argc, char **argv)
{
    static const struct option opts[] = {
        {"state", required_argument, NULL, 's'}, {"since", required_argument, NULL, 'S'},
        {"csv", no_argument, NULL, 'c'},         {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0},
    };
    const char *state = NULL, *since = NULL;
    bool csv = false, json = false;
    long days;
    int c;

    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            state = optarg;
            break;
        case 'S':
            since = optarg;
            break;
        case 'c':
            csv = true;
            break;
        case 'j':
            json = true;
            break;
        case 'h':
            usage(stdout);
            return CLI_EXIT_OK;
        default:
            return cli_usage_error("audit", "unknown option");
        }
    }
    if (optind + 1 != argc)
        return cli_usage_error("audit", "which action? verify or export");
    if (!state)
        return cli_usage_error("audit", "--state DIR is required");
    if (since && (strlen(since) != 10 || cv_parse_date(since, &days)))
        return cli_usage_error("audit", "--since wants a date YYYY-MM-DD, not '%s'", since);
    if (strcmp(argv[optind], "verify") == 0)
        return audit_verify(state, json);
    if (strcmp(argv[optind], "export") == 0)
        return audit_export(state, since, csv);
    return cli_usage_error("audit", "no action '%s'", argv[optind]);
}

const struct cli_command cli_cmd_audit = {
    .name = "audit",
    .section = CLI_VIEWER,
    .summary = "verify or export the viewer's hash-chained audit log",
    .run = audit_run,
};
