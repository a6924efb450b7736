"""Calls run at once, each in its own thread with its own database connection (STYLE.md: concurrency is
tested for real, threads against PostgreSQL, then the rows are asserted on)."""
import threading

from django.db import connection


def all_at_once(calls, *, timeout=60) -> list:
    """Start every call together (a barrier), wait for all; each call's result or the exception it raised,
    in order. A thread still running after `timeout` fails the test rather than hang it."""
    results, barrier = [None] * len(calls), threading.Barrier(len(calls))

    def run(index, call):
        try:
            barrier.wait()
            results[index] = call()
        except Exception as error:  # returned to the test, which compares or surfaces it
            results[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, call)) for i, call in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=timeout)
    assert [thread.name for thread in threads if thread.is_alive()] == []
    return results
