/* Unit tests for /proc/PID/task parsing. */
#include "check.h"
#include "proc/task.h"

TEST(parses_state_after_tricky_comm)
{
	const char *text = "1234 (my (weird) prog) R 1 1234 1234 0 -1 4194560 100 0 0 0 57 12 0 0 20 0 1 0\n";
	struct proc_task_stat st;

	ASSERT_EQ(proc_task_stat_parse(text, strlen(text), &st), 0);
	ASSERT_EQ(st.state, 'R');
	ASSERT_EQ(st.utime, 57);
	ASSERT_EQ(st.stime, 12);
	ASSERT_EQ(st.ppid, 1);
	ASSERT_EQ(st.starttime, 0); /* the text stops before it */
}

/* The fields --subprocesses tells processes and execs apart by. */
TEST(parses_start_time_code_and_stack)
{
	const char *text = "77 (python3) S 76 77 77 0 -1 4194304 500 0 0 0 10 2 0 0 20 0 3 0 123456 9000000 "
			   "2000 18446744073709551615 94000000000000 94000000004096 140730000000000 0\n";
	struct proc_task_stat st;

	ASSERT_EQ(proc_task_stat_parse(text, strlen(text), &st), 0);
	ASSERT_EQ(st.ppid, 76);
	ASSERT_EQ(st.starttime, 123456);
	ASSERT_EQ(st.startcode, 94000000000000ull);
	ASSERT_EQ(st.startstack, 140730000000000ull);
}

TEST(parses_children_files)
{
	pid_t *kids = NULL;
	size_t n = 0, cap = 0;

	ASSERT_EQ(proc_children_parse("12 345 ", &kids, &n, &cap), 0);
	ASSERT_EQ(proc_children_parse("", &kids, &n, &cap), 0);
	ASSERT_EQ(proc_children_parse("-5 0 99999999999 6\n", &kids, &n, &cap), 0);
	ASSERT_EQ(n, 3);
	ASSERT_EQ(kids[0], 12);
	ASSERT_EQ(kids[1], 345);
	ASSERT_EQ(kids[2], 6);
	free(kids);
}

TEST(rejects_garbage)
{
	struct proc_task_stat st;

	ASSERT_TRUE(proc_task_stat_parse("garbage", 7, &st) < 0);
	ASSERT_TRUE(proc_task_stat_parse("1 (x) ", 6, &st) < 0);
}

TEST(parses_syscall_files)
{
	uint64_t arg0 = 0;
	long nr = 0;

	ASSERT_EQ(proc_task_syscall_parse("202 0x7f3f7eb786c0 0x189 0x0 0x0 0x7f3f 0xffffffff 0x7ffd 0x7f3f\n", &nr, &arg0), 1);
	ASSERT_EQ(nr, 202);
	ASSERT_EQ(arg0, 0x7f3f7eb786c0ull);
	ASSERT_EQ(proc_task_syscall_parse("running\n", &nr, &arg0), 0);
	ASSERT_EQ(proc_task_syscall_parse("-1 0x7ffd3e9f1b28 0x7f3f7f1d2d56\n", &nr, &arg0), 0);
	ASSERT_TRUE(proc_task_syscall_parse("202x", &nr, &arg0) < 0);
	ASSERT_TRUE(proc_task_syscall_parse("202 zz", &nr, &arg0) < 0);
}

TEST(lists_own_threads_and_reads_state)
{
	pid_t *tids;
	size_t n;
	struct proc_task_stat st;
	int fd;

	ASSERT_EQ(proc_task_list(getpid(), &tids, &n), 0);
	ASSERT_EQ(n, 1);
	ASSERT_EQ(tids[0], getpid());
	fd = proc_task_open(getpid(), tids[0], "stat");
	ASSERT_TRUE(fd >= 0);
	ASSERT_EQ(proc_task_read(fd, &st), 0);
	ASSERT_EQ(st.state, 'R'); /* reading our own stat: we are running */
	close(fd);
	fd = proc_task_open(getpid(), tids[0], "schedstat");
	if (fd >= 0) {
		uint64_t a = 0, b = 0;
		volatile unsigned spin = 0;

		ASSERT_EQ(proc_task_read_oncpu(fd, &a), 0);
		while (spin < 20000000u)
			spin++;
		ASSERT_EQ(proc_task_read_oncpu(fd, &b), 0);
		ASSERT_TRUE(b > a); /* we spent CPU time spinning */
		close(fd);
	}
	free(tids);
}

CHECK_MAIN()
