/*
 * dialect.h - the handlers of every API the server speaks, one file each
 * in src/dialect/ (STYLE: read params → call core → shape the answer).
 * The route table in route.c lists which path reaches which handler.
 */
#ifndef DIALECT_H
#define DIALECT_H

#include "route.h"

/* health.c: not a dialect; liveness, readiness, error documents */
void health_live(struct ctx *c);
void health_ready(struct ctx *c);
void health_error_document(struct ctx *c);
void plain_error(struct ctx *c, enum oauth_err e, const char *detail);

/* legacy.c: POST /v1/oauth/ (SPEC L) */
void legacy_login(struct ctx *c);
void legacy_sessions(struct ctx *c);
void legacy_revoke(struct ctx *c);
void legacy_unknown(struct ctx *c);
void legacy_error(struct ctx *c, enum oauth_err e, const char *detail);

/* oauth2.c: /oauth/... and /.well-known/ (SPEC R) */
void oauth2_token(struct ctx *c);
void oauth2_authorize(struct ctx *c);
void oauth2_introspect(struct ctx *c);
void oauth2_revoke(struct ctx *c);
void oauth2_userinfo(struct ctx *c);
void oauth2_metadata(struct ctx *c);
void oauth2_error(struct ctx *c, enum oauth_err e, const char *detail);

/* chat.c: /api/oauth/... (SPEC B) */
void chat_access_token(struct ctx *c);
void chat_verify_token(struct ctx *c);
void chat_error(struct ctx *c, enum oauth_err e, const char *detail);

/* node.c: root-level paths of the Node server (SPEC N) */
void node_register_client(struct ctx *c);
void node_register_user(struct ctx *c);
void node_authorize(struct ctx *c);
void node_token(struct ctx *c);
void node_api(struct ctx *c);
void node_error(struct ctx *c, enum oauth_err e, const char *detail);

/* phone.c: /v4/oauth/... (SPEC P) */
void phone_access_token(struct ctx *c);
void phone_token_details(struct ctx *c);
void phone_authorization(struct ctx *c);
void phone_token(struct ctx *c);

/* devices page: not a dialect of its own (src/web/) */
void account_devices(struct ctx *c);

#endif
