"""Cryptography adapters: password hashing, sealing secrets at rest, signing keys and JWKS."""
