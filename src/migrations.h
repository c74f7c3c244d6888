/*
 * migrations.h - the SQL migrations embedded in the binary.
 *
 * The build generates build/<variant>/migrations.c from sql/NNN_name.sql
 * (scripts/embed-sql.sh), so the binary carries its own schema and
 * `oauth.fcgi migrate` needs no files at run time. Entries are sorted by
 * version, strictly increasing; `sql` is the file's whole text (possibly
 * several statements). The array and its strings are static data: never
 * freed, never written.
 */
#ifndef MIGRATIONS_H
#define MIGRATIONS_H

#include <stddef.h>

struct migration {
	int version;      /* NNN of the file name, leading zeros dropped */
	const char *name; /* the file name, "001_init.sql" */
	const char *sql;  /* its text */
};

extern const struct migration migrations[];
extern const size_t migrations_count;

#endif
