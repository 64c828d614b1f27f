/*
 * cmd_backup.c: `chartvault backup`: a new snapshot of a folder (and of the reference index).
 */
#include "vault_cli.h"

#include <string.h>

#define TAGS_MAX 16

static const char usage[] =
    "usage: chartvault backup --repo DIR --source DIR [--db FILE] [--tag TAG]...\n"
    "                         [--parent SNAPSHOT] [--read-all] [--changes FILE]\n"
    "                         [--password-file FILE] [--json]\n"
    "\n"
    "Save a snapshot of the SS-MIX2 tree in --source (and, with --db, a consistent copy of the\n"
    "SQLite reference index). Only new content is stored; files unchanged since the parent\n"
    "snapshot (the latest of this host and source, or --parent) are not even read. Files that\n"
    "cannot be read are named on stderr; the snapshot holds everything else and the exit\n"
    "status is 1.\n"
    "\n"
    "  --source DIR           the folder to back up\n"
    "  --db FILE              the reference index to store with the snapshot\n"
    "  --tag TAG              a label for the snapshot (repeatable)\n"
    "  --parent SNAPSHOT      compare with this snapshot instead of the latest\n"
    "  --read-all             read every file, even those unchanged since the parent\n"
    "  --changes FILE         a change journal: the paths (relative to --source, one a line)\n"
    "                         that may have changed since the parent snapshot; only they are\n"
    "                         looked at (a folder named is read whole). Anything changed and\n"
    "                         not named is missed: give it only when the list is complete\n"

    "  --json                 print the figures as one JSON object\n" VAULT_S3_HELP "\n"
    "DIR may be an S3 location (s3:https://host/bucket/prefix). There every object is written\n"
    "locked, and after the snapshot, when due (a tenth of the retention after the last complete\n"
    "extension), every object of the repository has its lock extended to now + retention, so\n"
    "what the snapshots need never runs out of its lock.\n";

static void on_problem(void *arg, const char *path, const char *reason)
{
    struct cv_buf safe = CV_BUF_INIT(16384);
    (void)arg;

    cli_progress_done();
    fprintf(stderr, "chartvault backup: not backed up: '%s': %s\n", cli_term(&safe, path), reason);
    cv_buf_free(&safe);
}

static int print_json(const char *name, const struct cv_backup_stats *st, uint64_t extended)
{
    struct cv_buf out = CV_BUF_INIT(1 << 16);
    struct cv_json j;
    int rc;

    cv_json_init(&j, &out, false);
    cv_json_object_begin(&j);
    cv_json_kv_string(&j, "snapshot", name);
    cv_json_kv_int(&j, "files", (long long)st->files);
    cv_json_kv_int(&j, "files_new", (long long)st->files_new);
    cv_json_kv_int(&j, "files_changed", (long long)st->files_changed);
    cv_json_kv_int(&j, "files_unchanged", (long long)st->files_unchanged);
    cv_json_kv_int(&j, "dirs", (long long)st->dirs);
    cv_json_kv_int(&j, "bytes", (long long)st->bytes);
    cv_json_kv_int(&j, "bytes_read", (long long)st->bytes_read);
    cv_json_kv_int(&j, "added_raw", (long long)(st->added_data_raw + st->added_tree_raw));
    cv_json_kv_int(&j, "added_data_raw", (long long)st->added_data_raw);
    cv_json_kv_int(&j, "added_tree_raw", (long long)st->added_tree_raw);
    cv_json_kv_int(&j, "added_stored", (long long)st->added_stored);
    cv_json_kv_int(&j, "errors", (long long)st->errors);
    cv_json_kv_double(&j, "seconds", st->seconds);
    cv_json_kv_int(&j, "locks_extended", (long long)extended);
    cv_json_object_end(&j);
    rc = cli_print_json("backup", &j);
    cv_buf_free(&out);
    return rc;
}

static void print_text(const char *name, const struct cv_backup_stats *st, uint64_t extended)
{
    char bytes[32], read[32], data[32], tree[32], stored[32];

    cli_format_bytes(st->bytes, bytes, sizeof(bytes));
    cli_format_bytes(st->bytes_read, read, sizeof(read));
    cli_format_bytes(st->added_data_raw, data, sizeof(data));
    cli_format_bytes(st->added_tree_raw, tree, sizeof(tree));
    cli_format_bytes(st->added_stored, stored, sizeof(stored));
    printf("snapshot %.8s saved\n", name);
    printf("files:   %llu (%llu new, %llu changed, %llu unchanged) in %llu folders, %s\n",
           (unsigned long long)st->files, (unsigned long long)st->files_new,
           (unsigned long long)st->files_changed, (unsigned long long)st->files_unchanged,
           (unsigned long long)st->dirs, bytes);
    printf("read:    %s\n", read);
    printf("added:   %s of file data and %s of folder listings, stored as %s\n", data, tree,
           stored);
    printf("time:    %.1f s\n", st->seconds);
    if (extended)
        printf("locks:   %llu objects locked until now + retention\n",
               (unsigned long long)extended);
}

#define CHANGES_MAX_BYTES (256u << 20)

/* Read a change list: one relative path a line (empty lines skipped). [out] the paths point
 * into `text`. */
static int read_changes(const char *file, struct cv_buf *text, const char ***paths, size_t *n)
{
    size_t cap = 0;

    *paths = NULL;
    *n = 0;
    if (cv_buf_read_file(text, file) != CV_OK)
        return cli_failf("backup", "cannot read the change list '%s': %s", file, cv_errmsg());
    for (char *line = text->data, *end; line && *line; line = end) {
        end = strchr(line, '\n');
        if (end)
            *end++ = '\0';
        if (!*line)
            continue;
        if (*n == cap) {
            const char **v = cv_reallocarray(*paths, cap = cap ? cap * 2 : 1024, sizeof(*v));

            if (!v)
                return cli_failf("backup", "out of memory reading '%s'", file);
            *paths = v;
        }
        (*paths)[(*n)++] = line;
    }
    if (!*paths && !(*paths = cv_calloc(1, sizeof(**paths)))) /* an empty list: nothing changed */
        return cli_failf("backup", "out of memory reading '%s'", file);
    return CLI_EXIT_OK;
}

static int run(int argc, char **argv)
{
    static const struct option opts[] = {{"source", required_argument, NULL, 's'},
                                         {"db", required_argument, NULL, 'd'},
                                         {"tag", required_argument, NULL, 't'},
                                         {"parent", required_argument, NULL, 'p'},
                                         {"read-all", no_argument, NULL, 'a'},
                                         {"changes", required_argument, NULL, 'c'},
                                         VAULT_COMMON_OPTIONS};
    const char *tags[TAGS_MAX + 1] = {NULL}, *changes_file = NULL, **changes = NULL;
    struct cv_buf changes_text = CV_BUF_INIT(CHANGES_MAX_BYTES);
    size_t ntags = 0;
    struct vault_args a = {0};
    struct cv_backup_opts bo = {0};
    struct cv_backup_stats st;
    struct cv_repo *repo;
    struct cv_backend *be;
    uint64_t extended = 0;
    char name[CV_SNAPSHOT_NAME_LEN + 1];
    enum cv_err err;
    int c, rc;

    while ((c = getopt_long(argc, argv, VAULT_COMMON_SHORT, opts, NULL)) != -1) {
        if (c == VAULT_OPT_HELP)
            return vault_help(usage);
        if (vault_common_opt(c, optarg, &a))
            continue;
        if (c == 's')
            bo.source = optarg;
        else if (c == 'd')
            bo.db = optarg;
        else if (c == 'p')
            bo.parent = optarg;
        else if (c == 'a')
            bo.read_all = true;
        else if (c == 'c')
            changes_file = optarg;
        else if (c == 't' && ntags < TAGS_MAX && *optarg && strlen(optarg) < 256)
            tags[ntags++] = optarg;
        else if (c == 't')
            return cli_usage_error("backup", "at most %d tags of 1 to 255 bytes", TAGS_MAX);
        else
            return cli_usage_error("backup", "unknown option");
    }
    if (optind != argc)
        return cli_usage_error("backup", "unexpected argument '%s'", argv[optind]);
    if ((rc = vault_need_repo("backup", &a)) != 0)
        return rc;
    if (!bo.source)
        return cli_usage_error("backup", "--source DIR is required");
    bo.tags = tags;
    bo.progress = cli_progress;
    bo.problem = on_problem;
    if (changes_file &&
        (rc = read_changes(changes_file, &changes_text, &changes, &bo.nchanges)) != 0) {
        cv_free(changes);
        cv_buf_free(&changes_text);
        return rc;
    }
    bo.changes = changes;
    if ((rc = vault_open("backup", &a, &repo)) != 0) {
        cv_free(changes);
        cv_buf_free(&changes_text);
        return rc;
    }
    vault_report_warnings("backup", repo);
    err = cv_backup(repo, &bo, name, &st);
    cli_progress_done();
    be = cv_repo_backend(repo);
    if (!err && be->ops->lock_extend && (err = be->ops->lock_extend(be, &extended)) != CV_OK)
        cv_fail_prefix(err, "snapshot %.8s is saved, but the locks could not be extended: ", name);
    cv_repo_close(repo);
    cv_free(changes);
    cv_buf_free(&changes_text);
    if (err)
        return cli_fail("backup", err);
    rc = a.json ? print_json(name, &st, extended) : (print_text(name, &st, extended), CLI_EXIT_OK);
    if (rc == CLI_EXIT_OK && st.errors)
        return cli_failf("backup",
                         "%llu file%s could not be read (named above); snapshot %.8s "
                         "holds everything else",
                         (unsigned long long)st.errors, st.errors == 1 ? "" : "s", name);
    return rc;
}

const struct cli_command cli_cmd_backup = {
    .name = "backup",
    .section = CLI_VAULT,
    .summary = "save a snapshot of an SS-MIX2 tree and its reference index",
    .run = run,
};
