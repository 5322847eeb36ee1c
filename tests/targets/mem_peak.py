"""Holds 512 MiB allocated on one line and 100 MiB on another at its peak, then frees
them: test_memory checks the peak and its attribution to the two lines."""


def hold():
    big = [bytearray(1 << 20) for _ in range(512)]  # BIG
    small = [bytearray(1 << 20) for _ in range(100)]  # SMALL
    return big, small


def main():
    kept = hold()
    del kept
    print("done")


main()
