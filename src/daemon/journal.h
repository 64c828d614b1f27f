/*
 * journal.h: the daemon's change journal for one tree: which paths changed, as inotify (the
 * EHR's export) and the MLLP writer (received messages) saw them, so that a snapshot reads
 * those paths instead of walking the tree. Every note gets a sequence number; a snapshot takes
 * a mark when it starts and the next one asks for what changed since that mark. When anything
 * may have gone unseen (the kernel's queue overflowed, a folder is not watched, too many paths
 * piled up) the journal says so and the next snapshot walks the whole tree.
 */
#ifndef CHARTVAULT_DAEMON_JOURNAL_H
#define CHARTVAULT_DAEMON_JOURNAL_H

#include <chartvault/common.h>

struct cv_journal;

/* A journal that holds at most `max_paths` paths (then it counts as lost until trimmed). */
enum cv_err cv_journal_new(struct cv_journal **out, size_t max_paths);
void cv_journal_free(struct cv_journal *j);
/* `path` (relative to the tree, '/'-separated) changed. Thread-safe, as are all of these. */
void cv_journal_add(struct cv_journal *j, const char *path);
/* Changes may have gone unseen: whoever asks since before now is told to walk the tree. */
void cv_journal_lost(struct cv_journal *j);
/* A mark: "now", for a snapshot that starts. */
uint64_t cv_journal_mark(struct cv_journal *j);
/* The paths noted after `mark` (caller frees with cv_journal_paths_free), or false when the
 * journal cannot tell (something was lost since, or it is off). */
bool cv_journal_since(struct cv_journal *j, uint64_t mark, char ***paths, size_t *n);
void cv_journal_paths_free(char **paths, size_t n);
/* Forget what was noted up to `mark` (every reader is past it). */
void cv_journal_trim(struct cv_journal *j, uint64_t mark);

#endif
