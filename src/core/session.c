/* session.c - see session.h */
#include "session.h"

#include "log.h"

enum oauth_err
session_list(unsigned long long user_id, long long now,
    int (*cb)(const struct db_session *s, void *arg), void *arg)
{
	return db_session_list(user_id, now, cb, arg) == DB_OK ? OE_OK :
								 OE_SERVER;
}

enum oauth_err
session_revoke(unsigned long long user_id, unsigned long long id, long long now)
{
	return oauth_err_from_db(db_session_revoke(id, user_id, now),
	    OE_NO_OBJECT);
}

enum oauth_err
session_revoke_all(unsigned long long user_id, unsigned long long keep,
    long long now, unsigned long long *n)
{
	return db_session_revoke_user(user_id, now, keep, n) == DB_OK ?
	    OE_OK :
	    OE_SERVER;
}

int
session_touch(unsigned long long id, long long last_access, long long now)
{
	if (id == 0 || now - last_access < SESSION_TOUCH_SECONDS)
		return 0;
	/*
	 * Conditional in SQL too: every process that read the same stale
	 * time writes, but only the first changes the row (db.c).
	 */
	if (db_session_touch(id, now, now - SESSION_TOUCH_SECONDS) != DB_OK) {
		log_warn("last_access not updated: %s", db_error());
		return -1;
	}
	return 1;
}
