// SPDX-License-Identifier: GPL-2.0-or-later
/* Option number parsing and log escaping. */
#include "util.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check_suites.h"

START_TEST(test_parse_uint)
{
	unsigned long v = 99;

	ck_assert_int_eq(parse_uint("--loglevel", "2", 0, 2, &v), 0);
	ck_assert_uint_eq(v, 2);
	ck_assert_int_eq(parse_uint("--rtmark", "4294967295", 0, 4294967295UL,
	    &v), 0);
	ck_assert_uint_eq(v, 4294967295UL);
	ck_assert_int_eq(parse_uint("--window", "0010", 1, 100, &v), 0);
	ck_assert_uint_eq(v, 10);
}
END_TEST

START_TEST(test_parse_uint_rejects)
{
	static const char *const bad[] = {
		"", "3", "-1", "+1", " 1", "1 ", "1x", "0x1", "abc",
		"99999999999999999999999999", "1.0",
	};
	unsigned long v = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse_uint("--loglevel", bad[i], 0, 2, &v) == -1,
		    "accepted '%s'", bad[i]);
	ck_assert_uint_eq(v, 42);
}
END_TEST

START_TEST(test_parse_secs)
{
	static const struct { const char *in; uint64_t ms; } good[] = {
		{ "0.3", 300 }, { "10", 10000 }, { "0.01", 10 }, { ".5", 500 },
		{ "1.", 1000 }, { "1.234", 1234 }, { "007", 7000 },
		/* as the classic client read them (strtod) */
		{ "1e0", 1000 }, { "1e1", 10000 }, { "1.0001", 1000 },
		{ "1,5", 1000 }, { "2s", 2000 }, { "0.0105", 11 },
	};
	uint64_t ms;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		ck_assert_int_eq(parse_secs_ms("--timeout", good[i].in, 10,
		    10000, &ms), 0);
		ck_assert_uint_eq(ms, good[i].ms);
	}
}
END_TEST

START_TEST(test_parse_secs_rejects)
{
	static const char *const bad[] = {
		"20", "10.001", "0.009", "0", "", ".", "-1", "1e2", "abc",
		"nan", "inf", "-inf", "s", "99999999999999999999999999999",
	};
	uint64_t ms = 42;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		ck_assert_msg(parse_secs_ms("--timeout", bad[i], 10, 10000,
		    &ms) == -1, "accepted '%s'", bad[i]);
	ck_assert_uint_eq(ms, 42);
}
END_TEST

START_TEST(test_parse_lead_long)
{
	static const struct {
		const char *in; int base; long long v;
	} good[] = {
		{ "10", 10, 10 }, { "10s", 10, 10 }, { "-1", 10, -1 },
		{ "0x10", 16, 16 }, { "0x10", 10, 0 }, { "010", 10, 10 },
		{ "4294967295", 10, 4294967295LL }, { "7 days", 10, 7 },
	};
	static const char *const bad[] = { "", "abc", "-", "s10", " 1",
	    "+1", "--1", "99999999999999999999999" };
	long long v;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		v = 42;
		ck_assert_int_eq(parse_lead_long("--x", good[i].in,
		    good[i].base, &v), 0);
		ck_assert_int_eq(v, good[i].v);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		v = 42;
		ck_assert_msg(parse_lead_long("--x", bad[i], 10, &v) == -1,
		    "accepted '%s'", bad[i]);
		ck_assert_int_eq(v, 42);
	}
}
END_TEST

START_TEST(test_log_escape)
{
	char out[16];

	ck_assert_str_eq(log_escape("plain", out, sizeof(out)), "plain");
	ck_assert_str_eq(log_escape("a\nb\x01", out, sizeof(out)),
	    "a\\x0ab\\x01");
	ck_assert_str_eq(log_escape("\\", out, sizeof(out)), "\\x5c");
	/* cut to fit, never a half escape */
	ck_assert_str_eq(log_escape("0123456789abcdefghij", out, sizeof(out)),
	    "0123456789abcde");
	ck_assert_str_eq(log_escape("0123456789abc\xff", out, sizeof(out)),
	    "0123456789abc");
}
END_TEST

START_TEST(test_now_ms_monotonic)
{
	uint64_t a = now_ms(), b = now_ms();

	ck_assert_uint_gt(a, 0);
	ck_assert_uint_ge(b, a);
}
END_TEST

START_TEST(test_sig_masks)
{
	sigset_t before, wait, now;

	sig_unblock_all();
	sig_block(&before, &wait, SIGTERM, SIGUSR1, 0);
	ck_assert_int_eq(sigismember(&before, SIGTERM), 0);
	ck_assert_int_eq(sigismember(&wait, SIGTERM), 0);
	sigprocmask(SIG_BLOCK, NULL, &now);
	ck_assert_int_eq(sigismember(&now, SIGTERM), 1);
	ck_assert_int_eq(sigismember(&now, SIGUSR1), 1);
	ck_assert_int_eq(sigismember(&now, SIGHUP), 0);
	/* blocked again: the wait mask still lets them through */
	sig_block(&before, &wait, SIGTERM, SIGHUP, 0);
	ck_assert_int_eq(sigismember(&before, SIGTERM), 1);
	ck_assert_int_eq(sigismember(&wait, SIGTERM), 0);
	ck_assert_int_eq(sigismember(&wait, SIGHUP), 0);
	ck_assert_int_eq(sigismember(&wait, SIGUSR1), 1);
	/* a wait mask alone changes nothing */
	sig_waitmask(&wait, SIGUSR1, 0);
	ck_assert_int_eq(sigismember(&wait, SIGUSR1), 0);
	ck_assert_int_eq(sigismember(&wait, SIGTERM), 1);
	sigprocmask(SIG_BLOCK, NULL, &now);
	ck_assert_int_eq(sigismember(&now, SIGUSR1), 1);
	sig_unblock_all();
	sigprocmask(SIG_BLOCK, NULL, &now);
	ck_assert_int_eq(sigismember(&now, SIGTERM), 0);
}
END_TEST

/* A dotted quad is its one address; a name's come each once, capped. */
/* fork_orphan's process is not ours: nothing of it to wait for. */
START_TEST(test_fork_orphan)
{
	pid_t me = getpid(), parent = 0;
	int p[2], r;

	ck_assert_int_eq(pipe(p), 0);
	r = fork_orphan();
	if (r == 0) {
		pid_t pp = getppid();

		(void)!write(p[1], &pp, sizeof(pp));
		_exit(0);
	}
	ck_assert_int_eq(r, 1);
	close(p[1]);
	ck_assert_int_eq(read(p[0], &parent, sizeof(parent)),
	    (int)sizeof(parent));
	close(p[0]);
	ck_assert_int_ne(parent, me);
	ck_assert_int_eq(waitpid(-1, NULL, WNOHANG), -1);
	ck_assert_int_eq(errno, ECHILD);
}
END_TEST

START_TEST(test_resolve_server)
{
	struct pptp_addr a[RESOLVE_MAX], want;
	int n;

	ck_assert_int_eq(resolve_server("192.0.2.7", a, RESOLVE_MAX), 1);
	ck_assert_int_eq(addr_pton(AF_INET, "192.0.2.7", &want), 0);
	ck_assert_int_eq(addr_eq(&a[0], &want), 1);
	/* the resolver's one entry a socket type: still one address */
	n = resolve_server("localhost", a, RESOLVE_MAX);
	ck_assert_int_ge(n, 1);
	for (int i = 0; i < n; i++) {
		ck_assert_int_eq(a[i].family, AF_INET);
		for (int j = 0; j < i; j++)
			ck_assert_int_eq(addr_eq(&a[i], &a[j]), 0);
	}
	a[1].family = AF_UNSPEC;
	ck_assert_int_eq(resolve_server("127.0.0.1", a, 1), 1);
	ck_assert_int_eq(addr_pton(AF_INET, "127.0.0.1", &want), 0);
	ck_assert_int_eq(addr_eq(&a[0], &want), 1);
	ck_assert_int_eq(addr_is_set(&a[1]), 0);
}
END_TEST

Suite *
util_suite(void)
{
	Suite *s = suite_create("util");
	TCase *tc = tcase_create("util");

	tcase_add_test(tc, test_parse_uint);
	tcase_add_test(tc, test_parse_uint_rejects);
	tcase_add_test(tc, test_parse_lead_long);
	tcase_add_test(tc, test_parse_secs);
	tcase_add_test(tc, test_parse_secs_rejects);
	tcase_add_test(tc, test_log_escape);
	tcase_add_test(tc, test_now_ms_monotonic);
	tcase_add_test(tc, test_sig_masks);
	tcase_add_test(tc, test_resolve_server);
	tcase_add_test(tc, test_fork_orphan);
	suite_add_tcase(s, tc);
	return s;
}
