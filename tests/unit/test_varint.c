/* Unit tests for varint encoding (buf.c) and bounds-checked decoding (cursor.c). */
#include "check.h"
#include "util/buf.h"
#include "util/cursor.h"

TEST(unsigned_round_trip_edges)
{
	static const uint64_t vals[] = { 0, 1, 127, 128, 255, 300, 16383, 16384, 1ull << 32, UINT64_MAX - 1, UINT64_MAX };
	struct pyro_buf b;
	struct pyro_cursor c;
	size_t i;

	pyro_buf_init(&b);
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		pyro_buf_uvarint(&b, vals[i]);
	pyro_cursor_init(&c, b.data, b.len, 0);
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		uint64_t v = 0;

		ASSERT_EQ(pyro_cursor_uvarint(&c, &v, "v"), 0);
		ASSERT_TRUE(v == vals[i]);
	}
	ASSERT_EQ(pyro_cursor_left(&c), 0);
	pyro_buf_release(&b);
}

TEST(encoding_is_leb128)
{
	struct pyro_buf b;

	pyro_buf_init(&b);
	pyro_buf_uvarint(&b, 300);
	ASSERT_EQ(b.len, 2);
	ASSERT_EQ(b.data[0], 0xac);
	ASSERT_EQ(b.data[1], 0x02);
	pyro_buf_release(&b);
}

TEST(signed_round_trip)
{
	static const int64_t vals[] = { 0, -1, 1, -64, 64, INT32_MIN, INT32_MAX, INT64_MIN, INT64_MAX };
	struct pyro_buf b;
	struct pyro_cursor c;
	size_t i;

	pyro_buf_init(&b);
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++)
		pyro_buf_svarint(&b, vals[i]);
	pyro_cursor_init(&c, b.data, b.len, 0);
	for (i = 0; i < sizeof(vals) / sizeof(vals[0]); i++) {
		int64_t v = 0;

		ASSERT_EQ(pyro_cursor_svarint(&c, &v, "v"), 0);
		ASSERT_EQ(v, vals[i]);
	}
	pyro_buf_release(&b);
}

TEST(truncated_varint_fails_with_offset)
{
	const uint8_t data[] = { 0x05, 0x80, 0x80 };
	struct pyro_cursor c;
	uint64_t v;

	pyro_cursor_init(&c, data, sizeof(data), 100);
	ASSERT_EQ(pyro_cursor_uvarint(&c, &v, "first"), 0);
	ASSERT_EQ(v, 5);
	ASSERT_EQ(pyro_cursor_uvarint(&c, &v, "second"), -1);
	ASSERT_TRUE(c.truncated);
	ASSERT_EQ(c.fail_at, 101);
	ASSERT_STR_EQ(c.fail, "second");
	/* Sticky: later reads fail too. */
	ASSERT_EQ(pyro_cursor_u8(&c, (uint8_t *)&v, "third"), -1);
}

TEST(overlong_varint_is_rejected)
{
	const uint8_t data[] = { 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f };
	struct pyro_cursor c;
	uint64_t v;

	pyro_cursor_init(&c, data, sizeof(data), 0);
	ASSERT_EQ(pyro_cursor_uvarint(&c, &v, "v"), -1);
	ASSERT_TRUE(!c.truncated);
}

TEST(bytes_are_bounds_checked)
{
	const uint8_t data[] = { 1, 2, 3 };
	struct pyro_cursor c;
	const uint8_t *p;

	pyro_cursor_init(&c, data, sizeof(data), 0);
	ASSERT_EQ(pyro_cursor_bytes(&c, &p, 4, "four"), -1);
	pyro_cursor_init(&c, data, sizeof(data), 0);
	ASSERT_EQ(pyro_cursor_bytes(&c, &p, 3, "three"), 0);
	ASSERT_EQ(p[2], 3);
	ASSERT_EQ(pyro_cursor_bytes(&c, &p, SIZE_MAX, "huge"), -1);
}

CHECK_MAIN()
