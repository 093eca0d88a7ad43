"""The checks of an integration test script.

check() prints each result as it runs ("ok" or "FAIL" and the check's name) and keeps
the failures with their details; summary() lists the failures and returns the exit
status. One list per process: each test script is its own process.
"""
failures = []


def check(name, condition, detail=""):
    print("%s %s" % ("ok  " if condition else "FAIL", name), flush=True)
    if not condition:
        failures.append("%s %s" % (name, str(detail)[:3000]))


def summary():
    for failure in failures:
        print("FAIL: " + failure)
    print("%d failed of the checks above" % len(failures))
    return 1 if failures else 0
