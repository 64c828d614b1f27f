/*
 * cmd_init.c: `chartvault init`: a new, empty repository with its key wrapped by a passphrase.
 */
#include "vault_cli.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: chartvault init --repo DIR|s3:URL [--password-file FILE] [--kdf default|strong|fast]\n"
    "                       [--pack-size SIZE] [--format 1|2] [--merge FAN-IN,LEVELS]\n"
    "                       [--chunk-size SIZE] [--credentials FILE] [--ca-file FILE]\n"
    "                       [--retention DURATION] [--no-lock] [--json]\n"
    "\n"
    "Create an encrypted repository in DIR (a new or empty folder) or in an S3 bucket:\n"
    "s3:https://host[:port]/bucket[/prefix][?region=R&style=virtual]. The bucket must have\n"
    "Object Lock (and so versioning): every object is then written locked in COMPLIANCE mode\n"
    "for --retention (default 30d), and nobody holding these credentials can delete, shorten or\n"
    "overwrite it. --no-lock accepts a bucket without Object Lock. The passphrase comes from\n"
    "--password-file (mode 0600), $CHARTVAULT_PASSWORD, or is asked twice on the terminal.\n"
    "Keep it safe: without it nothing in the repository can be read.\n"
    "\n"
    "  --repo DIR             where (or $CHARTVAULT_REPO)\n"
    "  --password-file FILE   read the passphrase from FILE's first line\n"
    "  --kdf COST             Argon2id cost: default (3 passes, 64 MiB), strong (4, 1 GiB),\n"
    "                         fast (1, 1 MiB: for tests only)\n"
    "  --pack-size SIZE       pack target size, e.g. 8M (default), 512K .. 1G\n"
    "  --format N             2 (default): each snapshot stores what changed; 1: a full tree\n"
    "                         per snapshot, readable by chartvault before 2026-12\n"
    "  --merge FAN-IN,LEVELS  format 2: merge this many runs of one level into one of the\n"
    "                         next, and rewrite the full tree after LEVELS levels (16,3)\n"
    "  --chunk-size SIZE      files are stored in chunks of SIZE, 4K .. 1M (default 64K;\n"
    "                         small values are for tests)\n" VAULT_S3_HELP
    "  --no-lock              S3: accept a bucket without Object Lock (the copy can then be\n"
    "                         deleted by anyone holding the credentials)\n"
    "  --json                 print {\"repo\", \"id\"}\n";

static int parse_size(const char *s, double min, double max, uint32_t *out)
{
    static const char suffixes[] = "KMG";
    char *end;
    double v = strtod(s, &end);
    const char *unit = *end ? strchr(suffixes, *end & ~0x20) : NULL;

    if (end == s || (*end && (!unit || end[1])))
        return -1;
    for (const char *u = suffixes; unit && u <= unit; u++)
        v *= 1024;
    if (v < min || v > max)
        return -1;
    *out = (uint32_t)v;
    return 0;
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {{"kdf", required_argument, NULL, 'k'},
                                         {"pack-size", required_argument, NULL, 's'},
                                         {"format", required_argument, NULL, 'f'},
                                         {"merge", required_argument, NULL, 'm'},
                                         {"chunk-size", required_argument, NULL, 'c'},
                                         {"no-lock", no_argument, NULL, 'L'},
                                         VAULT_COMMON_OPTIONS};
    struct vault_args a = {0};
    struct cv_repo_init_opts io = {.kdf = CV_KDF_DEFAULT};
    bool no_lock = false;
    char prompt[512], id[65], *pw = NULL;
    enum cv_err err;
    int c, rc;

    while ((c = getopt_long(argc, argv, VAULT_COMMON_SHORT, opts, NULL)) != -1) {
        if (c == VAULT_OPT_HELP)
            return vault_help(usage);
        if (vault_common_opt(c, optarg, &a))
            continue;
        if (c == 'k' && strcmp(optarg, "default") == 0)
            io.kdf = CV_KDF_DEFAULT;
        else if (c == 'k' && strcmp(optarg, "strong") == 0)
            io.kdf = CV_KDF_STRONG;
        else if (c == 'k' && strcmp(optarg, "fast") == 0)
            io.kdf = CV_KDF_FAST;
        else if (c == 'k')
            return cli_usage_error("init", "--kdf must be default, strong or fast");
        else if (c == 's' && parse_size(optarg, 64 * 1024, 1024.0 * 1024 * 1024, &io.pack_size))
            return cli_usage_error("init", "--pack-size wants a size from 64K to 1G");
        else if (c == 'c' && parse_size(optarg, 4096, 1024 * 1024, &io.chunk_size))
            return cli_usage_error("init", "--chunk-size wants a size from 4K to 1M");
        else if (c == 'f' && strcmp(optarg, "1") != 0 && strcmp(optarg, "2") != 0)
            return cli_usage_error("init", "--format must be 1 or 2");
        else if (c == 'f')
            io.format = (unsigned)(optarg[0] - '0');
        else if (c == 'm' &&
                 (sscanf(optarg, "%u,%u", &io.merge_fan_in, &io.merge_levels) != 2 ||
                  io.merge_fan_in < 2 || io.merge_fan_in > 64 || io.merge_levels < 1 ||
                  io.merge_levels > 8 || io.merge_levels * (io.merge_fan_in - 1) >= CV_RUNS_MAX))
            return cli_usage_error("init",
                                   "--merge wants FAN-IN,LEVELS (2..64, 1..8, and "
                                   "fewer than %d runs in all)",
                                   CV_RUNS_MAX);
        else if (c == 'L')
            no_lock = true;
        else if (c != 's' && c != 'm' && c != 'c')
            return cli_usage_error("init", "unknown option");
    }
    if (optind != argc)
        return cli_usage_error("init", "unexpected argument '%s'", argv[optind]);
    if ((rc = vault_need_repo("init", &a)) != 0)
        return rc;
    a.backend.no_lock = no_lock;
    snprintf(prompt, sizeof(prompt), "new passphrase for '%s': ", a.repo);
    err = cli_password_get(a.password_file, true, prompt, true, &pw);
    if (!err)
        err = cv_repo_init_with(a.repo, pw, &io, &a.backend, id);
    cli_password_free(pw);
    if (err)
        return cli_fail("init", err);
    if (a.json) {
        struct cv_buf out = CV_BUF_INIT(4096);
        struct cv_json j;
        int status;

        cv_json_init(&j, &out, false);
        cv_json_object_begin(&j);
        cv_json_kv_string(&j, "repo", a.repo);
        cv_json_kv_string(&j, "id", id);
        cv_json_object_end(&j);
        status = cli_print_json("init", &j);
        cv_buf_free(&out);
        return status;
    }
    printf("created repository '%s' (id %.16s)\n", a.repo, id);
    if (io.kdf == CV_KDF_FAST)
        printf("warning: --kdf fast makes the passphrase easy to guess; for tests only\n");
    return CLI_EXIT_OK;
}

const struct cli_command cli_cmd_init = {
    .name = "init",
    .section = CLI_VAULT,
    .summary = "create an encrypted snapshot repository",
    .run = run,
};
