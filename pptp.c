// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * pptp: the command.  Parses the command line of the classic pptp(8),
 * then (as later work lands) finds or starts the call manager for the
 * server, opens the pty and launches pppd.
 */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "util.h"

enum {
	OPT_VERSION = 256,
	OPT_HELP,
};

static const struct option long_opts[] = {
	{ "version",	no_argument,	NULL, OPT_VERSION },
	{ "help",	no_argument,	NULL, OPT_HELP },
	{ NULL, 0, NULL, 0 }
};

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: pptp HOST [pptp options] [[--] pppd options]\n"
	    "\n"
	    "  --version   print the version and exit\n"
	    "  --help      print this help and exit\n");
}

int
main(int argc, char **argv)
{
	int c;

	log_init(NULL, true, LOG_LEVEL_DEFAULT);
	while ((c = getopt_long(argc, argv, "", long_opts, NULL)) != -1) {
		switch (c) {
		case OPT_VERSION:
			printf("pptp version %s\n", PPTP_VERSION);
			return 0;
		case OPT_HELP:
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		usage(stderr);
		return 2;
	}
	log_warnx("%s: placing calls is not implemented in this version",
	    argv[optind]);
	return 2;
}
