"""What the client check scripts share: a visible pass/fail line per check, and a bounded
wait that also fails at once when a consumer thread has failed."""

import sys
import time


def check(cond, what):
    if not cond:
        print(f"FAIL: {what}", flush=True)
        sys.exit(1)
    print(f"ok: {what}", flush=True)


def wait_for(cond, what, deadline_s, failure=lambda: None):
    """Polls `cond` until it holds; `failure` returns a consumer's error, if any."""
    end = time.time() + deadline_s
    while time.time() < end:
        if cond():
            return
        err = failure()
        if err:
            check(False, f"{what}: a consumer failed: {err}")
        time.sleep(0.05)
    check(False, f"{what} (within {deadline_s}s)")
