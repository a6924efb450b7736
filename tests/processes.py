"""Processes the tests start (workers, beat): stopped in the end, their output printed for a failing test's log."""

import subprocess


def stop_and_print(processes: dict, *, timeout: float = 60) -> None:
    """Terminate each {name: Popen} (a warm shutdown), kill it if it outlasts `timeout`, print its output."""
    for name, process in processes.items():
        process.terminate()
        try:
            output, _ = process.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        print(f"--- {name} ---\n{(output or '')[-20000:]}")
