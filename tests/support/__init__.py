"""Helpers the test tiers share: running a real sandbox process and reading its outbox."""
