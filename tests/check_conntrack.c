// SPDX-License-Identifier: GPL-2.0-or-later
/* The PPTP conntrack helper on a control connection, from the table. */
#include "conntrack.h"

#include <string.h>

#include "check_suites.h"

static const char table[] =
    "ipv4     2 udp      17 25 src=192.0.2.2 dst=192.0.2.9 sport=5353 "
    "dport=1723 src=192.0.2.9 dst=192.0.2.2 sport=1723 dport=5353 mark=0 "
    "zone=0 use=2\n"
    "ipv4     2 tcp      6 431999 ESTABLISHED src=192.0.2.2 "
    "dst=192.0.2.1 sport=40000 dport=1723 src=192.0.2.1 dst=192.0.2.2 "
    "sport=1723 dport=40000 [ASSURED] mark=0 zone=0 use=2\n"
    "ipv4     2 tcp      6 431999 ESTABLISHED src=192.0.2.2 "
    "dst=192.0.2.3 sport=40001 dport=1723 src=192.0.2.3 dst=192.0.2.2 "
    "sport=1723 dport=40001 [ASSURED] helper=pptp mark=0 zone=0 use=2\n"
    "ipv4     2 tcp      6 10 TIME_WAIT src=192.0.2.7 dst=192.0.2.2 "
    "sport=1723 dport=40002 src=192.0.2.2 dst=192.0.2.7 sport=40002 "
    "dport=1723 mark=0 zone=0 use=2\n";

static int
lookup(const char *server, uint16_t sport)
{
	char copy[sizeof(table)];
	struct pptp_addr a;

	memcpy(copy, table, sizeof(table));
	ck_assert_int_eq(addr_pton(AF_INET, server, &a), 0);
	return conntrack_no_pptp_helper(copy, &a, sport);
}

START_TEST(test_conntrack_helper)
{
	ck_assert_int_eq(lookup("192.0.2.1", 0), 1);	/* tracked, none */
	ck_assert_int_eq(lookup("192.0.2.1", 40000), 1);
	ck_assert_int_eq(lookup("192.0.2.1", 40009), -1);	/* not ours */
	ck_assert_int_eq(lookup("192.0.2.3", 0), 0);	/* with the helper */
	ck_assert_int_eq(lookup("192.0.2.9", 0), -1);	/* UDP, not TCP */
	/* a connection from the server to us is not our control link */
	ck_assert_int_eq(lookup("192.0.2.7", 0), -1);
	ck_assert_int_eq(lookup("192.0.2.2", 0), -1);
}
END_TEST

Suite *
conntrack_suite(void)
{
	Suite *s = suite_create("conntrack");
	TCase *tc = tcase_create("table");

	tcase_add_test(tc, test_conntrack_helper);
	suite_add_tcase(s, tc);
	return s;
}
