"""userpool's benchmark suite (issue 8): how close the server gets to its cryptography's bounds, and to peers.

Run it with `.venv/bin/python -m bench` (see BENCHMARKS.md for the method); `--quick` is the smoke run the
test suite uses. The package talks to servers only over loopback, from its own process.
"""
