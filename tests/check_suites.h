/* SPDX-License-Identifier: GPL-2.0-or-later */
/* The unit test suites, one per module, run together by check_main.c. */
#ifndef PPTP_CHECK_SUITES_H
#define PPTP_CHECK_SUITES_H

#include <check.h>

Suite *msg_suite(void);
Suite *gre_suite(void);
Suite *hdlc_suite(void);
Suite *util_suite(void);
Suite *ctrl_suite(void);
Suite *cm_suite(void);
Suite *ipc_suite(void);
Suite *pqueue_suite(void);
Suite *accm_suite(void);
Suite *status_suite(void);
Suite *addr_suite(void);
Suite *conntrack_suite(void);
Suite *diagnose_suite(void);

#endif
