"""The `userpool` command: init, sandbox (and its messages), serve."""
