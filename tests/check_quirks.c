// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The vendor quirks and the tolerances always on (pptp_quirks.c,
 * orckit_quirks.c): their incoming hooks alone, the table and the names
 * built from it, and what they make of the control connection, driven
 * on check_ctrl.c's rig (check_ctrl.h).
 */
#include "pptp_quirks.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "check_ctrl.h"
#include "util.h"

START_TEST(test_reserved0_accepted)
{
	struct rig r;
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;
	size_t n;

	rig_init(&r, NULL);
	ctrl_open(&r.c, r.now);
	rig_expect(&r, MSG_SCCRQ, &m);
	msg_init(&m, MSG_SCCRP);
	m.sccrp.result = 1;
	n = msg_encode(&m, buf, sizeof(buf));
	buf[11] = 0x01;
	ctrl_input(&r.c, buf, n, r.now);
	ck_assert_int_eq(r.c.state, CTRL_UP);
	ck_assert(r.c.quirks_told != 0);
}
END_TEST

/* What is logged while fn runs on r (forked: fd 2 is ours to take). */
static void
logged(struct rig *r, void (*fn)(struct rig *), char *out, size_t outsz)
{
	int p[2];
	ssize_t n;

	ck_assert_int_eq(pipe(p), 0);
	ck_assert_int_ge(dup2(p[1], 2), 0);
	close(p[1]);
	log_init("test", true, LOG_LEVEL_DEFAULT);
	fn(r);
	fflush(stderr);
	close(2);
	n = read(p[0], out, outsz - 1);
	out[n > 0 ? n : 0] = '\0';
	close(p[0]);
}

/* An SCCRP and an Echo-Request with reserved0 set, as Cisco PIX sends. */
static void
pix_talks(struct rig *r)
{
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;
	size_t n;

	ctrl_open(&r->c, r->now);
	rig_expect(r, MSG_SCCRQ, &m);
	msg_init(&m, MSG_SCCRP);
	m.sccrp.result = 1;
	n = msg_encode(&m, buf, sizeof(buf));
	buf[10] = 0x12;
	buf[11] = 0x34;
	ctrl_input(&r->c, buf, n, r->now);
	msg_init(&m, MSG_ECHORQ);
	n = msg_encode(&m, buf, sizeof(buf));
	buf[11] = 0x01;
	ctrl_input(&r->c, buf, n, r->now);
}

/* PIX's tolerance, in the quirk table: its words, once a connection. */
START_TEST(test_quirk_pix_said_once)
{
	struct rig r;
	struct msg m;
	char out[1024];
	const char *line = "test: ctrl 192.0.2.1: server sets reserved0 to "
	    "0x1234 in SCCRP (as Cisco PIX does): accepted\n";

	rig_init(&r, NULL);
	logged(&r, pix_talks, out, sizeof(out));
	ck_assert_int_eq(r.c.state, CTRL_UP);
	rig_expect(&r, MSG_ECHORP, &m);
	ck_assert_ptr_nonnull(strstr(out, line));
	ck_assert_ptr_null(strstr(out, "reserved0 to 0x0001"));
	ck_assert_ptr_null(strstr(strstr(out, line) + strlen(line),
	    "Cisco PIX"));
}
END_TEST

/* The incoming hooks alone: a deviation made the RFC's, words or not. */
START_TEST(test_quirk_incoming_hooks)
{
	struct msg m;
	char words[200] = "";

	msg_init(&m, MSG_SCCRP);
	m.sccrp.result = 0;
	ck_assert(quirk_alcatel.incoming(&m, words, sizeof(words)));
	ck_assert_uint_eq(m.sccrp.result, 1);
	ck_assert_str_eq(words, "");
	ck_assert(!quirk_alcatel.incoming(&m, words, sizeof(words)));
	m.sccrp.result = 2;
	ck_assert(!quirk_alcatel.incoming(&m, words, sizeof(words)));
	ck_assert_uint_eq(m.sccrp.result, 2);
	msg_init(&m, MSG_OCRP);
	m.ocrp.result = 0;
	ck_assert(!quirk_alcatel.incoming(&m, words, sizeof(words)));
	ck_assert_uint_eq(m.ocrp.result, 0);

	ck_assert(!quirk_pix.incoming(&m, words, sizeof(words)));
	m.hdr.reserved0 = 0xbeef;
	ck_assert(quirk_pix.incoming(&m, words, sizeof(words)));
	ck_assert_uint_eq(m.hdr.reserved0, 0);
	ck_assert_str_eq(words, "server sets reserved0 to 0xbeef in OCRP "
	    "(as Cisco PIX does): accepted");
	ck_assert(!quirk_pix.incoming(&m, words, 4));
}
END_TEST

/* The table: tolerances always on and not names to pick; names built. */
START_TEST(test_quirk_table)
{
	size_t n = 0, always = 0;
	const struct quirk *q;

	for (; (q = quirk_at(n)) != NULL; n++) {
		always += q->always;
		if (q->always) {
			ck_assert_ptr_null(quirk_find(q->name));
			ck_assert_ptr_nonnull(q->incoming);
			ck_assert_ptr_null(strstr(quirk_names(), q->name));
		} else {
			ck_assert_ptr_eq(quirk_find(q->name), q);
			ck_assert_ptr_nonnull(strstr(quirk_names(), q->name));
		}
	}
	ck_assert_uint_eq(n, 3);
	ck_assert_uint_eq(always, 2);
	ck_assert_str_eq(quirk_names(), "BEZEQ_ISRAEL");
}
END_TEST

static bool
test_incoming(struct msg *m, char *words, size_t wordsz)
{
	if (m->hdr.ctrl_type != MSG_SCCRP || m->sccrp.result != 7)
		return false;
	m->sccrp.result = 1;
	snprintf(words, wordsz, "result 7 taken for 1");
	return true;
}

static const struct quirk quirk_test = {
	.name = "TEST", .incoming = test_incoming,
};

/* A chosen quirk's incoming hook runs too; with no quirk chosen, not. */
START_TEST(test_quirk_chosen_incoming)
{
	struct rig r;

	rig_init(&r, &quirk_test);
	rig_handshake(&r, 7);
	ck_assert_int_eq(r.c.state, CTRL_UP);
	ck_assert_uint_eq(r.c.quirks_told, CTRL_QUIRK_CHOSEN);
	rig_init(&r, NULL);
	rig_handshake(&r, 7);
	ck_assert_int_eq(r.c.state, CTRL_DEAD);
}
END_TEST

START_TEST(test_quirk_orckit)
{
	struct rig r;
	struct msg m;
	struct ctrl_call *call;

	ck_assert_ptr_eq(quirk_find("BEZEQ_ISRAEL"), &quirk_orckit);
	ck_assert_ptr_null(quirk_find("bezeq_israel"));
	ck_assert_str_eq(quirk_names(), "BEZEQ_ISRAEL");
	rig_init(&r, &quirk_orckit);
	ctrl_open(&r.c, r.now);
	rig_expect(&r, MSG_SCCRQ, &m);
	ck_assert_uint_eq(m.sccrq.version, 0x0100);
	ck_assert_uint_eq(m.sccrq.framing_caps, 1);
	ck_assert_uint_eq(m.sccrq.bearer_caps, 1);
	ck_assert_uint_eq(m.sccrq.max_channels, 0);
	ck_assert_uint_eq(m.sccrq.firmware_rev, 0x6021);
	ck_assert_str_eq(m.sccrq.hostname, "RELAY_PPP1");
	ck_assert_str_eq(m.sccrq.vendor, "MS Win NT");
	msg_init(&m, MSG_SCCRP);
	m.sccrp.result = 1;
	rig_server_says(&r, &m);
	call = ctrl_call_open(&r.c, &r.owner, 64, 0, false, "", r.now);
	rig_expect(&r, MSG_OCRQ, &m);
	ck_assert_uint_eq(m.ocrq.bearer_type, 2);
	ck_assert_uint_eq(m.ocrq.framing_type, 3);
	ck_assert_str_eq(m.ocrq.phone, "RELAY_PPP1");
	ck_assert_uint_eq(m.ocrq.phone_len, 10);
	ck_assert_str_eq(m.ocrq.subaddr, "");
	msg_init(&m, MSG_OCRP);
	m.ocrp.call_id = 0x4321;
	m.ocrp.peer_call_id = call->call_id;
	m.ocrp.result = 1;
	rig_server_says(&r, &m);
	rig_expect(&r, MSG_SLI, &m);
	ck_assert_uint_eq(m.sli.peer_call_id, 0x4321);
	ck_assert_uint_eq(m.sli.send_accm, 0xffffffff);
	ck_assert_uint_eq(m.sli.recv_accm, 0xffffffff);
}
END_TEST

TCase *
ctrl_quirks_tcase(void)
{
	TCase *quirks = tcase_create("quirks");

	tcase_add_test(quirks, test_reserved0_accepted);
	tcase_add_test(quirks, test_quirk_orckit);
	tcase_add_test(quirks, test_quirk_pix_said_once);
	tcase_add_test(quirks, test_quirk_incoming_hooks);
	tcase_add_test(quirks, test_quirk_table);
	tcase_add_test(quirks, test_quirk_chosen_incoming);
	return quirks;
}
