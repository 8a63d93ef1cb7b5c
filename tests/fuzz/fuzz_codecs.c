// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * libFuzzer target for everything that reads bytes from the network or
 * from pppd, or from another pptp process (ipc.h): the first byte picks
 * the decoder, the rest is its input.
 *   make fuzz [FUZZ_SECONDS=60]
 * The control connection's state machine gets the bytes as a TCP stream
 * after a valid handshake, so that deep states are reached too.  A
 * status line (what pptp --status reads from a call manager) is read
 * into a record, written again and must read back the same; and written
 * as JSON (pptp --status --json), which must always fit and be valid.
 * Seeds: tests/fuzz/corpus (first byte 6: a status line).
 */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "accm.h"
#include "cm_msg.h"
#include "gre_hdr.h"
#include "hdlc.h"
#include "ipc.h"
#include "pptp_ctrl.h"
#include "pptp_msg.h"
#include "pqueue.h"
#include "status.h"
#include "util.h"

#include "../check_status_json.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A frame to see come back from the decoder, and how often it did. */
struct want {
	const uint8_t	*f;
	size_t		 n, got;
};

static void
on_roundtrip(void *arg, const uint8_t *f, size_t len)
{
	struct want *w = arg;

	if (len != w->n || memcmp(f, w->f, len) != 0)
		__builtin_trap();	/* not the frame encoded */
	w->got++;
}

/*
 * LCP snooping over frames from either side; each frame is then encoded
 * with the ACCM in force and must decode to itself.
 */
static void
fuzz_accm(const uint8_t *data, size_t size)
{
	static uint8_t enc[2 * 256 + 8], dbuf[300];
	struct accm_snoop s;

	accm_init(&s);
	for (size_t i = 0; i < size;) {
		size_t n = data[i] & 0x7f;
		bool from_pppd = data[i] & 0x80;
		struct hdlc_enc e;
		struct hdlc_dec d;
		struct want want;

		i++;
		if (n > size - i)
			n = size - i;
		if (from_pppd)
			accm_from_pppd(&s, data + i, n);
		else
			accm_from_server(&s, data + i, n);
		hdlc_enc_init(&e, accm_is_lcp(data + i, n) ? HDLC_ACCM_ALL :
		    s.now);
		want.f = data + i;
		want.n = n;
		want.got = 0;
		hdlc_dec_init(&d, dbuf, sizeof(dbuf), false);
		hdlc_dec_feed(&d, enc, hdlc_encode(&e, data + i, n, enc,
		    sizeof(enc)), on_roundtrip, &want);
		if (n >= 2 && want.got != 1)
			__builtin_trap();	/* the frame did not come back */
		i += n;
	}
}

static void
on_frame(void *arg, const uint8_t *f, size_t len)
{
	(void)arg;
	if (len > 0 && f[0] == 0x42 && f[len - 1] == 0x43)
		__asm__ volatile("" ::: "memory");
}

static void
on_pkt(void *arg, uint32_t seq, const uint8_t *p, size_t len)
{
	(void)arg;
	/* what fuzz_pq stored for seq: its bytes, whole */
	for (size_t k = 0; k < len; k++)
		if (p[k] != (uint8_t)(seq + k))
			__builtin_trap();
}

/*
 * Packets into the reorder queue: each 4 bytes of sequence number, a
 * length byte (times 8: up to 2040 bytes) and a time step; the payload
 * is made from the number, so a delivery can be checked byte by byte.
 */
static void
fuzz_pq(struct pq *q, const uint8_t *data, size_t size)
{
	static uint8_t pkt[2048];
	static uint64_t now;

	for (size_t i = 0; i + 6 <= size; i += 6) {
		uint32_t seq;
		size_t len = (size_t)data[i + 4] * 8;

		memcpy(&seq, data + i, 4);
		for (size_t k = 0; k < len; k++)
			pkt[k] = (uint8_t)(seq + k);
		now += data[i + 5] & 0x3f;
		pq_input(q, seq, pkt, len, now, on_pkt, NULL);
		if (data[i + 5] & 0x40)
			pq_timer(q, now += 300, on_pkt, NULL);
	}
}

static void
cb_up(void *arg, struct ctrl_call *c)
{
	(void)arg;
	(void)c;
}

static void
cb_down(void *arg, struct ctrl_call *c, int st, const char *why)
{
	(void)arg;
	(void)c;
	(void)st;
	(void)why;
}

static void
cb_sli(void *arg, struct ctrl_call *c, uint32_t s, uint32_t r)
{
	(void)arg;
	(void)c;
	(void)s;
	(void)r;
}

static const struct ctrl_ops ops = { cb_up, cb_down, cb_sli };

static void
fuzz_ctrl(const uint8_t *data, size_t size)
{
	static struct ctrl_conn c;
	struct ctrl_cfg cfg = { .server = "fuzz", .first_call_id = 1,
	    .idle_wait_ms = 1000, .echo_wait_ms = 1000,
	    .reply_wait_ms = 1000, .cdn_wait_ms = 100, .stop_wait_ms = 100 };
	uint8_t buf[MSG_MAX_LEN];
	struct msg m;
	const uint8_t *p;
	int owner;

	ctrl_init(&c, &cfg, &ops, NULL);
	ctrl_open(&c, 0);
	ctrl_call_open(&c, &owner, 64, 0, false, "", 0);
	memset(&m, 0, sizeof(m));
	m.hdr.ctrl_type = MSG_SCCRP;
	m.sccrp.result = 1;
	ctrl_input(&c, buf, msg_encode(&m, buf, sizeof(buf)), 1);
	memset(&m, 0, sizeof(m));
	m.hdr.ctrl_type = MSG_OCRP;
	m.ocrp.peer_call_id = 1;
	m.ocrp.result = 1;
	ctrl_input(&c, buf, msg_encode(&m, buf, sizeof(buf)), 2);
	/* the rest in pieces whose sizes the input also picks */
	for (size_t off = 0; off < size && c.state != CTRL_DEAD; ) {
		size_t n = 1 + data[off] % 64;

		off++;
		if (n > size - off)
			n = size - off;
		ctrl_input(&c, data + off, n, 3 + off);
		ctrl_timer(&c, 3 + off * 100);
		ctrl_output_done(&c, ctrl_output(&c, &p));
		off += n;
	}
}

/*
 * The framing between pptp's processes, and the instance <-> manager set
 * on it: what decodes encodes again to the same bytes (the framing) or
 * the same length (a message of the set).
 */
static void
fuzz_ipc(const uint8_t *data, size_t size, struct cm_msg *cm)
{
	static uint8_t buf[IPC_MAX_LEN];
	struct ipc_frame f;
	ssize_t n;

	if (ipc_decode(data, size, &f) != IPC_OK)
		return;
	if (f.len > IPC_MAX_PAYLOAD || ipc_encode(f.type, f.payload, f.len,
	    buf, sizeof(buf)) != size || memcmp(buf, data, size) != 0)
		__builtin_trap();
	if (cm_unpack(f.type, f.payload, f.len, cm) < 0)
		return;
	n = cm_pack(cm, buf, sizeof(buf));
	if (n < 0 || (size_t)n != f.len)
		__builtin_trap();
}

static void
fuzz_status(const uint8_t *data, size_t size)
{
	static struct status_rec r, back;
	struct status_line l;
	char line[CM_LINE_LEN + 1], why[128] = "";

	if (size > CM_LINE_LEN)
		size = CM_LINE_LEN;
	memcpy(line, data, size);
	line[size] = '\0';
	if (!status_parse(line, &r))
		return;
	if (status_check(&r, why, sizeof(why)) && why[0] != '\0')
		__builtin_trap();	/* passed, yet something said */
	if (strlen(why) >= sizeof(why))
		__builtin_trap();
	/* checked or not, skipping a key or not: valid JSON, whole */
	for (int skip = 0; skip < 2; skip++) {
		static char out[STATUS_JSON_LEN], obj[STATUS_JSON_LEN + 2];

		if (!status_json(&r, skip && r.npairs > 0 ? r.pairs[0].key :
		    NULL, out, sizeof(out)))
			__builtin_trap();	/* a line's record did not fit */
		snprintf(obj, sizeof(obj), "{%s}", out);
		if (!json_valid(obj))
			__builtin_trap();
	}
	status_line_init(&l, r.kind);
	for (int i = 0; i < r.npairs; i++)
		status_line_str(&l, r.pairs[i].key, r.pairs[i].val);
	if (l.len >= sizeof(l.text) || !status_parse(l.text, &back) ||
	    strcmp(back.kind, r.kind) != 0 ||
	    back.npairs + (int)back.cut != r.npairs)
		__builtin_trap();	/* a record does not survive a line */
	for (int i = 0; i < back.npairs; i++)
		if (strcmp(back.pairs[i].key, r.pairs[i].key) != 0 ||
		    strcmp(back.pairs[i].val, r.pairs[i].val) != 0)
			__builtin_trap();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t fbuf[2048];
	static struct pq q;
	static int ready;
	struct msg m;
	struct gre_hdr h;
	struct cm_msg cm;
	struct hdlc_dec d;
	uint32_t src;
	size_t plen;

	if (!ready) {
		log_init("fuzz", false, LOG_LEVEL_LOW);
		pq_init(&q, 300, 300, true, false, 64, 1 << 16);
		ready = 1;
	}
	if (size < 1)
		return 0;
	switch (data[0] % 8) {
	case 0:
		msg_decode(data + 1, size - 1, &m);
		break;
	case 1:
		gre_decode(data + 1, size - 1, &h);
		gre_ip4_strip(data + 1, size - 1, &src, &plen);
		break;
	case 2:
		hdlc_dec_init(&d, fbuf, sizeof(fbuf), data[0] & 0x80);
		hdlc_dec_feed(&d, data + 1, size - 1, on_frame, NULL);
		break;
	case 3:
		fuzz_ipc(data + 1, size - 1, &cm);
		break;
	case 4:
		fuzz_pq(&q, data + 1, size - 1);
		break;
	case 5:
		fuzz_accm(data + 1, size - 1);
		break;
	case 6:
		fuzz_status(data + 1, size - 1);
		break;
	default:
		fuzz_ctrl(data + 1, size - 1);
		break;
	}
	return 0;
}
