/*
 * cmd_synth.c: `chartvault synth`, a synthetic SS-MIX2 hospital for tests, benchmarks and
 * demos (the generator is in src/synth/). Prints one summary line, or a JSON object.
 */
#include "cli.h"

#include <chartvault/synth.h>

#include <getopt.h>
#include <stdlib.h>
#include <string.h>

static const char usage_text[] =
    "usage: chartvault synth --out DIR --patients N [--seed S] [--years Y]\n"
    "                        [--end-date YYYY-MM-DD] [--manifest FILE] [--facility ID]\n"
    "                        [--no-sync] [--json]\n"
    "\n"
    "Write a synthetic general hospital as an SS-MIX2 standardized storage in DIR (which\n"
    "must be missing or empty): patients with names, addresses and next of kin, clinic\n"
    "visits, admissions to wards and beds, transfers, leaves, discharges, allergies,\n"
    "diagnoses, prescriptions, injections, lab tests, diets and radiology, over Y years\n"
    "up to the end date, with the byte-level traps of real storages. The same options\n"
    "always give the same tree, byte for byte, file times included.\n"
    "\n"
    "  --out DIR          the storage root to create\n"
    "  --patients N       number of patients (1-2000000)\n"
    "  --seed S           random seed (default 1)\n"
    "  --years Y          years of care (1-30, default 2)\n"
    "  --end-date DATE    last day of care (default " CV_SYNTH_DEFAULT_END ")\n"
    "  --manifest FILE    also write the ground truth as of the end date (JSON)\n"
    "  --facility ID      facility ID in MSH-4 (default " CV_SYNTH_DEFAULT_FAC ")\n"
    "  --no-sync          do not wait for the tree to reach the disk\n"
    "  --json             print the summary as JSON\n";

static int parse(int argc, char **argv, struct cv_synth_options *opt, bool *json)
{
    static const struct option longopts[] = {
        {"out", required_argument, NULL, 'o'},
        {"patients", required_argument, NULL, 'p'},
        {"seed", required_argument, NULL, 's'},
        {"years", required_argument, NULL, 'y'},
        {"end-date", required_argument, NULL, 'e'},
        {"manifest", required_argument, NULL, 'm'},
        {"facility", required_argument, NULL, 'f'},
        {"no-sync", no_argument, NULL, 'n'},
        {"json", no_argument, NULL, 'j'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    long v;
    int c;

    optind = 1;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        switch (c) {
        case 'o':
            opt->out_dir = optarg;
            break;
        case 'p':
            if (cli_parse_long("--patients", optarg, 1, CV_SYNTH_MAX_PATIENTS, &v))
                return cli_usage_error("synth", "%s", cv_errmsg());
            opt->patients = v;
            break;
        case 's':
            if (cli_parse_long("--seed", optarg, 0, 9007199254740991L, &v))
                return cli_usage_error("synth", "%s", cv_errmsg());
            opt->seed = (uint64_t)v;
            break;
        case 'y':
            if (cli_parse_long("--years", optarg, 1, CV_SYNTH_MAX_YEARS, &v))
                return cli_usage_error("synth", "%s", cv_errmsg());
            opt->years = (int)v;
            break;
        case 'e':
            if (cv_parse_date(optarg, &opt->end_date))
                return cli_usage_error("synth", "--end-date: %s", cv_errmsg());
            break;
        case 'm':
            opt->manifest_path = optarg;
            break;
        case 'f':
            opt->facility = optarg;
            break;
        case 'n':
            opt->sync = false;
            break;
        case 'j':
            *json = true;
            break;
        case 'h':
            fputs(usage_text, stdout);
            return -1;
        case ':':
            return cli_usage_error("synth", "%s needs a value", argv[optind - 1]);
        default:
            return cli_usage_error("synth", "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error("synth", "unexpected argument '%s'", argv[optind]);
    if (!opt->out_dir)
        return cli_usage_error("synth", "--out DIR is required");
    if (!opt->patients)
        return cli_usage_error("synth", "--patients N is required");
    return 0;
}

static int report(const struct cv_synth_options *opt, const struct cv_synth_stats *st, bool json)
{
    double rate = st->seconds > 0 ? (double)st->files / st->seconds : 0;
    char size[32];

    if (json) {
        struct cv_buf b = CV_BUF_INIT(1 << 16);
        struct cv_json j;
        int rc;

        cv_json_init(&j, &b, false);
        cv_json_object_begin(&j);
        cv_json_kv_int(&j, "files", (long long)st->files);
        cv_json_kv_int(&j, "bytes", (long long)st->bytes);
        cv_json_kv_double(&j, "seconds", (double)(long long)(st->seconds * 1000) / 1000);
        cv_json_kv_int(&j, "files_per_second", (long long)rate);
        cv_json_kv_int(&j, "patients", (long long)st->patients);
        cv_json_kv_string(&j, "out", opt->out_dir);
        cv_json_kv_string(&j, "manifest", opt->manifest_path);
        cv_json_object_end(&j);
        rc = cli_print_json("synth", &j);
        cv_buf_free(&b);
        return rc;
    }
    cli_format_bytes(st->bytes, size, sizeof(size));
    printf("wrote %llu files (%s) for %llu patients to '%s' in %.2f s, %.0f files/s\n",
           (unsigned long long)st->files, size, (unsigned long long)st->patients, opt->out_dir,
           st->seconds, rate);
    if (fflush(stdout) != 0)
        return cli_failf("synth", "cannot write output");
    return CLI_EXIT_OK;
}

static int run(int argc, char **argv)
{
    struct cv_synth_options opt;
    struct cv_synth_stats st;
    enum cv_err err;
    bool json = false;
    int rc;

    cv_synth_options_default(&opt);
    if ((rc = parse(argc, argv, &opt, &json)))
        return rc < 0 ? CLI_EXIT_OK : rc;
    opt.progress = cli_progress;
    err = cv_synth_run(&opt, &st);
    cli_progress_done();
    if (err)
        return cli_fail("synth", err);
    return report(&opt, &st, json);
}

const struct cli_command cli_cmd_synth = {
    .name = "synth",
    .section = CLI_DATA,
    .summary = "write a synthetic SS-MIX2 hospital (tests, benchmarks, demos)",
    .run = run,
};
