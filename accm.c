// SPDX-License-Identifier: GPL-2.0-or-later
/* LCP snooping for pppd's receive ACCM: see include/accm.h. */
#include "accm.h"

#include "hdlc.h"

#define LCP_CONFREQ	1
#define LCP_CONFACK	2
#define LCP_TERMREQ	5
#define LCP_TERMACK	6
#define LCP_OPT_ACCM	2

void
accm_init(struct accm_snoop *s)
{
	s->now = HDLC_ACCM_ALL;
	s->acked = HDLC_ACCM_ALL;
	s->have_acked = false;
}

bool
accm_is_lcp(const uint8_t *f, size_t len)
{
	return len >= 4 && f[0] == 0xff && f[1] == 0x03 && f[2] == 0xc0 &&
	    f[3] == 0x21;
}

/* LCP's code, or 0 if the frame is not a whole LCP packet header. */
static uint8_t
lcp_code(const uint8_t *f, size_t len)
{
	return accm_is_lcp(f, len) && len >= 8 ? f[4] : 0;
}

/*
 * The ACCM option of a Configure-Ack, or all ones when it has none (the
 * default).  Options beyond the packet's length field, or malformed, end
 * the walk: then the default stands, which is always safe.
 */
static uint32_t
ack_accm(const uint8_t *f, size_t len)
{
	size_t end = 4 + ((size_t)f[6] << 8 | f[7]);
	uint32_t accm = HDLC_ACCM_ALL;

	if (end > len)
		end = len;
	for (size_t i = 8; i + 2 <= end && f[i + 1] >= 2 &&
	    i + f[i + 1] <= end; i += f[i + 1]) {
		if (f[i] == LCP_OPT_ACCM && f[i + 1] == 6)
			accm = (uint32_t)f[i + 2] << 24 |
			    (uint32_t)f[i + 3] << 16 |
			    (uint32_t)f[i + 4] << 8 | f[i + 5];
	}
	return accm;
}

/* LCP starts again or ends: everything escaped until it is open anew. */
static bool
restart(struct accm_snoop *s)
{
	bool changed = s->now != HDLC_ACCM_ALL;

	s->now = HDLC_ACCM_ALL;
	s->have_acked = false;
	return changed;
}

bool
accm_from_pppd(struct accm_snoop *s, const uint8_t *f, size_t len)
{
	uint32_t was = s->now;

	if (!accm_is_lcp(f, len)) {
		/* pppd speaks beyond LCP: LCP is open, the ACCM applies */
		if (s->have_acked)
			s->now = s->acked;
		return s->now != was;
	}
	switch (lcp_code(f, len)) {
	case LCP_CONFREQ:
	case LCP_TERMREQ:
	case LCP_TERMACK:
		return restart(s);
	default:
		return false;
	}
}

bool
accm_from_server(struct accm_snoop *s, const uint8_t *f, size_t len)
{
	switch (lcp_code(f, len)) {
	case LCP_CONFACK:
		s->acked = ack_accm(f, len);
		s->have_acked = true;
		return false;
	case LCP_CONFREQ:
		/*
		 * Before LCP is open this is the server's half of the
		 * negotiation, and the Ack we hold stands; once open it
		 * starts a new negotiation.
		 */
		return s->now != HDLC_ACCM_ALL ? restart(s) : false;
	case LCP_TERMREQ:
	case LCP_TERMACK:
		return restart(s);
	default:
		return false;
	}
}
