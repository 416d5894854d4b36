"""The user pool itself: rules, flows and maths. See README.md: no I/O in this package."""
