"""Test-only plugins loaded by name (``--judge tests.plugins.slow_judge:SlowJudge``); never registered."""
