// SPDX-License-Identifier: GPL-2.0-or-later
/*
 * The pure parts of pptp --diagnose (diagnose_int.h): the findings and
 * the verdict's choice of cause and fix, JSON strings, the path MTU's
 * words, our LCP Configure-Request and the PPP frames that come back.
 * No I/O; tests/check_diagnose.c.
 */
#include "diagnose_int.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

void
diag_fail(struct diag_finding *f, const char *name, int status,
    const char *fix, const char *fmt, ...)
{
	va_list ap;

	if (f->failed != NULL)
		return;
	f->failed = name;
	f->status = status;
	va_start(ap, fmt);
	vsnprintf(f->cause, sizeof(f->cause), fmt, ap);
	va_end(ap);
	snprintf(f->fix, sizeof(f->fix), "%s", fix);
}

void
diag_add_missing(struct diag_finding *f, const char *what, const char *fix)
{
	size_t n = strlen(f->missing), m = strlen(f->missing_fix);

	snprintf(f->missing + n, sizeof(f->missing) - n, "%s%s",
	    n ? ", " : "", what);
	snprintf(f->missing_fix + m, sizeof(f->missing_fix) - m, "%s%s",
	    m ? "; " : "", fix);
}

int
diag_verdict(struct diag_finding *f, const char *server, char *cause,
    size_t causesz, char *fix, size_t fixsz)
{
	bool ok = f->failed == NULL && f->missing[0] == '\0';

	if (ok) {
		snprintf(cause, causesz, "every stage passed: %s "
		    "answers as a PPTP server, takes a call, and GRE passes "
		    "both ways", server);
		snprintf(fix, fixsz, "nothing to fix on the way; what "
		    "remains is pppd's: the user name and password the "
		    "server expects (MS-CHAP v2) and MPPE (require-mppe-128)");
		return PPTP_EXIT_OK;
	}
	if (f->failed == NULL) {
		f->status = PPTP_EXIT_DIAG_LOCAL;
		snprintf(cause, causesz, "the way to %s works (every "
		    "network stage passed), but this machine cannot run the "
		    "tunnel yet: it lacks %s", server, f->missing);
		snprintf(fix, fixsz, "%s", f->missing_fix);
	} else if (f->missing[0] != '\0') {
		snprintf(cause, causesz, "%s; besides, this machine "
		    "lacks %s", f->cause, f->missing);
		snprintf(fix, fixsz, "%s; and %s", f->fix, f->missing_fix);
	} else {
		snprintf(cause, causesz, "%s", f->cause);
		snprintf(fix, fixsz, "%s", f->fix);
	}
	return f->status;
}

const char *
diag_json_char(unsigned char c, char out[7])
{
	static const char hex[] = "0123456789abcdef";

	if (c == '"' || c == '\\') {
		out[0] = '\\';
		out[1] = (char)c;
		out[2] = '\0';
	} else if (c < 0x20 || c >= 0x7f) {
		memcpy(out, "\\u00", 4);
		out[4] = hex[c >> 4];
		out[5] = hex[c & 0xf];
		out[6] = '\0';
	} else {
		out[0] = (char)c;
		out[1] = '\0';
	}
	return out;
}

void
diag_mtu_words(int mtu, char *out, size_t outsz)
{
	int hdr = 20 + 16 + 4;	/* IPv4 only: 20 bytes of IP header */

	if (mtu >= 576)
		snprintf(out, outsz, "path MTU %d: pppd mtu and mru of at "
		    "most %d keep GRE unfragmented (%d - IP 20 - GRE 16 - "
		    "PPP 4; with MPPE %d, its 4 more)", mtu, mtu - hdr, mtu,
		    mtu - hdr - 4);
	else
		snprintf(out, outsz, "path MTU unknown");
}

void
diag_lcp_confreq(uint8_t p[DIAG_LCP_REQ_LEN], uint8_t id, uint32_t magic)
{
	/* ff 03, LCP, Configure-Request, id, length 10, Magic-Number */
	p[0] = 0xff;
	p[1] = 0x03;
	p[2] = DIAG_LCP_PROTO >> 8;
	p[3] = DIAG_LCP_PROTO & 0xff;
	p[4] = 1;
	p[5] = id;
	p[6] = 0;
	p[7] = 10;
	p[8] = 5;
	p[9] = 6;
	p[10] = (uint8_t)(magic >> 24);
	p[11] = (uint8_t)(magic >> 16);
	p[12] = (uint8_t)(magic >> 8);
	p[13] = (uint8_t)magic;
}

void
diag_ppp_parse(const uint8_t *p, size_t n, uint32_t magic,
    struct diag_ppp *out)
{
	memset(out, 0, sizeof(*out));
	out->kind = DIAG_PPP_SHORT;
	if (n >= 2 && p[0] == 0xff && p[1] == 0x03) {
		p += 2;
		n -= 2;
	}
	if (n == 0)
		return;
	if (p[0] & 1) {
		out->proto = p[0];
		p++;
		n--;
	} else if (n >= 2) {
		out->proto = (unsigned)p[0] << 8 | p[1];
		p += 2;
		n -= 2;
	} else {
		return;
	}
	if (out->proto != DIAG_LCP_PROTO || n < 4) {
		out->kind = DIAG_PPP_OTHER;
		return;
	}
	out->code = p[0];
	out->id = p[1];
	switch (p[0]) {
	case 1:
		if (n >= 10 && p[4] == 5 && p[5] == 6 &&
		    ((uint32_t)p[6] << 24 | (uint32_t)p[7] << 16 |
		    (uint32_t)p[8] << 8 | p[9]) == magic)
			out->kind = DIAG_LCP_ECHOED;	/* ours, sent back */
		else
			out->kind = DIAG_LCP_REQUEST;
		break;
	case 2:
	case 3:
	case 4:
		out->kind = DIAG_LCP_REPLY;
		break;
	default:
		out->kind = DIAG_LCP_OTHER;
		break;
	}
}
