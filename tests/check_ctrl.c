// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The control connection state machine, driven as the call manager
 * drives it but without sockets: server messages go in as bytes, what
 * the client sends is decoded from ctrl_output().  The vendor quirks'
 * tests, on the same rig (check_ctrl.h), are in check_quirks.c.
 */
#include "pptp_ctrl.h"

#include <stdio.h>
#include <string.h>

#include "check_ctrl.h"
#include "check_suites.h"
#include "pptp_opts.h"

static void
cb_up(void *arg, struct ctrl_call *call)
{
	struct rig *r = arg;

	r->ups++;
	r->up_peer_id = call->peer_call_id;
}

static void
cb_down(void *arg, struct ctrl_call *call, int status, const char *why)
{
	struct rig *r = arg;

	(void)call;
	r->downs++;
	r->down_status = status;
	snprintf(r->down_why, sizeof(r->down_why), "%s", why);
}

static void
cb_sli(void *arg, struct ctrl_call *call, uint32_t s, uint32_t rv)
{
	struct rig *r = arg;

	(void)call;
	r->slis++;
	r->sli_send = s;
	r->sli_recv = rv;
}

static void
cb_cleared(void *arg, void *owner)
{
	struct rig *r = arg;

	ck_assert_ptr_eq(owner, &r->owner);
	r->cleared++;
}

static bool
cb_id_taken(void *arg, uint16_t id)
{
	struct rig *r = arg;

	return r->taken != 0 && id == r->taken;
}

static const struct ctrl_ops ops = { cb_up, cb_down, cb_sli, cb_cleared,
    cb_id_taken };

/* A fresh connection with quirk q (NULL: none), not yet opened. */
void
rig_init(struct rig *r, const struct quirk *q)
{
	struct ctrl_cfg cfg = {
		.server = "192.0.2.1", .quirk = q, .first_call_id = 0xfffe,
		.first_serial = 7, .idle_wait_ms = 60000,
		.echo_wait_ms = 5000, .reply_wait_ms = 60000,
		.cdn_wait_ms = 1000, .stop_wait_ms = 1000,
	};

	memset(r, 0, sizeof(*r));
	strcpy(cfg.hostname, "testhost");
	ctrl_init(&r->c, &cfg, &ops, r);
	r->now = 1000;
}

/* Take the next message the client sent; false if none. */
static bool
sent(struct rig *r, struct msg *m)
{
	const uint8_t *p;
	size_t n = ctrl_output(&r->c, &p);
	struct msg_hdr h;

	if (n == 0)
		return false;
	ck_assert_int_eq(msg_decode_hdr(p, n, &h), MSG_OK);
	ck_assert_int_eq(msg_decode(p, h.length, m), MSG_OK);
	ctrl_output_done(&r->c, h.length);
	return true;
}

/* The next message the client sent must be of this type; into m. */
void
rig_expect(struct rig *r, enum msg_type type, struct msg *m)
{
	ck_assert_msg(sent(r, m), "nothing sent, expected %s",
	    msg_type_name(type));
	ck_assert_str_eq(msg_type_name(m->hdr.ctrl_type), msg_type_name(type));
}

/* m, encoded, as the server sends it. */
void
rig_server_says(struct rig *r, struct msg *m)
{
	uint8_t buf[MSG_MAX_LEN];
	size_t n = msg_encode(m, buf, sizeof(buf));

	ck_assert_uint_gt(n, 0);
	ctrl_input(&r->c, buf, n, r->now);
}

/* Open and get an SCCRP with the given result. */
void
rig_handshake(struct rig *r, uint8_t result)
{
	struct msg m;

	ctrl_open(&r->c, r->now);
	rig_expect(r, MSG_SCCRQ, &m);
	msg_init(&m, MSG_SCCRP);
	m.sccrp.version = MSG_VERSION;
	m.sccrp.result = result;
	strcpy(m.sccrp.hostname, "pac");
	rig_server_says(r, &m);
}

/* A connection up with one call up; returns the call. */
static struct ctrl_call *
call_up(struct rig *r)
{
	struct ctrl_call *call;
	struct msg m;

	rig_handshake(r, 1);
	call = ctrl_call_open(&r->c, &r->owner, 64, 0, false, "", r->now);
	ck_assert_ptr_nonnull(call);
	rig_expect(r, MSG_OCRQ, &m);
	msg_init(&m, MSG_OCRP);
	m.ocrp.call_id = 0x1234;
	m.ocrp.peer_call_id = call->call_id;
	m.ocrp.result = 1;
	rig_server_says(r, &m);
	ck_assert_int_eq(call->state, CALL_UP);
	return call;
}

/* A call asked for on a connection up: its OCRQ went out. */
static struct ctrl_call *
call_placed(struct rig *r)
{
	struct ctrl_call *call = ctrl_call_open(&r->c, &r->owner, 64, 0, false,
	    "", r->now);
	struct msg m;

	ck_assert_ptr_nonnull(call);
	rig_expect(r, MSG_OCRQ, &m);
	return call;
}

static void
server_cdn(struct rig *r, uint16_t server_call_id, uint8_t result)
{
	struct msg m;

	msg_init(&m, MSG_CDN);
	m.cdn.call_id = server_call_id;
	m.cdn.result = result;
	rig_server_says(r, &m);
}

/* A call up, then closed by its owner: the CCRQ went out. */
static struct ctrl_call *
call_clearing(struct rig *r)
{
	struct ctrl_call *call = call_up(r);
	struct msg m;

	ctrl_call_close(&r->c, call, r->now);
	rig_expect(r, MSG_CCRQ, &m);
	ck_assert_uint_eq(m.ccrq.call_id, call->call_id);
	return call;
}

/* The one call ended as the server refused it, the connection up. */
static void
ended_refused(struct rig *r, int status, const char *words)
{
	ck_assert_int_eq(r->downs, 1);
	ck_assert_int_eq(r->down_status, status);
	ck_assert_msg(strstr(r->down_why, words) != NULL, "%s", r->down_why);
	ck_assert_uint_eq(ctrl_ncalls(&r->c), 0);
	ck_assert_int_eq(r->c.state, CTRL_UP);
}

START_TEST(test_sccrq_fields)
{
	struct rig r;
	struct msg m;

	rig_init(&r, NULL);
	ctrl_open(&r.c, r.now);
	rig_expect(&r, MSG_SCCRQ, &m);
	ck_assert_uint_eq(m.sccrq.version, 0x0100);
	ck_assert_uint_eq(m.sccrq.max_channels, 0);
	ck_assert_uint_eq(m.sccrq.framing_caps, 3);
	ck_assert_uint_eq(m.sccrq.bearer_caps, 3);
	ck_assert_str_eq(m.sccrq.hostname, "testhost");
	ck_assert_int_eq(strncmp(m.sccrq.vendor, "pptp ", 5), 0);
	ck_assert_int_eq(r.c.state, CTRL_WAIT_REPLY);
	ck_assert_uint_eq(ctrl_next_deadline(&r.c), r.now + 60000);
}
END_TEST

START_TEST(test_sccrp_ok_and_result_zero)
{
	struct rig r;

	rig_init(&r, NULL);
	rig_handshake(&r, (uint8_t)_i);	/* 0 (Alcatel) and 1 */
	ck_assert_int_eq(r.c.state, CTRL_UP);
	ck_assert_str_eq(r.c.peer.hostname, "pac");
}
END_TEST

START_TEST(test_sccrp_refused)
{
	static const char *const words[] = {
		[2] = "general error", [3] = "command channel already exists",
		[4] = "not authorized", [5] = "protocol version not supported",
	};
	struct rig r;

	rig_init(&r, NULL);
	ck_assert_ptr_nonnull(ctrl_call_open(&r.c, &r.owner, 64, 0, false,
	    "", r.now));
	rig_handshake(&r, (uint8_t)_i);
	ck_assert_int_eq(r.c.state, CTRL_DEAD);
	ck_assert_int_eq(r.c.status, PPTP_EXIT_REFUSED);
	ck_assert_int_eq(r.downs, 1);
	ck_assert_int_eq(r.down_status, PPTP_EXIT_REFUSED);
	ck_assert_msg(strstr(r.down_why, words[_i]) != NULL, "%s",
	    r.down_why);
	ck_assert_int_eq(strncmp(r.down_why,
	    "server refused control connection: ", 35), 0);
	ck_assert_uint_eq(ctrl_ncalls(&r.c), 0);
}
END_TEST

START_TEST(test_sccrp_timeout)
{
	struct rig r;

	rig_init(&r, NULL);
	ctrl_open(&r.c, r.now);
	ctrl_timer(&r.c, r.now + 59999);
	ck_assert_int_eq(r.c.state, CTRL_WAIT_REPLY);
	ctrl_timer(&r.c, r.now + 60000);
	ck_assert_int_eq(r.c.state, CTRL_DEAD);
	ck_assert_int_eq(r.c.status, PPTP_EXIT_TIMEOUT);
	ck_assert_str_eq(r.c.why, "no reply to SCCRQ from server within 60 s");
}
END_TEST

/* A call asked for before the connection is up goes out when it is. */
START_TEST(test_call_pending_then_ocrq)
{
	struct rig r;
	struct ctrl_call *call;
	struct msg m;

	rig_init(&r, NULL);
	call = ctrl_call_open(&r.c, &r.owner, 32, 1, true, "5551234", r.now);
	ck_assert_ptr_nonnull(call);
	ck_assert_int_eq(call->state, CALL_PENDING);
	rig_handshake(&r, 1);
	rig_expect(&r, MSG_OCRQ, &m);
	ck_assert_uint_eq(m.ocrq.call_id, call->call_id);
	ck_assert_int_eq(call->state, CALL_WAIT_REPLY);
}
END_TEST

START_TEST(test_ocrq_fields)
{
	struct rig r;
	struct ctrl_call *call;
	struct msg m;

	rig_init(&r, NULL);
	rig_handshake(&r, 1);
	call = ctrl_call_open(&r.c, &r.owner, 32, 1, true, "5551234", r.now);
	rig_expect(&r, MSG_OCRQ, &m);
	ck_assert_uint_eq(m.ocrq.call_id, 0xfffe);
	ck_assert_uint_eq(m.ocrq.call_id, call->call_id);
	ck_assert_uint_eq(m.ocrq.call_serial, 7);
	ck_assert_uint_eq(m.ocrq.bearer_type, MSG_BEARER_ANY);
	ck_assert_uint_eq(m.ocrq.framing_type, MSG_FRAMING_SYNC);
	ck_assert_uint_eq(m.ocrq.recv_window, 32);
	ck_assert_uint_eq(m.ocrq.proc_delay, 1);
	ck_assert_str_eq(m.ocrq.phone, "5551234");
	ck_assert_uint_eq(m.ocrq.phone_len, 7);
	ck_assert_str_eq(m.ocrq.subaddr, "");
	ck_assert_uint_le(m.ocrq.min_bps, m.ocrq.max_bps);
}
END_TEST

/* Call IDs: unique, never 0, across the 16-bit wrap. */
START_TEST(test_call_ids_unique_nonzero)
{
	struct rig r;
	uint16_t ids[4];

	rig_init(&r, NULL);
	rig_handshake(&r, 1);
	for (int i = 0; i < 4; i++) {
		struct ctrl_call *call = ctrl_call_open(&r.c, &r.owner, 64,
		    0, false, "", r.now);

		ck_assert_ptr_nonnull(call);
		ids[i] = call->call_id;
		ck_assert_uint_ne(ids[i], 0);
		ck_assert_uint_eq(call->serial, 7 + i);
	}
	ck_assert_uint_eq(ids[0], 0xfffe);
	ck_assert_uint_eq(ids[1], 0xffff);
	ck_assert_uint_eq(ids[2], 1);
	ck_assert_uint_eq(ids[3], 2);
}
END_TEST

START_TEST(test_ocrp_connected)
{
	struct rig r;
	struct ctrl_call *call;

	rig_init(&r, NULL);
	call = call_up(&r);
	ck_assert_int_eq(r.ups, 1);
	ck_assert_uint_eq(r.up_peer_id, 0x1234);
	ck_assert_uint_eq(call->peer_window, 0);
}
END_TEST

START_TEST(test_ocrp_refused)
{
	static const char *const words[] = {
		[2] = "general error", [3] = "no carrier", [4] = "busy",
		[5] = "no dial tone", [6] = "time-out", [7] = "do not accept",
	};
	struct rig r;
	struct ctrl_call *call;
	struct msg m;

	rig_init(&r, NULL);
	rig_handshake(&r, 1);
	call = ctrl_call_open(&r.c, &r.owner, 64, 0, false, "", r.now);
	rig_expect(&r, MSG_OCRQ, &m);
	msg_init(&m, MSG_OCRP);
	m.ocrp.peer_call_id = call->call_id;
	m.ocrp.result = (uint8_t)_i;
	rig_server_says(&r, &m);
	ended_refused(&r, PPTP_EXIT_CALL_REFUSED, words[_i]);
}
END_TEST

START_TEST(test_ocrp_unknown_call_ignored)
{
	struct rig r;
	struct msg m;

	rig_init(&r, NULL);
	rig_handshake(&r, 1);
	msg_init(&m, MSG_OCRP);
	m.ocrp.peer_call_id = 99;
	m.ocrp.result = 1;
	rig_server_says(&r, &m);
	ck_assert_int_eq(r.c.state, CTRL_UP);
	ck_assert_int_eq(r.ups, 0);
}
END_TEST

START_TEST(test_ocrp_timeout)
{
	struct rig r;
	struct msg m;
	struct ctrl_call *call;

	rig_init(&r, NULL);
	rig_handshake(&r, 1);
	call = ctrl_call_open(&r.c, &r.owner, 64, 0, false, "", r.now);
	rig_expect(&r, MSG_OCRQ, &m);
	ctrl_timer(&r.c, r.now + 60000);
	ck_assert_int_eq(r.downs, 1);
	ck_assert_int_eq(r.down_status, PPTP_EXIT_TIMEOUT);
	rig_expect(&r, MSG_ECHORQ, &m);	/* 60 s of silence too */
	rig_expect(&r, MSG_CCRQ, &m);
	ck_assert_uint_eq(m.ccrq.call_id, call->call_id);
}
END_TEST

/* CDN with Windows' result 0 ends the call and carries the statistics. */
START_TEST(test_cdn_ends_call)
{
	struct rig r;
	struct msg m;

	rig_init(&r, NULL);
	call_up(&r);
	msg_init(&m, MSG_CDN);
	m.cdn.call_id = 0x1234;
	m.cdn.result = (uint8_t)_i;
	strcpy(m.cdn.call_stats, "bytes 100\n");
	rig_server_says(&r, &m);
	ck_assert_int_eq(r.downs, 1);
	ck_assert_int_eq(r.down_status, PPTP_EXIT_HANGUP);
	ck_assert_msg(strstr(r.down_why, "bytes 100\\x0a") != NULL, "%s",
	    r.down_why);
	ck_assert_int_eq(strncmp(r.down_why,
	    "server disconnected the call: ", 30), 0);
	ck_assert_uint_eq(ctrl_ncalls(&r.c), 0);
	ck_assert_int_eq(r.c.state, CTRL_UP);
}
END_TEST

START_TEST(test_cdn_wrong_id_ignored)
{
	struct rig r;
	struct msg m;

	rig_init(&r, NULL);
	call_up(&r);
	msg_init(&m, MSG_CDN);
	m.cdn.call_id = 0x1235;
	rig_server_says(&r, &m);
	ck_assert_int_eq(r.downs, 0);
	ck_assert_uint_eq(ctrl_ncalls(&r.c), 1);
}
END_TEST

/* A CDN before the OCRP: no server ID to match, but one call waits. */
START_TEST(test_cdn_while_waiting_ends_call)
{
	struct rig r;

	rig_init(&r, NULL);
	rig_handshake(&r, 1);
	call_placed(&r);
	server_cdn(&r, 0x4321, 3);	/* admin shutdown */
	ended_refused(&r, PPTP_EXIT_CALL_REFUSED, "before answering");
}
END_TEST

/* Two calls waiting: a CDN cannot say which; both still wait. */
START_TEST(test_cdn_while_two_wait_ignored)
{
	struct rig r;

	rig_init(&r, NULL);
	rig_handshake(&r, 1);
	call_placed(&r);
	call_placed(&r);
	server_cdn(&r, 0x4321, 1);
	ck_assert_int_eq(r.downs, 0);
	ck_assert_uint_eq(ctrl_ncalls(&r.c), 2);
}
END_TEST

/* An OCRP repeating the server ID another call holds: the new call is
 * cleared under that ID, and the CDN answering it leaves the old one. */
START_TEST(test_ocrp_duplicate_server_id)
{
	struct rig r;
	struct ctrl_call *first, *second;
	struct msg m;

	rig_init(&r, NULL);
	first = call_up(&r);
	second = call_placed(&r);
	msg_init(&m, MSG_OCRP);
	m.ocrp.call_id = 0x1234;	/* first's */
	m.ocrp.peer_call_id = second->call_id;
	m.ocrp.result = 1;
	rig_server_says(&r, &m);
	ck_assert_int_eq(r.ups, 1);
	ck_assert_int_eq(r.downs, 1);
	ck_assert_int_eq(r.down_status, PPTP_EXIT_PROTOCOL);
	ck_assert_msg(strstr(r.down_why, "server call ID 4660") != NULL, "%s",
	    r.down_why);
	rig_expect(&r, MSG_CCRQ, &m);
	ck_assert_uint_eq(m.ccrq.call_id, second->call_id);
	server_cdn(&r, 0x1234, 4);
	ck_assert_int_eq(r.downs, 1);
	ck_assert_uint_eq(ctrl_ncalls(&r.c), 1);
	ck_assert_int_eq(first->state, CALL_UP);
}
END_TEST

/* We end a call: CCRQ with our ID; the CDN frees it, silently. */
START_TEST(test_clear_call)
{
	struct rig r;

	rig_init(&r, NULL);
	call_clearing(&r);
	ck_assert_uint_eq(ctrl_ncalls(&r.c), 1);
	server_cdn(&r, 0x1234, 4);
	ck_assert_uint_eq(ctrl_ncalls(&r.c), 0);
	ck_assert_int_eq(r.downs, 0);
	ck_assert_int_eq(r.cleared, 1);
}
END_TEST

/* The owner hears "cleared" only once the CDN came, not at the CCRQ. */
START_TEST(test_cleared_waits_for_cdn)
{
	struct rig r;

	rig_init(&r, NULL);
	call_clearing(&r);
	ck_assert_int_eq(r.cleared, 0);
	/* time short of the CDN wait changes nothing */
	ctrl_timer(&r.c, r.now + 999);
	ck_assert_int_eq(r.cleared, 0);
	server_cdn(&r, 0x1234, 4);
	ck_assert_int_eq(r.cleared, 1);
	ck_assert_int_eq(r.downs, 0);
}
END_TEST

/* A call still waiting for the connection goes at once. */
START_TEST(test_cleared_pending_at_once)
{
	struct rig r;
	struct ctrl_call *call;

	rig_init(&r, NULL);
	call = ctrl_call_open(&r.c, &r.owner, 64, 0, false, "", r.now);
	ck_assert_ptr_nonnull(call);
	ctrl_call_close(&r.c, call, r.now);
	ck_assert_int_eq(r.cleared, 1);
	ck_assert_uint_eq(ctrl_ncalls(&r.c), 0);
}
END_TEST

/* The connection dies while the call clears: cleared, not call_down. */
START_TEST(test_cleared_when_connection_dies)
{
	struct rig r;

	rig_init(&r, NULL);
	call_clearing(&r);
	ctrl_tcp_closed(&r.c, PPTP_EXIT_HANGUP, "reset by the server");
	ck_assert_int_eq(r.cleared, 1);
	ck_assert_int_eq(r.downs, 0);
}
END_TEST

/* An ID another connection of the manager uses is skipped. */
START_TEST(test_call_id_taken_elsewhere_skipped)
{
	struct rig r;
	struct ctrl_call *call;

	rig_init(&r, NULL);
	r.taken = 0xfffe;	/* the first ID this rig would give */
	call = ctrl_call_open(&r.c, &r.owner, 64, 0, false, "", r.now);
	ck_assert_ptr_nonnull(call);
	ck_assert_uint_eq(call->call_id, 0xffff);
}
END_TEST

START_TEST(test_clear_call_no_cdn)
{
	struct rig r;

	rig_init(&r, NULL);
	call_clearing(&r);
	ck_assert_uint_eq(ctrl_next_deadline(&r.c), r.now + 1000);
	ctrl_timer(&r.c, r.now + 1000);
	ck_assert_uint_eq(ctrl_ncalls(&r.c), 0);
	ck_assert_int_eq(r.downs, 0);
	ck_assert_int_eq(r.cleared, 1);
}
END_TEST

START_TEST(test_echo_reply_copies_id)
{
	struct rig r;
	struct msg m;

	rig_init(&r, NULL);
	rig_handshake(&r, 1);
	msg_init(&m, MSG_ECHORQ);
	m.echorq.id = 0xa5a5f00d;
	rig_server_says(&r, &m);
	rig_expect(&r, MSG_ECHORP, &m);
	ck_assert_uint_eq(m.echorp.id, 0xa5a5f00d);
	ck_assert_uint_eq(m.echorp.result, 1);
}
END_TEST

/* Silence: Echo-Request after idle-wait; no reply: the connection ends. */
START_TEST(test_echo_timeout)
{
	struct rig r;
	struct msg m;

	rig_init(&r, NULL);
	call_up(&r);
	ck_assert_uint_eq(ctrl_next_deadline(&r.c), r.now + 60000);
	ctrl_timer(&r.c, r.now + 60000);
	rig_expect(&r, MSG_ECHORQ, &m);
	ctrl_timer(&r.c, r.now + 64999);
	ck_assert_int_eq(r.c.state, CTRL_UP);
	ctrl_timer(&r.c, r.now + 65000);
	ck_assert_int_eq(r.c.state, CTRL_DEAD);
	ck_assert_int_eq(r.down_status, PPTP_EXIT_TIMEOUT);
	ck_assert_str_eq(r.down_why,
	    "no Echo-Reply from server within 5 s: control connection lost");
}
END_TEST

/* The reply (or any message) keeps the connection alive. */
START_TEST(test_echo_answered)
{
	struct rig r;
	struct msg m;
	uint32_t id;

	rig_init(&r, NULL);
	rig_handshake(&r, 1);
	r.now += 60000;
	ctrl_timer(&r.c, r.now);
	rig_expect(&r, MSG_ECHORQ, &m);
	id = m.echorq.id;
	r.now += 4000;
	msg_init(&m, MSG_ECHORP);
	m.echorp.id = id;
	m.echorp.result = 1;
	rig_server_says(&r, &m);
	ctrl_timer(&r.c, r.now + 5000);
	ck_assert_int_eq(r.c.state, CTRL_UP);
	ck_assert_uint_eq(ctrl_next_deadline(&r.c), r.now + 60000);
}
END_TEST

START_TEST(test_server_stops)
{
	struct rig r;
	struct msg m;

	rig_init(&r, NULL);
	call_up(&r);
	msg_init(&m, MSG_STOPCCRQ);
	m.stopccrq.reason = 3;
	rig_server_says(&r, &m);
	rig_expect(&r, MSG_STOPCCRP, &m);
	ck_assert_uint_eq(m.stopccrp.result, 1);
	ck_assert_int_eq(r.c.state, CTRL_DEAD);
	ck_assert_int_eq(r.down_status, PPTP_EXIT_HANGUP);
	ck_assert_str_eq(r.down_why, "server stopped the control connection: "
	    "local shutdown (reason 3)");
}
END_TEST

START_TEST(test_we_stop)
{
	struct rig r;
	struct msg m;

	rig_init(&r, NULL);
	rig_handshake(&r, 1);
	ctrl_close(&r.c, r.now);
	rig_expect(&r, MSG_STOPCCRQ, &m);
	ck_assert_uint_eq(m.stopccrq.reason, 3);
	ck_assert_int_eq(r.c.state, CTRL_WAIT_STOP);
	msg_init(&m, MSG_STOPCCRP);
	m.stopccrp.result = 1;
	rig_server_says(&r, &m);
	ck_assert_int_eq(r.c.state, CTRL_DEAD);
	ck_assert_int_eq(r.c.status, PPTP_EXIT_OK);
}
END_TEST

START_TEST(test_we_stop_no_reply)
{
	struct rig r;
	struct msg m;

	rig_init(&r, NULL);
	rig_handshake(&r, 1);
	ctrl_close(&r.c, r.now);
	rig_expect(&r, MSG_STOPCCRQ, &m);
	ctrl_timer(&r.c, r.now + 1000);
	ck_assert_int_eq(r.c.state, CTRL_DEAD);
	ck_assert_int_eq(r.c.status, PPTP_EXIT_OK);
	ck_assert_ptr_null(ctrl_call_open(&r.c, &r.owner, 64, 0, false, "",
	    r.now));
}
END_TEST

/* A bad cookie: the stream is lost, every call ends. */
START_TEST(test_malformed_closes)
{
	struct rig r;
	uint8_t junk[16] = { 0, 16, 0, 1, 0xde, 0xad, 0xbe, 0xef, 0, 5 };

	rig_init(&r, NULL);
	call_up(&r);
	ctrl_input(&r.c, junk, sizeof(junk), r.now);
	ck_assert_int_eq(r.c.state, CTRL_DEAD);
	ck_assert_int_eq(r.down_status, PPTP_EXIT_PROTOCOL);
	ck_assert_msg(strstr(r.down_why, "bad magic cookie") != NULL, "%s",
	    r.down_why);
	ck_assert_msg(strstr(r.down_why, "0xdeadbeef") != NULL, "%s",
	    r.down_why);
}
END_TEST

START_TEST(test_tcp_closed)
{
	struct rig r;

	rig_init(&r, NULL);
	call_up(&r);
	ctrl_tcp_closed(&r.c, PPTP_EXIT_HANGUP,
	    "server closed the control connection");
	ck_assert_int_eq(r.c.state, CTRL_DEAD);
	ck_assert_int_eq(r.downs, 1);
	ck_assert_int_eq(r.down_status, PPTP_EXIT_HANGUP);
}
END_TEST

/* WEN and SLI are reports, never fatal; SLI reaches the call's owner. */
START_TEST(test_wen_sli_icrq)
{
	struct rig r;
	struct ctrl_call *call;
	struct msg m;

	rig_init(&r, NULL);
	call = call_up(&r);
	msg_init(&m, MSG_WEN);
	m.wen.peer_call_id = call->call_id;
	m.wen.crc_errors = 3;
	rig_server_says(&r, &m);
	msg_init(&m, MSG_SLI);
	m.sli.peer_call_id = call->call_id;
	m.sli.send_accm = 0;
	m.sli.recv_accm = 0x000a0000;
	rig_server_says(&r, &m);
	ck_assert_int_eq(r.slis, 1);
	ck_assert_uint_eq(r.sli_recv, 0x000a0000);
	msg_init(&m, MSG_ICRQ);
	m.icrq.call_id = 77;
	rig_server_says(&r, &m);
	rig_expect(&r, MSG_ICRP, &m);
	ck_assert_uint_eq(m.icrp.peer_call_id, 77);
	ck_assert_uint_eq(m.icrp.result, 3);
	ck_assert_int_eq(r.c.state, CTRL_UP);
	ck_assert_int_eq(call->state, CALL_UP);
	ck_assert_int_eq(r.downs, 0);
}
END_TEST

Suite *
ctrl_suite(void)
{
	Suite *s = suite_create("ctrl");
	TCase *conn = tcase_create("connection");
	TCase *calls = tcase_create("calls");

	tcase_add_test(conn, test_sccrq_fields);
	tcase_add_loop_test(conn, test_sccrp_ok_and_result_zero, 0, 2);
	tcase_add_loop_test(conn, test_sccrp_refused, 2, 6);
	tcase_add_test(conn, test_sccrp_timeout);
	tcase_add_test(conn, test_echo_reply_copies_id);
	tcase_add_test(conn, test_echo_timeout);
	tcase_add_test(conn, test_echo_answered);
	tcase_add_test(conn, test_server_stops);
	tcase_add_test(conn, test_we_stop);
	tcase_add_test(conn, test_we_stop_no_reply);
	tcase_add_test(conn, test_malformed_closes);
	tcase_add_test(conn, test_tcp_closed);
	tcase_add_test(conn, test_wen_sli_icrq);
	suite_add_tcase(s, conn);

	tcase_add_test(calls, test_call_pending_then_ocrq);
	tcase_add_test(calls, test_ocrq_fields);
	tcase_add_test(calls, test_call_ids_unique_nonzero);
	tcase_add_test(calls, test_ocrp_connected);
	tcase_add_loop_test(calls, test_ocrp_refused, 2, 8);
	tcase_add_test(calls, test_ocrp_unknown_call_ignored);
	tcase_add_test(calls, test_ocrp_timeout);
	tcase_add_loop_test(calls, test_cdn_ends_call, 0, 5);
	tcase_add_test(calls, test_cdn_wrong_id_ignored);
	tcase_add_test(calls, test_cdn_while_waiting_ends_call);
	tcase_add_test(calls, test_cdn_while_two_wait_ignored);
	tcase_add_test(calls, test_ocrp_duplicate_server_id);
	tcase_add_test(calls, test_clear_call);
	tcase_add_test(calls, test_clear_call_no_cdn);
	tcase_add_test(calls, test_cleared_waits_for_cdn);
	tcase_add_test(calls, test_cleared_pending_at_once);
	tcase_add_test(calls, test_cleared_when_connection_dies);
	tcase_add_test(calls, test_call_id_taken_elsewhere_skipped);
	suite_add_tcase(s, calls);
	suite_add_tcase(s, ctrl_quirks_tcase());
	return s;
}
