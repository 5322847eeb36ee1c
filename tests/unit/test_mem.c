/* Unit tests for the block cache in front of process_vm_readv, reading this
 * very process (which may always read itself). */
#include "check.h"
#include "proc/mem.h"

#include <errno.h>
#include <sys/mman.h>
#include <stdint.h>

/* Blocks of our own, aligned as the cache splits them. */
static uint8_t area[8][PROC_BLOCK_SIZE] __attribute__((aligned(PROC_BLOCK_SIZE)));

static uint64_t addr_of(const void *p)
{
	return (uint64_t)(uintptr_t)p;
}

TEST(reads_through_the_cache_and_sees_new_bytes_after_invalidate)
{
	struct proc_mem m;
	uint32_t v = 0;

	ASSERT_EQ(proc_mem_init(&m, getpid()), 0);
	area[0][16] = 7;
	ASSERT_EQ(proc_read(&m, addr_of(&area[0][16]), &v, 1), 0);
	ASSERT_EQ(v, 7);
	area[0][16] = 9;
	ASSERT_EQ(proc_read(&m, addr_of(&area[0][16]), &v, 1), 0);
	ASSERT_EQ(v, 7); /* cached: the same generation */
	proc_mem_invalidate(&m);
	ASSERT_EQ(proc_read(&m, addr_of(&area[0][16]), &v, 1), 0);
	ASSERT_EQ(v, 9);
	proc_mem_release(&m);
}

TEST(a_read_across_three_blocks_is_whole_and_one_system_call)
{
	struct proc_mem m;
	uint8_t got[PROC_BLOCK_SIZE + 14];
	uint8_t *at = &area[1][PROC_BLOCK_SIZE - 7]; /* the end of 1, all of 2, the start of 3 */
	size_t i;
	uint64_t before;

	for (i = 0; i < sizeof(got); i++)
		at[i] = (uint8_t)(i * 7 + 1);
	ASSERT_EQ(proc_mem_init(&m, getpid()), 0);
	before = m.syscalls;
	ASSERT_EQ(proc_read(&m, addr_of(at), got, sizeof(got)), 0);
	ASSERT_EQ(m.syscalls - before, 1);
	for (i = 0; i < sizeof(got); i++)
		ASSERT_EQ(got[i], (uint8_t)(i * 7 + 1));
	proc_mem_release(&m);
}

TEST(the_prefetch_reloads_only_what_was_read_in_one_system_call)
{
	struct proc_mem m;
	uint8_t b;
	uint64_t before;

	ASSERT_EQ(proc_mem_init(&m, getpid()), 0);
	ASSERT_EQ(proc_read(&m, addr_of(area[4]), &b, 1), 0);
	ASSERT_EQ(proc_read(&m, addr_of(area[5]), &b, 1), 0);
	ASSERT_EQ(proc_read(&m, addr_of(area[7]), &b, 1), 0);
	proc_mem_invalidate(&m);
	before = m.syscalls;
	ASSERT_EQ(proc_mem_prefetch(&m), 0);
	ASSERT_EQ(m.syscalls - before, 1);
	area[4][5] = 42;
	ASSERT_EQ(proc_read(&m, addr_of(area[4]) + 5, &b, 1), 0);
	ASSERT_EQ(proc_read(&m, addr_of(area[7]) + 9, &b, 1), 0);
	ASSERT_EQ(m.syscalls - before, 1); /* both came with the prefetch */
	/* Only blocks 4 and 7 were read from this time: the next prefetch
	 * loads those two, and the new byte; block 5 is a read of its own. */
	proc_mem_invalidate(&m);
	before = m.syscalls;
	ASSERT_EQ(proc_mem_prefetch(&m), 0);
	ASSERT_EQ(proc_read(&m, addr_of(area[4]) + 5, &b, 1), 0);
	ASSERT_EQ(b, 42);
	ASSERT_EQ(proc_read(&m, addr_of(area[7]), &b, 1), 0);
	ASSERT_EQ(m.syscalls - before, 1);
	ASSERT_EQ(proc_read(&m, addr_of(area[5]), &b, 1), 0);
	ASSERT_EQ(m.syscalls - before, 2);
	proc_mem_release(&m);
}

TEST(two_blocks_of_one_set_are_both_cached)
{
	struct proc_mem m;
	size_t span = (size_t)PROC_BLOCK_SIZE * (PROC_CACHE_BLOCKS / 2); /* one set apart */
	uint8_t *far = aligned_alloc(PROC_BLOCK_SIZE, 2 * span + PROC_BLOCK_SIZE), v;
	uint64_t a, b, before;

	ASSERT_TRUE(far != NULL);
	a = addr_of(far);
	b = a + span;
	far[0] = 1;
	far[span] = 2;
	ASSERT_EQ(proc_mem_init(&m, getpid()), 0);
	ASSERT_EQ(proc_read(&m, a, &v, 1), 0);
	ASSERT_EQ(v, 1);
	ASSERT_EQ(proc_read(&m, b, &v, 1), 0);
	ASSERT_EQ(v, 2);
	before = m.syscalls;
	ASSERT_EQ(proc_read(&m, a, &v, 1), 0);
	ASSERT_EQ(v, 1);
	ASSERT_EQ(proc_read(&m, b, &v, 1), 0);
	ASSERT_EQ(v, 2);
	ASSERT_EQ(m.syscalls, before);
	/* A third in the same set is read past the cache, and right; the two
	 * stay cached. */
	far[2 * span] = 3;
	ASSERT_EQ(proc_read(&m, b + span, &v, 1), 0);
	ASSERT_EQ(v, 3);
	before = m.syscalls;
	ASSERT_EQ(proc_read(&m, a, &v, 1), 0);
	ASSERT_EQ(proc_read(&m, b, &v, 1), 0);
	ASSERT_EQ(m.syscalls, before);
	proc_mem_release(&m);
	free(far);
}

TEST(an_unmapped_address_is_efault_and_a_gone_process_esrch)
{
	struct proc_mem m;
	uint8_t v;
	pid_t child = fork();

	if (child == 0)
		_exit(0);
	ASSERT_EQ(waitpid(child, NULL, 0), child);
	ASSERT_EQ(proc_mem_init(&m, getpid()), 0);
	ASSERT_EQ(proc_read(&m, 8, &v, 1), -EFAULT);
	ASSERT_EQ(proc_mem_prefetch(&m), 0);
	proc_mem_release(&m);
	ASSERT_EQ(proc_mem_init(&m, child), 0);
	ASSERT_EQ(proc_read(&m, addr_of(area[7]), &v, 1), -ESRCH);
	proc_mem_release(&m);
}

TEST(guards_are_read_first_in_the_prefetch_s_one_system_call)
{
	struct proc_mem m;
	uint64_t *word = (uint64_t *)&area[2][64], v = 0, last = 0, before;
	uint8_t b, region[32];

	ASSERT_EQ(proc_mem_init(&m, getpid()), 0);
	*word = 1234;
	memset(&area[2][512], 7, 32);
	ASSERT_EQ(proc_read(&m, addr_of(area[3]), &b, 1), 0);
	proc_mem_guard(&m, addr_of(word), 8);
	proc_mem_guard(&m, addr_of(&area[2][512]), 32);
	proc_mem_guard(&m, addr_of(&area[2][1024]), PROC_GUARD_BYTES + 1); /* too long: ignored */
	ASSERT_TRUE(!proc_mem_guard_get(&m, addr_of(word), 8, &v, NULL)); /* asked for the next sample */
	proc_mem_invalidate(&m);
	before = m.syscalls;
	ASSERT_EQ(proc_mem_prefetch(&m), 0);
	ASSERT_EQ(m.syscalls - before, 1);
	ASSERT_TRUE(proc_mem_guard_get(&m, addr_of(word), 8, &v, NULL));
	ASSERT_EQ(v, 1234);
	ASSERT_TRUE(proc_mem_guard_get(&m, addr_of(word), 4, &v, &last)); /* a shorter read of it */
	ASSERT_TRUE(proc_mem_guard_get(&m, addr_of(&area[2][512]), 32, region, NULL));
	ASSERT_EQ(region[31], 7);
	ASSERT_TRUE(!proc_mem_guard_get(&m, addr_of(&area[2][512]), 33, region, NULL)); /* longer than asked */
	ASSERT_TRUE(!proc_mem_guard_get(&m, addr_of(word) + 8, 8, &v, NULL)); /* never asked for */
	ASSERT_TRUE(!proc_mem_guard_get(&m, addr_of(&area[2][1024]), 8, &v, NULL));
	ASSERT_EQ(proc_read(&m, addr_of(area[3]), &b, 1), 0); /* the block came in the same call */
	ASSERT_EQ(m.syscalls - before, 1);
	proc_mem_release(&m);
}

TEST(a_guard_is_kept_for_a_while_after_it_was_last_asked_for)
{
	struct proc_mem m;
	uint64_t *word = (uint64_t *)&area[2][64], v;
	unsigned k;

	ASSERT_EQ(proc_mem_init(&m, getpid()), 0);
	proc_mem_guard(&m, addr_of(word), 8);
	for (k = 0; k < PROC_GUARD_KEEP; k++) {
		proc_mem_invalidate(&m);
		ASSERT_EQ(proc_mem_prefetch(&m), 0);
		ASSERT_TRUE(proc_mem_guard_get(&m, addr_of(word), 8, &v, NULL));
	}
	proc_mem_invalidate(&m);
	ASSERT_EQ(proc_mem_prefetch(&m), 0);
	ASSERT_TRUE(!proc_mem_guard_get(&m, addr_of(word), 8, &v, NULL));
	proc_mem_release(&m);
}

TEST(a_full_guard_table_makes_room_by_the_least_recently_asked_for)
{
	struct proc_mem m;
	uint64_t v;
	unsigned k;

	ASSERT_EQ(proc_mem_init(&m, getpid()), 0);
	for (k = 0; k < PROC_GUARD_MAX; k++)
		proc_mem_guard(&m, addr_of(&area[1][8 * k]), 8);
	proc_mem_guard(&m, addr_of(&area[2][0]), 8); /* full of this sample's own: dropped */
	proc_mem_invalidate(&m);
	ASSERT_EQ(proc_mem_prefetch(&m), 0);
	ASSERT_TRUE(!proc_mem_guard_get(&m, addr_of(&area[2][0]), 8, &v, NULL));
	for (k = 1; k < PROC_GUARD_MAX; k++)
		proc_mem_guard(&m, addr_of(&area[1][8 * k]), 8);
	proc_mem_guard(&m, addr_of(&area[2][0]), 8); /* takes the place of area[1][0] */
	proc_mem_invalidate(&m);
	ASSERT_EQ(proc_mem_prefetch(&m), 0);
	ASSERT_TRUE(proc_mem_guard_get(&m, addr_of(&area[2][0]), 8, &v, NULL));
	ASSERT_TRUE(proc_mem_guard_get(&m, addr_of(&area[1][8]), 8, &v, NULL));
	ASSERT_TRUE(!proc_mem_guard_get(&m, addr_of(&area[1][0]), 8, &v, NULL));
	proc_mem_release(&m);
}

TEST(an_unmapped_guard_is_dropped_and_the_prefetch_still_loads)
{
	struct proc_mem m;
	uint64_t *word = (uint64_t *)&area[2][64], v, before;
	uint8_t b, *gone = mmap(NULL, PROC_BLOCK_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(gone != MAP_FAILED);
	ASSERT_EQ(proc_mem_init(&m, getpid()), 0);
	ASSERT_EQ(proc_read(&m, addr_of(area[3]), &b, 1), 0);
	proc_mem_guard(&m, addr_of(word), 8);
	proc_mem_guard(&m, addr_of(gone), 8);
	ASSERT_EQ(munmap(gone, PROC_BLOCK_SIZE), 0);
	proc_mem_invalidate(&m);
	ASSERT_EQ(proc_mem_prefetch(&m), 0);
	ASSERT_TRUE(!proc_mem_guard_get(&m, addr_of(word), 8, &v, NULL)); /* no guards this sample */
	before = m.syscalls;
	ASSERT_EQ(proc_read(&m, addr_of(area[3]), &b, 1), 0); /* but the block was loaded */
	ASSERT_EQ(m.syscalls, before);
	/* The next sample reads the guard that is still there. */
	proc_mem_invalidate(&m);
	ASSERT_EQ(proc_mem_prefetch(&m), 0);
	ASSERT_TRUE(proc_mem_guard_get(&m, addr_of(word), 8, &v, NULL));
	proc_mem_release(&m);
}

TEST(a_reload_copies_again_what_the_sample_read_with_its_guards)
{
	struct proc_mem m;
	uint64_t *word = (uint64_t *)&area[2][128], v = 0, before;
	uint8_t b;

	ASSERT_EQ(proc_mem_init(&m, getpid()), 0);
	ASSERT_EQ(proc_read(&m, addr_of(area[4]), &b, 1), 0);
	ASSERT_EQ(proc_read(&m, addr_of(area[5]), &b, 1), 0);
	*word = 5;
	proc_mem_guard(&m, addr_of(word), 8);
	area[4][9] = 10;
	area[5][9] = 11;
	before = m.syscalls;
	ASSERT_EQ(proc_mem_reload(&m), 0);
	ASSERT_EQ(m.syscalls - before, 1);
	ASSERT_TRUE(proc_mem_guard_get(&m, addr_of(word), 8, &v, NULL));
	ASSERT_EQ(v, 5);
	ASSERT_EQ(proc_read(&m, addr_of(area[4]) + 9, &b, 1), 0);
	ASSERT_EQ(b, 10);
	ASSERT_EQ(proc_read(&m, addr_of(area[5]) + 9, &b, 1), 0);
	ASSERT_EQ(b, 11);
	ASSERT_EQ(m.syscalls - before, 1);
	proc_mem_release(&m);
}

CHECK_MAIN()
