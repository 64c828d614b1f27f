/*
 * keeper_client.h: the viewer's side of the snapshot helper of `chartvault serve --repo`
 * (keeper_client.c): the helper holds the repository key, the viewer gets index files.
 */
#ifndef CHARTVAULT_KEEPER_CLIENT_H
#define CHARTVAULT_KEEPER_CLIENT_H

#include <chartvault/web.h>

struct serve_keeper;

/* The helper on socket `fd` (handed over by `chartvault serve --repo`). [out] *out. */
enum cv_err serve_keeper_open(int fd, struct serve_keeper **out);
/* Close the socket (the helper removes its copies and exits) and wait for it. */
void serve_keeper_close(struct serve_keeper *k);
/* The path of a read-only copy of `spec`'s index ("latest", a name or prefix), its full name
 * and time. Thread-safe. */
enum cv_err serve_keeper_index(struct serve_keeper *k, const char *spec, char *path, size_t n,
                               char name[80], long long *time);
/* Every snapshot, oldest first. [out] *v: caller frees with cv_free(). Thread-safe. */
enum cv_err serve_keeper_list(struct serve_keeper *k, struct cv_web_snapshot **v, size_t *n);

#endif
