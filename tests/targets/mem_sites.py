"""Four sites with known allocation totals, each block freed at once (churn); the
unbiasedness test compares sampled estimates with --memory=exact."""


def site_a():
    for _ in range(40000):
        b = bytes(1000)  # SITE_A
    return b


def site_b():
    for _ in range(8000):
        b = bytes(5000)  # SITE_B
    return b


def site_c():
    for _ in range(4000):
        b = bytes(10000)  # SITE_C
    return b


def site_d():
    for _ in range(100000):
        b = bytes(400)  # SITE_D
    return b


site_a()
site_b()
site_c()
site_d()
print("done")
