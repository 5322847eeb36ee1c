"""leak() keeps 10 MB a call in a global list; churn() allocates as much and frees it."""
LEAKED = []


def leak():
    LEAKED.extend(bytes(10000) for _ in range(1000))  # LEAK


def churn():
    tmp = [bytes(10000) for _ in range(1000)]  # CHURN
    return len(tmp)


def main():
    for _ in range(10):
        leak()
        churn()
    print("held", len(LEAKED))


main()
