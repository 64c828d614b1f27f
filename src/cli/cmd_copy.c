/*
 * cmd_copy.c: `chartvault copy`: make another repository (an S3 bucket, a removable disk) a
 * replica of this one, object by object, still encrypted: all of it with no passphrase at all
 * (--all), or chosen snapshots, which needs the passphrase to learn what they use.
 */
#include "vault_cli.h"

#include <stdlib.h>
#include <string.h>

static const char usage[] =
    "usage: chartvault copy --from REPO --to REPO (--all | SNAPSHOT...) [--password-file FILE]\n"
    "                       [--credentials FILE] [--from-credentials FILE]\n"
    "                       [--to-credentials FILE] [--ca-file FILE] [--retention DURATION]\n"
    "                       [--no-lock] [--json]\n"
    "\n"
    "Make --to a replica of --from: the same repository ID and key files (the same passphrase\n"
    "opens both), objects copied as they are, still encrypted. What --to already has is\n"
    "skipped, so an interrupted copy resumes; objects go in an order that leaves --to a valid\n"
    "repository at every moment (keys, config, packs, index objects, snapshots). REPO is a\n"
    "folder or s3:https://host[:port]/bucket[/prefix]. A new S3 target needs a bucket with\n"
    "Object Lock (or --no-lock); its objects are locked for --retention (default: the target's\n"
    "own, or 30d for a new one), and the locks are extended when due.\n"
    "\n"
    "--all copies every object and asks for no passphrase: a copier on another host never\n"
    "holds the key. SNAPSHOT... (IDs, unique prefixes or 'latest') copies just those snapshots\n"
    "and the packs they use; that needs the passphrase of --from, to read their trees.\n"
    "\n"
    "  --from REPO, --to REPO  source and target\n"
    "  --all                   copy every object the target lacks\n"
    "  --password-file FILE    SNAPSHOT...: the passphrase of --from (else asked, or\n"
    "                          $CHARTVAULT_PASSWORD)\n"
    "  --credentials FILE      S3 access key file (mode 0600) for both ends, else\n"
    "                          $AWS_ACCESS_KEY_ID and $AWS_SECRET_ACCESS_KEY\n"
    "  --from-credentials FILE, --to-credentials FILE   one end's own\n"
    "  --ca-file FILE          S3 over https: trust this CA bundle\n"
    "  --retention DURATION    S3 target: lock objects this long (30d, 12h, 90s)\n"
    "  --no-lock               S3 target: accept a new bucket without Object Lock\n"
    "  --json                  print a summary as JSON\n";

enum { OPT_FROM = 0x200, OPT_TO, OPT_ALL, OPT_FROM_CRED, OPT_TO_CRED, OPT_NO_LOCK };

struct copy_args {
    const char *from, *to, *password_file;
    bool all, json, no_lock;
    struct cv_backend_opts src, dst;
    const char *const *snapshots; /* SNAPSHOT... */
    size_t nsnapshots;
};

static int parse(int argc, char **argv, struct copy_args *a)
{
    static const struct option opts[] = {
        {"from", required_argument, NULL, OPT_FROM},
        {"to", required_argument, NULL, OPT_TO},
        {"all", no_argument, NULL, OPT_ALL},
        {"from-credentials", required_argument, NULL, OPT_FROM_CRED},
        {"to-credentials", required_argument, NULL, OPT_TO_CRED},
        {"no-lock", no_argument, NULL, OPT_NO_LOCK},
        VAULT_COMMON_OPTIONS};
    struct vault_args common = {0};
    int c;

    while ((c = getopt_long(argc, argv, "jh", opts, NULL)) != -1) {
        switch (c) {
        case VAULT_OPT_HELP:
            return vault_help(usage) - 1;
        case OPT_FROM:
            a->from = optarg;
            break;
        case OPT_TO:
            a->to = optarg;
            break;
        case OPT_ALL:
            a->all = true;
            break;
        case OPT_FROM_CRED:
            a->src.credentials_file = optarg;
            break;
        case OPT_TO_CRED:
            a->dst.credentials_file = optarg;
            break;
        case OPT_NO_LOCK:
            a->no_lock = true;
            break;
        default:
            if (c == 'r' || !vault_common_opt(c, optarg, &common))
                return cli_usage_error("copy", "unknown option");
        }
    }
    if (common.bad_option)
        return CLI_EXIT_USAGE;
    a->json = common.json;
    if (!a->src.credentials_file)
        a->src.credentials_file = common.backend.credentials_file;
    if (!a->dst.credentials_file)
        a->dst.credentials_file = common.backend.credentials_file;
    a->src.ca_file = a->dst.ca_file = common.backend.ca_file;
    a->dst.retention = common.backend.retention;
    a->dst.no_lock = a->no_lock;
    if (!a->from || !a->to)
        return cli_usage_error("copy", "--from REPO and --to REPO are both required");
    a->password_file = common.password_file;
    a->snapshots = (const char *const *)argv + optind;
    a->nsnapshots = (size_t)(argc - optind);
    if (a->all && a->nsnapshots)
        return cli_usage_error("copy", "--all copies every snapshot; name snapshots or say --all");
    if (!a->all && !a->nsnapshots)
        return cli_usage_error("copy", "say --all (every object the target lacks) or name the "
                                       "snapshots to copy");
    if (a->all && a->password_file)
        return cli_usage_error("copy", "--all needs no passphrase (--password-file)");
    if (strcmp(a->from, a->to) == 0)
        return cli_usage_error("copy", "--from and --to are the same repository");
    return CLI_EXIT_OK;
}

/* The target as it is, or made anew (or taken up again after a killed copy). */
static enum cv_err open_target(struct copy_args *a, struct cv_backend **to, bool *created)
{
    enum cv_err err = cv_backend_open(a->to, &a->dst, to);

    *created = false;
    if (err != CV_ENOENT)
        return err;
    a->dst.create = a->dst.resume = true;
    *created = true;
    return cv_backend_open(a->to, &a->dst, to);
}

static int report(const struct copy_args *a, const struct cv_copy_stats *st, bool created)
{
    static const char *const kinds[] = {"config", "keys", "snapshots", "index", "packs"};
    uint64_t copied = 0, skipped = 0;
    char bytes[32];

    for (size_t k = 0; k < CV_ARRAY_LEN(kinds); k++) {
        copied += st->copied[k];
        skipped += st->skipped[k];
    }
    if (a->json) {
        struct cv_buf out = CV_BUF_INIT(8192);
        struct cv_json j;
        int rc;

        cv_json_init(&j, &out, false);
        cv_json_object_begin(&j);
        cv_json_kv_string(&j, "from", a->from);
        cv_json_kv_string(&j, "to", a->to);
        cv_json_kv_bool(&j, "created", created);
        cv_json_kv_int(&j, "copied", (long long)copied);
        cv_json_kv_int(&j, "skipped", (long long)skipped);
        cv_json_kv_int(&j, "bytes", (long long)st->bytes);
        cv_json_kv_int(&j, "locks_extended", (long long)st->locks_extended);
        cv_json_key(&j, "by_kind");
        cv_json_object_begin(&j);
        for (size_t k = 0; k < CV_ARRAY_LEN(kinds); k++) {
            cv_json_key(&j, kinds[k]);
            cv_json_object_begin(&j);
            cv_json_kv_int(&j, "copied", (long long)st->copied[k]);
            cv_json_kv_int(&j, "skipped", (long long)st->skipped[k]);
            cv_json_object_end(&j);
        }
        cv_json_object_end(&j);
        cv_json_object_end(&j);
        rc = cli_print_json("copy", &j);
        cv_buf_free(&out);
        return rc;
    }
    cli_format_bytes(st->bytes, bytes, sizeof(bytes));
    printf("%s '%s' from '%s'\n", created ? "created replica" : "updated replica", a->to, a->from);
    printf("objects: %llu copied (%llu packs, %llu index, %llu snapshots), %llu already there\n",
           (unsigned long long)copied, (unsigned long long)st->copied[CV_OBJ_PACK],
           (unsigned long long)st->copied[CV_OBJ_INDEX],
           (unsigned long long)st->copied[CV_OBJ_SNAPSHOT], (unsigned long long)skipped);
    printf("written: %s\n", bytes);
    if (st->locks_extended)
        printf("locks:   %llu objects locked until now + retention\n",
               (unsigned long long)st->locks_extended);
    return CLI_EXIT_OK;
}

static int run(int argc, char **argv)
{
    struct copy_args a = {0};
    struct cv_backend *from = NULL, *to = NULL;
    struct cv_repo *repo = NULL;
    struct cv_copy_plan *plan = NULL;
    struct cv_copy_opts co = {.progress = cli_progress};
    struct cv_copy_stats st;
    bool created = false;
    enum cv_err err;
    int rc = parse(argc, argv, &a);

    if (rc)
        return rc < 0 ? CLI_EXIT_OK : rc;
    memset(&st, 0, sizeof(st));
    /* the source first: a mistyped --from, passphrase or snapshot makes no target; chosen
     * snapshots need the key of --from, to read their trees */
    if (!a.all) {
        struct vault_args va = {.repo = a.from, .password_file = a.password_file};

        va.backend = a.src;
        if ((rc = vault_open("copy", &va, &repo)) != CLI_EXIT_OK)
            return rc;
        vault_report_warnings("copy", repo);
    }
    err = a.all ? cv_backend_open(a.from, &a.src, &from)
                : cv_copy_plan_new(repo, a.snapshots, a.nsnapshots, &plan);
    if (!err)
        err = open_target(&a, &to, &created);
    if (!err && a.all)
        err = cv_copy(from, to, &co, &st);
    else if (!err)
        err = cv_copy_plan_run(plan, to, &co, &st);
    cli_progress_done();
    cv_copy_plan_free(plan);
    cv_repo_close(repo);
    cv_backend_close(from);
    cv_backend_close(to);
    if (err)
        return cli_fail("copy", err);
    return report(&a, &st, created);
}

const struct cli_command cli_cmd_copy = {
    .name = "copy",
    .section = CLI_VAULT,
    .summary = "replicate a repository (to S3, a disk) without its key",
    .run = run,
};
