/*
 * cli.h - the admin command line (SPEC section 10), the binary's third
 * face. It reads the same configuration as the web faces ($OAUTH_CONFIG)
 * and never takes a secret from argv: passwords come on stdin.
 *
 * Exit status: 0 success, 1 error, 2 "already exists" (user add, client
 * add), 3 not found, 64 usage error (sysexits' EX_USAGE).
 */
#ifndef CLI_H
#define CLI_H

#include <stdio.h>

int cli_main(int argc, char **argv);
void cli_usage(FILE *f);

#endif
