// SPDX-License-Identifier: GPL-2.0-or-later
/* Runs every unit test suite; exit status 0 only if all passed. */
#include <stdlib.h>

#include "check_suites.h"
#include "util.h"

int
main(void)
{
	SRunner *sr;
	int failed;

	/* Option parsers log their complaints: keep them off the output. */
	log_init("test", false, LOG_LEVEL_LOW);
	sr = srunner_create(msg_suite());
	srunner_add_suite(sr, gre_suite());
	srunner_add_suite(sr, hdlc_suite());
	srunner_add_suite(sr, util_suite());
	srunner_add_suite(sr, ctrl_suite());
	srunner_add_suite(sr, ipc_suite());
	srunner_add_suite(sr, cm_suite());
	srunner_add_suite(sr, pqueue_suite());
	srunner_add_suite(sr, accm_suite());
	srunner_add_suite(sr, status_suite());
	srunner_add_suite(sr, addr_suite());
	srunner_add_suite(sr, conntrack_suite());
	srunner_add_suite(sr, diagnose_suite());
	srunner_run_all(sr, CK_NORMAL);
	failed = srunner_ntests_failed(sr);
	srunner_free(sr);
	return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
