/*
 * check.h - a tiny C test harness.
 *
 * TEST(name) defines a case; main() comes from CHECK_MAIN(). Every case runs
 * in its own forked child, so a crash fails that case and the run goes on.
 * Failed assertions print both values (after libuv's ASSERT_EQ). The run
 * ends with "N passed, N failed".
 */
#ifndef PYRO_TEST_CHECK_H
#define PYRO_TEST_CHECK_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

typedef void (*check_fn)(void);
struct check_case {
	const char *name;
	check_fn fn;
};

#define CHECK_MAX_CASES 256
static struct check_case check_cases[CHECK_MAX_CASES];
static int check_ncases;

#define TEST(name)                                                              \
	static void test_##name(void);                                          \
	__attribute__((constructor)) static void register_##name(void)          \
	{                                                                       \
		if (check_ncases < CHECK_MAX_CASES)                             \
			check_cases[check_ncases++] = (struct check_case){ #name, test_##name }; \
	}                                                                       \
	static void test_##name(void)

#define CHECK_FAIL(...)                                                         \
	do {                                                                    \
		fprintf(stderr, "  %s:%d: ", __FILE__, __LINE__);               \
		fprintf(stderr, __VA_ARGS__);                                   \
		fputc('\n', stderr);                                            \
		exit(1);                                                        \
	} while (0)

#define ASSERT_EQ(a, b)                                                         \
	do {                                                                    \
		int64_t a_ = (int64_t)(a), b_ = (int64_t)(b);                   \
		if (a_ != b_)                                                   \
			CHECK_FAIL("ASSERT_EQ(%s, %s): %" PRId64 " != %" PRId64, #a, #b, a_, b_); \
	} while (0)

#define ASSERT_TRUE(c)                                                          \
	do {                                                                    \
		if (!(c))                                                       \
			CHECK_FAIL("ASSERT_TRUE(%s) failed", #c);               \
	} while (0)

#define ASSERT_STR_EQ(a, b)                                                     \
	do {                                                                    \
		const char *a_ = (a), *b_ = (b);                                \
		if (!a_ || !b_ || strcmp(a_, b_) != 0)                          \
			CHECK_FAIL("ASSERT_STR_EQ(%s, %s): \"%s\" != \"%s\"", #a, #b, a_ ? a_ : "(null)", b_ ? b_ : "(null)"); \
	} while (0)

#define ASSERT_CONTAINS(hay, needle)                                            \
	do {                                                                    \
		const char *h_ = (hay), *n_ = (needle);                         \
		if (!h_ || !strstr(h_, n_))                                     \
			CHECK_FAIL("expected \"%s\" in \"%s\"", n_, h_ ? h_ : "(null)"); \
	} while (0)

#define CHECK_MAIN()                                                            \
	int main(int argc, char **argv)                                         \
	{                                                                       \
		int i, passed = 0, failed = 0;                                  \
		for (i = 0; i < check_ncases; i++) {                            \
			int status = 0;                                         \
			pid_t pid;                                              \
			if (argc > 1 && strcmp(argv[1], check_cases[i].name))  \
				continue;                                       \
			fflush(NULL);                                           \
			pid = fork();                                           \
			if (pid == 0) {                                         \
				check_cases[i].fn();                            \
				exit(0);                                        \
			}                                                       \
			waitpid(pid, &status, 0);                               \
			if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {    \
				passed++;                                       \
			} else {                                                \
				failed++;                                       \
				fprintf(stderr, "FAIL %s%s\n", check_cases[i].name, \
					WIFSIGNALED(status) ? " (crashed)" : ""); \
			}                                                       \
		}                                                               \
		printf("%d passed, %d failed\n", passed, failed);               \
		return failed ? 1 : 0;                                          \
	}

#endif
