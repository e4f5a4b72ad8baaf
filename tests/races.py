"""Two writers at the same moment, on a server database (PostgreSQL): does a lock serialize them?"""

import threading

from django.db import connections, transaction


def second_waits_for_first(first, second) -> tuple:
    """Run ``first()`` in a transaction held open in one thread, then ``second()`` in another.

    Asserts that ``second`` waits (for a row lock ``first`` took), lets
    ``first`` commit, and returns both outcomes: each call's result, or the
    exception it raised.
    """
    inside, release = threading.Event(), threading.Event()
    outcomes = {}

    def run(name, work, hold):
        try:
            if hold:
                with transaction.atomic():
                    outcomes[name] = work()
                    inside.set()
                    release.wait(timeout=10)  # keep the transaction, and its locks, open
            else:
                outcomes[name] = work()
        except Exception as error:
            outcomes[name] = error
        finally:
            inside.set()
            connections.close_all()

    holder = threading.Thread(target=run, args=("first", first, True))
    holder.start()
    assert inside.wait(timeout=10)
    waiter = threading.Thread(target=run, args=("second", second, False))
    waiter.start()
    waiter.join(timeout=0.5)
    assert waiter.is_alive(), "the second call did not wait for the first one's lock"
    release.set()
    holder.join(timeout=10)
    waiter.join(timeout=10)
    return outcomes["first"], outcomes["second"]
