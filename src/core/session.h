/*
 * session.h - a user's device sessions: listing and signing out.
 */
#ifndef SESSION_H
#define SESSION_H

#include "db.h"
#include "error.h"

/*
 * A session's last_access is written at most once a minute: when a token
 * of it is used and the stored time is at least this old.
 */
#define SESSION_TOUCH_SECONDS 60

/*
 * Note a use of the session at `now` if its last_access is stale (see
 * SESSION_TOUCH_SECONDS): 1 when written, 0 when not due (or id is 0),
 * -1 when the write failed (logged; a failed touch never fails the
 * request that caused it).
 */
int session_touch(unsigned long long id, long long last_access, long long now);

/* cb for each live session of the user: OE_OK or OE_SERVER. */
enum oauth_err session_list(unsigned long long user_id, long long now,
    int (*cb)(const struct db_session *s, void *arg), void *arg);
/*
 * Sign out session `id` if it is the user's and live (its tokens die with
 * it): OE_OK, OE_NO_OBJECT (absent or someone else's: one answer), OE_SERVER.
 */
enum oauth_err session_revoke(unsigned long long user_id, unsigned long long id,
    long long now);
/* Sign out every session of the user except `keep` (0: all). */
enum oauth_err session_revoke_all(unsigned long long user_id,
    unsigned long long keep, long long now, unsigned long long *n);

#endif
