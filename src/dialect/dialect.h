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

#endif
