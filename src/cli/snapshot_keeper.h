/*
 * snapshot_keeper.h: the helper process of `chartvault serve --repo` that alone holds the
 * repository key and hands the viewer (chartvault-serve) snapshots' indexes as files
 * (snapshot_keeper.c; the viewer's side is src/serve/keeper_client.c).
 */
#ifndef CHARTVAULT_SNAPSHOT_KEEPER_H
#define CHARTVAULT_SNAPSHOT_KEEPER_H

#include "cli.h"

#include <sys/types.h>

/* The protocol, both sides built from this one definition (messages framed by cv_frame_*):
 *   "L"         -> "L" + the snapshots as struct cv_web_snapshot records, oldest first
 *   "D" SPEC    -> "D" TIME " " NAME " " PATH: a read-only copy of SPEC's index ("latest",
 *                  a name or a prefix)
 *   anything    -> "E" + the reason */
#define CLI_KEEPER_MSG_MAX (64u << 20) /* a list of every snapshot: about 100 bytes each */

/* Fork the helper; it opens the repository (asking for the passphrase on the terminal when
 * neither `password_file` nor $CHARTVAULT_PASSWORD gives it). [out] *fd: the viewer's end of
 * the socket (close-on-exec cleared, to hand to chartvault-serve), *pid the helper's. The
 * helper removes its copies and exits when the socket ends. */
enum cv_err cli_keeper_start(const char *repo, const char *password_file, int *fd, pid_t *pid);

#endif
