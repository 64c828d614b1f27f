/*
 * fuzz_mllp_store.c: what the MLLP listener does with a whole hostile message: read it, check it
 * against the SS-MIX2 rules, name it, supersede or cancel earlier files, write it, or refuse it
 * (kept aside) with AE/AR. Runs against a scratch storage in /tmp, emptied now and then; the
 * acknowledgement for every outcome must be one well-formed frame.
 */
#include "fuzz.h"

#include "daemon/daemon_parts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static struct cv_mllp_store *store;
static char scratch[64];
static unsigned long runs;

static void remove_scratch(void)
{
    char cmd[128];

    cv_mllp_store_free(store);
    store = NULL;
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", scratch);
    if (system(cmd) != 0)
        fprintf(stderr, "cannot remove %s\n", scratch);
}

static void setup(void)
{
    char text[512];
    struct cv_config cfg;

    snprintf(scratch, sizeof(scratch), "/tmp/cv-fuzz-mllp-store-%ld", (long)getpid());
    snprintf(text, sizeof(text),
             "[index]\ndb=%s/i.sqlite\n[source]\nfacility=1234567890\n[mllp]\nlisten=1\n"
             "storage=%s/mllp\n[daemon]\nstate_dir=%s/state\n",
             scratch, scratch, scratch);
    if (cv_config_parse_text("fuzz", text, strlen(text), &cfg) ||
        cv_mllp_store_open(&store, &cfg, NULL))
        abort();
    /* the store keeps no pointer into cfg beyond open */
    cv_config_free(&cfg);
    if (runs == 0)
        atexit(remove_scratch);
}

static void empty_scratch(void)
{
    char cmd[256];

    if ((size_t)snprintf(cmd, sizeof(cmd), "rm -rf '%s/mllp' '%s/state/mllp-rejected'", scratch,
                         scratch) >= sizeof(cmd) ||
        system(cmd) != 0)
        abort();
    cv_mllp_store_free(store);
    store = NULL;
    setup();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct cv_buf ack = CV_BUF_INIT(1 << 16);
    struct cv_ack_request req;
    struct cv_ack_reply reply = {.code = CV_ACK_AR};
    size_t frame = size && data[0] < 16 ? data[0] % 3 : 0;

    if (!store)
        setup();
    if (++runs % 500 == 0)
        empty_scratch();
    cv_ack_request_init(&req);
    cv_mllp_store_handle((enum cv_mllp_frame_status)frame, (const char *)data, size, size + frame,
                         "fuzz", &req, &reply, store);
    if (cv_mllp_ack_build(&ack, &req, &reply, "CHARTVAULT", "1234567890", 0, "ID") != CV_OK)
        abort();
    for (size_t i = 1; i + 2 < ack.len; i++)
        if (ack.data[i] == CV_MLLP_SB || ack.data[i] == CV_MLLP_EB)
            abort();
    cv_buf_free(&ack);
    return 0;
}
