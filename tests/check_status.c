// SPDX-License-Identifier: GPL-2.0-or-later
/* The status page's sequence count and the answer's lines (status.h). */
#include "status.h"

#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "check_status_json.h"
#include "check_suites.h"

/* Every byte but NUL survives a line and comes back as it went. */
START_TEST(test_line_round_trip_every_byte)
{
	char value[256], key[32], got[512], kind[16];
	struct status_line l;
	struct status_reader r;

	for (int i = 1; i < 256; i++)
		value[i - 1] = (char)i;
	value[255] = '\0';
	status_line_init(&l, "conn");
	status_line_str(&l, "peer_host", value);
	status_line_u64(&l, "calls", 18446744073709551615ULL);
	ck_assert(!l.cut);
	ck_assert_ptr_null(strchr(l.text, '\n'));
	ck_assert(status_kind(&r, l.text, kind, sizeof(kind)));
	ck_assert_str_eq(kind, "conn");
	ck_assert(status_next(&r, key, sizeof(key), got, sizeof(got)));
	ck_assert_str_eq(key, "peer_host");
	ck_assert_str_eq(got, value);
	ck_assert(status_next(&r, key, sizeof(key), got, sizeof(got)));
	ck_assert_str_eq(got, "18446744073709551615");
	ck_assert(!status_next(&r, key, sizeof(key), got, sizeof(got)));
	ck_assert(!r.bad);
}
END_TEST

/* Malformed pairs are refused, never read past. */
START_TEST(test_line_malformed)
{
	static const char *const bad[] = {
		"call x", "call =1", "call x=%", "call x=%4", "call x=%zz",
		"call x=%00", "call x=a\"b", "call x=1  y=2", "call x=1 y",
		"call kkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkkk=1",
	};
	char key[32], got[64], kind[16];
	struct status_reader r;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ck_assert(status_kind(&r, bad[i], kind, sizeof(kind)));
		while (status_next(&r, key, sizeof(key), got, sizeof(got)))
			;
		ck_assert_msg(r.bad, "accepted: %s", bad[i]);
	}
	ck_assert(!status_kind(&r, "", kind, sizeof(kind)));
	ck_assert(!status_kind(&r, "averyveryverylongkind x=1", kind,
	    sizeof(kind)));
}
END_TEST

/* A value too long for the reader's buffer is refused, not cut. */
START_TEST(test_line_value_too_long_for_reader)
{
	char key[32], got[4], kind[16];
	struct status_reader r;

	ck_assert(status_kind(&r, "call x=abcd", kind, sizeof(kind)));
	ck_assert(!status_next(&r, key, sizeof(key), got, sizeof(got)));
	ck_assert(r.bad);
}
END_TEST

/* A pair that does not fit is left out; the line stays whole. */
START_TEST(test_line_full_is_cut)
{
	char big[2000];
	struct status_line l;

	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	status_line_init(&l, "call");
	status_line_u64(&l, "n", 1);
	status_line_str(&l, "big", big);
	ck_assert_uint_eq(l.cut, 1);
	ck_assert_str_eq(l.text, "call n=1 cut=1");
}
END_TEST

/*
 * Once a pair is left out so is every later one, even one that would
 * fit: the marker stays last and counts them; the reader reports the
 * count and keeps the marker out of the figures.
 */
START_TEST(test_line_cut_says_so)
{
	char val[100];
	struct status_line l;
	struct status_rec r;
	int i;

	memset(val, 'v', sizeof(val) - 1);
	val[sizeof(val) - 1] = '\0';
	status_line_init(&l, "conn");
	for (i = 0; l.cut == 0; i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%d", i);
		status_line_str(&l, key, val);
		ck_assert_uint_lt(l.len, sizeof(l.text));
	}
	status_line_u64(&l, "n", 1);
	status_line_str(&l, "s", "x");
	ck_assert_uint_eq(l.cut, 3);
	ck_assert_uint_eq(strlen(l.text), l.len);
	ck_assert_str_eq(l.text + l.len - 6, " cut=3");
	ck_assert(status_parse(l.text, &r));
	ck_assert_str_eq(r.kind, "conn");
	ck_assert_int_eq(r.npairs, i - 1);
	ck_assert_uint_eq(r.cut, 3);
	ck_assert_ptr_null(status_get(&r, "cut"));
	ck_assert_ptr_null(status_get(&r, "n"));
	ck_assert_str_eq(status_get(&r, "k0"), val);
}
END_TEST

/* The marker always fits: the longest pair that goes in leaves room. */
START_TEST(test_line_cut_marker_always_fits)
{
	char val[1100];
	struct status_line l;

	for (size_t n = 1000; n < 1030; n++) {
		memset(val, 'v', n);
		val[n] = '\0';
		status_line_init(&l, "call");
		status_line_str(&l, "k", val);
		status_line_str(&l, "j", "1");
		ck_assert_uint_lt(l.len, sizeof(l.text));
		ck_assert_uint_eq(strlen(l.text), l.len);
		ck_assert_ptr_nonnull(strstr(l.text, " cut="));
	}
}
END_TEST

/* A value longer than a line is left out whole, never cut short. */
START_TEST(test_line_value_longer_than_a_line)
{
	char val[4000];
	struct status_line l;

	memset(val, '%', sizeof(val) - 1);
	val[sizeof(val) - 1] = '\0';
	status_line_init(&l, "call");
	status_line_str(&l, "k", val);
	ck_assert_str_eq(l.text, "call cut=1");
}
END_TEST

/* More pairs than a record holds: the rest are counted as cut. */
START_TEST(test_parse_more_pairs_than_held)
{
	struct status_line l;
	struct status_rec r;

	status_line_init(&l, "call");
	for (int i = 0; i < STATUS_MAX_PAIRS + 5; i++) {
		char key[16];

		snprintf(key, sizeof(key), "k%d", i);
		status_line_u64(&l, key, (uint64_t)i);
	}
	ck_assert_uint_eq(l.cut, 0);
	ck_assert(status_parse(l.text, &r));
	ck_assert_int_eq(r.npairs, STATUS_MAX_PAIRS);
	ck_assert_uint_eq(r.cut, 5);
	ck_assert_str_eq(status_get(&r, "k47"), "47");
	ck_assert_ptr_null(status_get(&r, "k48"));
	/* a writer's marker beyond the record's room still counts */
	strcat(l.text, " cut=2");
	ck_assert(status_parse(l.text, &r));
	ck_assert_uint_eq(r.cut, 7);
	ck_assert(!status_parse("call x=1 y", &r));
}
END_TEST

/*
 * The figures' names are pptp --status --json's keys, which pptp(8)
 * documents: they stay, in this order.  Their words are the SIGUSR1
 * dump's, which pptp(8) documents too.
 */
START_TEST(test_figures_names_and_words)
{
	static const char *const names[STATUS_NFIGS] = {
		"rx_packets", "rx_bytes", "tx_packets", "tx_bytes",
		"rx_lost", "rx_reordered", "rx_late", "rx_over_window",
		"rx_invalid", "rx_truncated", "rx_foreign", "rx_wrong_call",
		"rx_pppd_slow", "rx_socket_overflow", "rx_resyncs",
		"tx_failed", "tx_oversize", "tx_bad_fcs", "rtt_ms",
		"reorder_wait_ms",
	};

	for (int i = 0; i < STATUS_NFIGS; i++) {
		ck_assert_str_eq(status_figure[i].name, names[i]);
		ck_assert_ptr_nonnull(status_figure[i].words);
		for (int j = 0; j < i; j++)
			ck_assert_str_ne(status_figure[i].words,
			    status_figure[j].words);
	}
	ck_assert_str_eq(STATUS_WORDS(rx_socket_overflow),
	    "rx socket overflow");
	ck_assert_str_eq(STATUS_WORDS(rx_reordered), "rx buffered");
	ck_assert_str_eq(STATUS_WORDS(tx_packets), "tx sent");
	ck_assert_str_eq(STATUS_WORDS(rtt_ms), "round trip");
}
END_TEST

/* Every figure goes out by its name and comes back with its value. */
START_TEST(test_figures_line_round_trip)
{
	struct status_figures f;
	struct status_line l;
	struct status_rec r;

	memset(&f, 0, sizeof(f));
	f.rx_packets = 18446744073709551615ULL;
	f.rx_socket_overflow = 12;
	f.rtt_ms = 4294967295U;
	f.reorder_wait_ms = 300;
	status_line_init(&l, "call");
	status_line_figures(&l, &f);
	ck_assert_uint_eq(l.cut, 0);
	ck_assert(status_parse(l.text, &r));
	ck_assert_int_eq(r.npairs, STATUS_NFIGS);
	for (int i = 0; i < STATUS_NFIGS; i++) {
		char want[24];

		ck_assert_str_eq(r.pairs[i].key, status_figure[i].name);
		snprintf(want, sizeof(want), "%llu", (unsigned long long)
		    status_figure_value(&f, (enum status_fig)i));
		ck_assert_str_eq(r.pairs[i].val, want);
	}
	ck_assert_str_eq(status_get(&r, "rx_packets"),
	    "18446744073709551615");
	ck_assert_str_eq(status_get(&r, "rx_socket_overflow"), "12");
	ck_assert_str_eq(status_get(&r, "rtt_ms"), "4294967295");
	ck_assert_str_eq(status_get(&r, "reorder_wait_ms"), "300");
}
END_TEST

/*
 * A gateway hands its page to whichever call manager it joins, maybe
 * one an older pptp started: the page keeps the layout it had.
 */
START_TEST(test_pub_layout)
{
	ck_assert_uint_eq(offsetof(struct gw_pub, fig), 16);
	ck_assert_uint_eq(offsetof(struct gw_pub, fig.rx_packets), 16);
	ck_assert_uint_eq(offsetof(struct gw_pub, fig.rx_socket_overflow),
	    16 + 13 * 8);
	ck_assert_uint_eq(offsetof(struct gw_pub, fig.rtt_ms), 160);
	ck_assert_uint_eq(offsetof(struct gw_pub, fig.reorder_wait_ms), 164);
	ck_assert_uint_eq(offsetof(struct gw_pub, last_ms), 168);
	ck_assert_uint_eq(offsetof(struct gw_pub, last), 176);
	ck_assert_uint_eq(sizeof(struct gw_pub), 336);
}
END_TEST

START_TEST(test_pub_sequence)
{
	struct gw_pub p = { 0 }, out;

	status_pub_begin(&p);
	p.fig.rx_packets = 7;
	ck_assert(!status_pub_read(&p, &out));	/* half written */
	status_pub_end(&p);
	ck_assert_uint_eq(p.seq % 2, 0);
	ck_assert(status_pub_read(&p, &out));
	ck_assert_uint_eq(out.fig.rx_packets, 7);
}
END_TEST

/* Numbers are digits alone, no sign, no room, at most UINT64_MAX. */
START_TEST(test_number_digits_alone)
{
	uint64_t v = 7;

	ck_assert(status_number("0", &v));
	ck_assert_uint_eq(v, 0);
	ck_assert(status_number("18446744073709551615", &v));
	ck_assert_uint_eq(v, 18446744073709551615ULL);
	/* a leading zero is no JSON number: refused */
	ck_assert(!status_number("00000000000000000001", NULL));
	ck_assert(!status_number("00", NULL));
	ck_assert(!status_number("0012", NULL));
	ck_assert(!status_number("01", NULL));
	ck_assert(status_number("10", &v));
	ck_assert_uint_eq(v, 10);
	ck_assert(!status_number("18446744073709551616", NULL));
	ck_assert(!status_number("100000000000000000000", NULL));
	ck_assert(!status_number("", NULL));
	ck_assert(!status_number("-1", NULL));
	ck_assert(!status_number("+1", NULL));
	ck_assert(!status_number(" 1", NULL));
	ck_assert(!status_number("1x", NULL));
	ck_assert(!status_number("0x10", NULL));
}
END_TEST

/* What a call manager sends passes; anything else is named. */
START_TEST(test_check_lines)
{
	static const struct {
		const char	*line;
		const char	*why;	/* NULL: passes */
	} t[] = {
		{ "manager version=1 server=192.0.2.1 host=a%20b pid=4 "
		  "netns=5 since=6 share=auto one_call=0", NULL },
		{ "conn id=1 state=up since=1 local=192.0.2.2 peer_host=%1B "
		  "peer_vendor=x firmware=258 max_channels=8 ncalls=1", NULL },
		{ "call conn=1 state=up since=1 call_id=2 peer_call_id=3 "
		  "speed=4 peer_window=5 pppd=6 rx_packets=7 rtt_ms=8 "
		  "reorder_wait_ms=9 last_warning=x%0Ay last_warning_at=1",
		  NULL },
		{ "call conn=1 cut=3", NULL },
		{ "end", NULL },
		{ "end x=1", "an unknown key x in a end line" },
		{ "calls x=1", "a line of an unknown kind" },
		{ "conn id=1 calls=1", "an unknown key calls in a conn line" },
		{ "conn id=1 rx_packets=1",
		  "an unknown key rx_packets in a conn line" },
		{ "conn id=1 ca%1Bll=1", "an unknown key ca?1Bll in a conn line" },
		{ "call conn=1 conn=2", "conn twice in a call line" },
		{ "manager pid=-1", "pid is not a number in a manager line" },
		{ "manager pid=", "pid is not a number in a manager line" },
		{ "manager pid=0012", "pid is not a number in a manager line" },
		{ "call conn=1 call_id=007",
		  "call_id is not a number in a call line" },
		{ "call conn=1 rx_lost=1.5",
		  "rx_lost is not a number in a call line" },
	};
	struct status_rec r;
	char why[128];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_msg(status_parse(t[i].line, &r), "%s", t[i].line);
		why[0] = '\0';
		if (t[i].why == NULL) {
			ck_assert_msg(status_check(&r, why, sizeof(why)),
			    "%s: %s", t[i].line, why);
		} else {
			ck_assert_msg(!status_check(&r, why, sizeof(why)),
			    "%s", t[i].line);
			ck_assert_str_eq(why, t[i].why);
		}
	}
}
END_TEST

/* A line of more pairs than a record holds never passes: a key is then
   repeated or unknown among those held. */
START_TEST(test_check_more_pairs_than_held)
{
	struct status_line l;
	struct status_rec r;
	char why[128];

	status_line_init(&l, "call");
	for (int i = 0; i < STATUS_MAX_PAIRS + 5; i++)
		status_line_u64(&l, "conn", 1);
	ck_assert(status_parse(l.text, &r));
	ck_assert(!status_check(&r, why, sizeof(why)));
	ck_assert_str_eq(why, "conn twice in a call line");
}
END_TEST

/* The checker itself: what it must take, and what it must not. */
START_TEST(test_json_checker)
{
	static const char *const good[] = { "{}", "[]", "0", "-1.5e+3",
	    "{\"a\":[1,\"x\\u00ff\\n\",{}],\"b\":null}", " true " };
	static const char *const bad[] = { "{,\"a\":1}", "{\"a\":0012}",
	    "{\"a\":1,}", "\"\x01\"", "\"\xc3\xa9\"", "{\"a\" 1}", "01",
	    "\"\\x\"", "{} {}", "", "[1 2]", "-", "1." };

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		ck_assert_msg(json_valid(good[i]), "%s", good[i]);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(!json_valid(bad[i]), "%s", bad[i]);
}
END_TEST

/* status_json's members, in braces: valid JSON. */
static bool
json_of(const char *line, const char *skip, char *obj, size_t objsz)
{
	static struct status_rec r;
	char out[STATUS_JSON_LEN];

	ck_assert_msg(status_parse(line, &r), "%s", line);
	if (!status_json(&r, skip, out, sizeof(out)))
		return false;
	snprintf(obj, objsz, "{%s}", out);
	return json_valid(obj);
}

/* Numbers where a number is due, written afresh; strings otherwise. */
START_TEST(test_json_members)
{
	static const struct {
		const char	*line, *skip, *json;
	} t[] = {
		{ "call conn=1 state=up rx_packets=7 call_id=18446744073709551615",
		  "conn", "{\"state\":\"up\",\"rx_packets\":7,"
		  "\"call_id\":18446744073709551615}" },
		/* the manager's line with its version alone: no stray comma */
		{ "manager version=1", "version", "{}" },
		{ "end", NULL, "{}" },
		/* unchecked: leading zeros, a number key that is text */
		{ "manager pid=0012 netns=00 since=-1 version=1", "version",
		  "{\"pid\":\"0012\",\"netns\":\"00\",\"since\":\"-1\"}" },
		{ "conn id=1 state=123 local=0", NULL,
		  "{\"id\":1,\"state\":\"123\",\"local\":\"0\"}" },
		/* an unknown kind or key: strings */
		{ "calls x=1", NULL, "{\"x\":\"1\"}" },
		{ "call conn=1 cut=2", NULL, "{\"conn\":1,\"cut\":2}" },
		{ "call conn=1 cut=2", "conn", "{\"cut\":2}" },
		/* keys are not encoded: any byte but space and = */
		{ "conn peer_host=%22%5C%7F%FF%01 a\"\\\xff\x01" "b=%0A", NULL,
		  "{\"peer_host\":\"\\\"\\\\\\u007f\\u00ff\\u0001\","
		  "\"a\\\"\\\\\\u00ff\\u0001b\":\"\\u000a\"}" },
	};
	char obj[STATUS_JSON_LEN + 2];

	for (size_t i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		ck_assert_msg(json_of(t[i].line, t[i].skip, obj, sizeof(obj)),
		    "%s: %s", t[i].line, obj);
		ck_assert_str_eq(obj, t[i].json);
	}
}
END_TEST

/*
 * Whatever a line holds, every byte in keys and values, of any kind, as
 * long as a line can be: the members are valid JSON, and always fit.
 */
START_TEST(test_json_always_valid)
{
	static const char *const kinds[] = { "manager", "conn", "call", "x" };
	char obj[STATUS_JSON_LEN + 2], key[8], val[4];
	struct status_line l;

	for (int k = 0; k < 4; k++) {
		for (int b = 1; b < 256; b += 48) {
			status_line_init(&l, kinds[k]);
			for (int c = b; c < b + 48 && c < 256; c++) {
				/* a key holds any byte but space and = */
				snprintf(key, sizeof(key), "k%c", c == ' ' ||
				    c == '=' ? 'x' : (char)c);
				val[0] = (char)c;
				val[1] = c % 3 == 0 ? '0' : '\0';
				val[2] = '\0';
				status_line_str(&l, c % 2 ? key : "pid", val);
			}
			ck_assert_msg(json_of(l.text, NULL, obj, sizeof(obj)),
			    "%s: %s", l.text, obj);
		}
		/* the longest line: every value as long as it goes */
		status_line_init(&l, kinds[k]);
		for (int c = 0; c < 40; c++) {
			char big[STATUS_TEXT_LEN];

			memset(big, 0x7f + c, sizeof(big) - 1);
			big[sizeof(big) - 1] = '\0';
			snprintf(key, sizeof(key), "\x01%c", 'a' + c % 26);
			status_line_str(&l, key, big);
		}
		ck_assert_msg(json_of(l.text, NULL, obj, sizeof(obj)), "%s",
		    l.text);
	}
}
END_TEST

Suite *
status_suite(void)
{
	Suite *s = suite_create("status");
	TCase *tc = tcase_create("lines");

	tcase_add_test(tc, test_line_round_trip_every_byte);
	tcase_add_test(tc, test_line_malformed);
	tcase_add_test(tc, test_line_value_too_long_for_reader);
	tcase_add_test(tc, test_line_full_is_cut);
	tcase_add_test(tc, test_line_cut_says_so);
	tcase_add_test(tc, test_line_cut_marker_always_fits);
	tcase_add_test(tc, test_line_value_longer_than_a_line);
	tcase_add_test(tc, test_parse_more_pairs_than_held);
	tcase_add_test(tc, test_figures_names_and_words);
	tcase_add_test(tc, test_figures_line_round_trip);
	tcase_add_test(tc, test_pub_sequence);
	tcase_add_test(tc, test_pub_layout);
	tcase_add_test(tc, test_number_digits_alone);
	tcase_add_test(tc, test_check_lines);
	tcase_add_test(tc, test_check_more_pairs_than_held);
	tcase_add_test(tc, test_json_checker);
	tcase_add_test(tc, test_json_members);
	tcase_add_test(tc, test_json_always_valid);
	suite_add_tcase(s, tc);
	return s;
}
