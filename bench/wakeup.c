/*
 * wakeup.c - the floor under any sampler's CPU per sample on this machine:
 * a loop that only sleeps to absolute 1 ms deadlines, as pyrometer's does,
 * and reports its own CPU time per wake-up. Built and run by bench/run.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static unsigned long long ns(clockid_t c)
{
	struct timespec t;

	clock_gettime(c, &t);
	return (unsigned long long)t.tv_sec * 1000000000ull + (unsigned long long)t.tv_nsec;
}

int main(int argc, char **argv)
{
	unsigned n = argc > 1 ? (unsigned)atoi(argv[1]) : 2000, i;
	unsigned long long next = ns(CLOCK_MONOTONIC), cpu0 = ns(CLOCK_PROCESS_CPUTIME_ID);

	for (i = 0; i < n; i++) {
		struct timespec ts;

		next += 1000000ull;
		ts.tv_sec = (time_t)(next / 1000000000ull);
		ts.tv_nsec = (long)(next % 1000000000ull);
		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
	}
	printf("%.3f\n", (double)(ns(CLOCK_PROCESS_CPUTIME_ID) - cpu0) / 1e3 / n);
	return 0;
}
