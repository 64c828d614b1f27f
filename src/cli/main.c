/*
 * main.c: `chartvault <command> [options]`: finds the command in the table generated from
 * the cmd_*.c file names and hands it the rest of the arguments.
 */
#include "cli.h"

#include <locale.h>
#include <string.h>

#define CV_CLI_COMMAND(n) extern const struct cli_command cli_cmd_##n;
#include "cli_commands.h"
#undef CV_CLI_COMMAND

static const struct cli_command *const commands[] = {
#define CV_CLI_COMMAND(n) &cli_cmd_##n,
#include "cli_commands.h"
#undef CV_CLI_COMMAND
    NULL,
};

static const char *const section_titles[] = {
    [CLI_DATA] = "Reading SS-MIX2",
    [CLI_VAULT] = "The vault (encrypted snapshots)",
    [CLI_VIEWER] = "The downtime viewer",
    [CLI_DAEMON] = "Continuous protection",
    [CLI_OTHER] = "Other",
};

static void print_help(FILE *out)
{
    fprintf(out, "usage: chartvault <command> [options]\n\n"
                 "chartvault keeps a hospital's SS-MIX2 export safe in encrypted, append-only\n"
                 "snapshots and readable through a downtime viewer while the EHR is down.\n");
    for (size_t s = 0; s < CV_ARRAY_LEN(section_titles); s++) {
        bool any = false;

        for (size_t i = 0; commands[i]; i++) {
            if (commands[i]->section != (enum cli_section)s)
                continue;
            if (!any)
                fprintf(out, "\n%s:\n", section_titles[s]);
            any = true;
            fprintf(out, "  %-12s %s\n", commands[i]->name, commands[i]->summary);
        }
    }
    fprintf(out, "\n'chartvault <command> --help' describes a command; 'man chartvault-<command>'"
                 " has the details.\n");
}

static const struct cli_command *find_command(const char *name)
{
    for (size_t i = 0; commands[i]; i++)
        if (strcmp(commands[i]->name, name) == 0)
            return commands[i];
    return NULL;
}

int main(int argc, char **argv)
{
    const struct cli_command *cmd;

    setlocale(LC_CTYPE, "");
    cli_log_to_stderr(false);
    if (cv_facility_zone_set(NULL) != CV_OK) { /* before any thread: it sets TZ */
        fprintf(stderr, "chartvault: CHARTVAULT_TIMEZONE: %s\n", cv_errmsg());
        return CLI_EXIT_USAGE;
    }
    if (argc < 2 || strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        print_help(argc < 2 ? stderr : stdout);
        return argc < 2 ? CLI_EXIT_USAGE : CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0 || strcmp(argv[1], "version") == 0) {
        printf("chartvault %s%s\n", CV_VERSION,
               cv_test_hooks() ? " (test build: honours CHARTVAULT_TEST_CLOCK_FILE)" : "");
        return CLI_EXIT_OK;
    }
    if (strcmp(argv[1], "help") == 0 && argc >= 3) {
        char *help_argv[] = {argv[2], "--help", NULL};

        cmd = find_command(argv[2]);
        if (!cmd) {
            fprintf(stderr, "chartvault: no command '%s'; see 'chartvault --help'\n", argv[2]);
            return CLI_EXIT_USAGE;
        }
        return cmd->run(2, help_argv);
    }
    cmd = find_command(argv[1]);
    if (!cmd) {
        fprintf(stderr, "chartvault: no command '%s'; see 'chartvault --help'\n", argv[1]);
        return CLI_EXIT_USAGE;
    }
    return cmd->run(argc - 1, argv + 1);
}
