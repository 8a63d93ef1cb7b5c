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
	uint8_t buf[IPC_MAX_PAYLOAD], again[IPC_MAX_PAYLOAD];
	struct cm_msg in, out;
	ssize_t n;

	sample((enum cm_type)_i, &in);
	n = cm_pack(&in, buf, sizeof(buf));
	ck_assert_int_ge(n, 0);
	ck_assert_int_eq(cm_unpack((uint16_t)_i, buf, (size_t)n, &out), 0);
	ck_assert_int_eq(out.type, _i);
	ck_assert_int_eq(cm_pack(&out, again, sizeof(again)), n);
	ck_assert_int_eq(memcmp(buf, again, (size_t)n), 0);
	/* every other length is refused */
	for (size_t l = 0; l < sizeof(buf); l++)
		if (l != (size_t)n)
			ck_assert_int_eq(cm_unpack((uint16_t)_i, buf, l, &out),
			    -1);
	if (n > 0)
		ck_assert_int_eq(cm_pack(&in, buf, (size_t)n - 1), -1);
}
END_TEST

START_TEST(test_bad_type)
{
	uint8_t buf[IPC_MAX_PAYLOAD];
	struct cm_msg m;
	ssize_t n;

	sample(CM_CALL_UP, &m);
	n = cm_pack(&m, buf, sizeof(buf));
	ck_assert_int_eq(n, 12);
	ck_assert_int_eq(cm_unpack(0, buf, 12, &m), -1);
	ck_assert_int_eq(cm_unpack(CM_NTYPES, buf, 12, &m), -1);
	ck_assert_int_eq(cm_unpack(0xffff, buf, 12, &m), -1);
	/* right size for an SLI? no: 12 != 8 */
	ck_assert_int_eq(cm_unpack(CM_SLI, buf, 12, &m), -1);
	m.type = CM_NTYPES;
	ck_assert_int_eq(cm_pack(&m, buf, sizeof(buf)), -1);
	m.type = 0;
	ck_assert_int_eq(cm_pack(&m, buf, sizeof(buf)), -1);
}
END_TEST

START_TEST(test_why_terminated)
{
	uint8_t buf[IPC_MAX_PAYLOAD];
	struct cm_msg m;
	ssize_t n;

	sample(CM_CALL_DOWN, &m);
	n = cm_pack(&m, buf, sizeof(buf));
	memset(buf + 4, 'x', CM_WHY_LEN);
	ck_assert_int_eq(cm_unpack(CM_CALL_DOWN, buf, (size_t)n, &m), 0);
	ck_assert_uint_eq(strlen(m.down.why), CM_WHY_LEN);
}
END_TEST

/*
 * What tests and older tools put on the wire stays as it was: the
 * framing (ipc.h) of a status request and of a call's end.
 */
START_TEST(test_wire_unchanged)
{
	static const uint8_t req[] = { 0, 6, 0, 4 };
	uint8_t buf[IPC_MAX_LEN], body[IPC_MAX_PAYLOAD];
	struct cm_msg m = { .type = CM_CALL_DOWN };
	struct ipc_frame f;
	ssize_t n;

	ck_assert_uint_eq(ipc_encode(CM_STATUS_REQ, NULL, 0, buf,
	    sizeof(buf)), 4);
	ck_assert_int_eq(memcmp(buf, req, 4), 0);
	m.down.status = 5;
	n = cm_pack(&m, body, sizeof(body));
	ck_assert_int_eq(n, 4 + CM_WHY_LEN);
	ck_assert_uint_eq(ipc_encode(CM_CALL_DOWN, body, (size_t)n, buf,
	    sizeof(buf)), 4 + 4 + CM_WHY_LEN);
	ck_assert_int_eq(ipc_decode(buf, 4 + 4 + CM_WHY_LEN, &f), IPC_OK);
	ck_assert_int_eq(buf[0] << 8 | buf[1], 3);
	ck_assert_int_eq(buf[2] << 8 | buf[3], 4 + 4 + CM_WHY_LEN);
	ck_assert_int_eq(cm_unpack(f.type, f.payload, f.len, &m), 0);
	ck_assert_uint_eq(m.down.status, 5);
}
END_TEST

Suite *
cm_suite(void)
{
	Suite *s = suite_create("cm");
	TCase *tc = tcase_create("codec");

	tcase_add_loop_test(tc, test_round_trip, 1, CM_NTYPES);
	tcase_add_test(tc, test_bad_type);
	tcase_add_test(tc, test_why_terminated);
	tcase_add_test(tc, test_wire_unchanged);
	suite_add_tcase(s, tc);
	return s;
}
