#!/usr/bin/env python3
"""Drives `chainstat sql` on a pseudo-terminal as a person would: \\d and \\df, Tab
completion, NULL and the row footer, Ctrl-C on a long query (the query stops, the prompt
stays), and history kept across two sessions.

Usage: prompt.py CHAINSTAT_BIN WORK_DIR
Run by tests/it/interop.rs with the interpreter scripts/test-env.sh installs (pexpect).
"""

import os
import pathlib
import sys
import time

import pexpect

PROMPT = "chainstat> "


def session(binary, work, history):
    env = dict(os.environ)
    env.pop("CHAINSTAT_CONFIG", None)
    env["CHAINSTAT_HISTORY"] = str(history)
    env["TERM"] = "xterm"
    child = pexpect.spawn(binary, ["sql"], cwd=str(work), env=env, encoding="utf-8",
                          timeout=60, dimensions=(50, 200))
    child.logfile_read = sys.stdout
    child.expect_exact(PROMPT)
    return child


def main():
    binary, work = sys.argv[1], pathlib.Path(sys.argv[2])
    history = work / "history"

    child = session(binary, work, history)
    child.sendline("\\d transfers")
    child.expect_exact("DECIMAL(76, 18)")
    child.expect_exact(PROMPT)

    child.sendline("\\df addr")
    child.expect_exact("addr_norm(chain, address)")
    child.expect_exact("address_error(chain, address)")
    child.expect_exact(PROMPT)

    child.sendline("\\nosuch")
    child.expect_exact("unknown command")
    child.expect_exact(PROMPT)

    # Tab completes the view name; NULL is spelled out; the footer counts rows.
    child.send("SELECT NULL AS nothing, count(*) AS n FROM transf\t")
    child.expect_exact("transfers")
    child.sendline(";")
    child.expect_exact("NULL")
    child.expect_exact("1 row")
    child.expect_exact(PROMPT)

    child.sendline("\\pset limit 3")
    child.expect_exact(PROMPT)
    child.sendline("SELECT value FROM range(10);")
    child.expect_exact("10 rows (3 shown")
    child.expect_exact(PROMPT)

    # A query that would run for minutes: Ctrl-C stops it and the prompt stays.
    child.sendline("SELECT sum(value % 7) AS s FROM range(100000000000);")
    time.sleep(2)
    started = time.monotonic()
    child.sendintr()
    child.expect_exact("query cancelled", timeout=20)
    child.expect_exact(PROMPT)
    waited = time.monotonic() - started
    child.sendline("SELECT 41 + 1 AS answer;")
    child.expect_exact("42")
    child.expect_exact(PROMPT)
    child.sendline("\\q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, f"exit {child.exitstatus} {child.signalstatus}"
    print(f"\ncancelled {waited:.1f} s after Ctrl-C")

    # A second session finds the first one's statements with the up arrow.
    assert "SELECT 41 + 1 AS answer;" in history.read_text(), history.read_text()
    child = session(binary, work, history)
    child.send("\x1b[A")
    child.expect_exact("SELECT 41 + 1 AS answer;")
    child.send("\r")
    child.expect_exact("42")
    child.expect_exact(PROMPT)
    child.sendline("\\q")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    print("\nprompt: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
