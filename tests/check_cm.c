// SPDX-License-Identifier: GPL-2.0-or-later
/* Instance <-> call manager messages. */
#include "cm_msg.h"

#include <string.h>

#include "check_suites.h"

static void
sample(enum cm_type t, struct cm_msg *m)
{
	memset(m, 0, sizeof(*m));
	m->type = t;
	switch (t) {
	case CM_CALL_REQ:
		m->req.window = 64;
		m->req.ppd = 3;
		m->req.sync = true;
		strcpy(m->req.phone, "12345");
		break;
	case CM_CALL_UP:
		m->up.call_id = 1;
		m->up.peer_call_id = 0xfffe;
		m->up.peer_window = 16;
		m->up.peer_ppd = 2;
		m->up.speed = 64000;
		break;
	case CM_CALL_DOWN:
		m->down.status = 5;
		strcpy(m->down.why, "server refused call: busy");
		break;
	case CM_SLI:
		m->sli.send_accm = 1;
		m->sli.recv_accm = 0xffffffff;
		break;
	case CM_STATUS_LINE:
		strcpy(m->line, "call call_id=4711 last_warning=a%20b");
		break;
	case CM_STATS_FD:
	case CM_STATUS_REQ:
	case CM_NTYPES:
		break;
	}
}

START_TEST(test_round_trip)
{
	uint8_t buf[CM_MAX_LEN], again[CM_MAX_LEN];
	struct cm_msg in, out;
	size_t n;

	sample((enum cm_type)_i, &in);
	n = cm_encode(&in, buf, sizeof(buf));
	ck_assert_uint_gt(n, 0);
	ck_assert_int_eq(cm_decode(buf, n, &out), 0);
	ck_assert_int_eq(out.type, _i);
	ck_assert_uint_eq(cm_encode(&out, again, sizeof(again)), n);
	ck_assert_int_eq(memcmp(buf, again, n), 0);
	/* every other length is refused */
	for (size_t l = 0; l < sizeof(buf); l++)
		if (l != n)
			ck_assert_int_eq(cm_decode(buf, l, &out), -1);
	ck_assert_uint_eq(cm_encode(&in, buf, n - 1), 0);
}
END_TEST

START_TEST(test_bad_type_and_length)
{
	uint8_t buf[CM_MAX_LEN];
	struct cm_msg m;
	size_t n;

	sample(CM_CALL_UP, &m);
	n = cm_encode(&m, buf, sizeof(buf));
	buf[1] = 0;
	ck_assert_int_eq(cm_decode(buf, n, &m), -1);
	buf[1] = CM_NTYPES;
	ck_assert_int_eq(cm_decode(buf, n, &m), -1);
	buf[1] = CM_SLI;	/* right size for an SLI? no: 12 != 16 */
	ck_assert_int_eq(cm_decode(buf, n, &m), -1);
	buf[1] = CM_CALL_UP;
	buf[3] = 17;		/* length field lies */
	ck_assert_int_eq(cm_decode(buf, n, &m), -1);
}
END_TEST

START_TEST(test_why_terminated)
{
	uint8_t buf[CM_MAX_LEN];
	struct cm_msg m;
	size_t n;

	sample(CM_CALL_DOWN, &m);
	n = cm_encode(&m, buf, sizeof(buf));
	memset(buf + 8, 'x', CM_WHY_LEN);
	ck_assert_int_eq(cm_decode(buf, n, &m), 0);
	ck_assert_uint_eq(strlen(m.down.why), CM_WHY_LEN);
}
END_TEST

Suite *
cm_suite(void)
{
	Suite *s = suite_create("cm");
	TCase *tc = tcase_create("codec");

	tcase_add_loop_test(tc, test_round_trip, 1, CM_NTYPES);
	tcase_add_test(tc, test_bad_type_and_length);
	tcase_add_test(tc, test_why_terminated);
	suite_add_tcase(s, tc);
	return s;
}
