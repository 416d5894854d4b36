"""Errors in an auth definition, each naming the file and line of the `define_auth` call and the option."""

from __future__ import annotations


class DefinitionError(ValueError):
    def __init__(self, problems: list[str], *, where: str = "") -> None:
        self.problems = problems
        self.where = where
        head = f"{where}: invalid auth definition" if where else "invalid auth definition"
        super().__init__(head + "\n" + "\n".join(f"  - {p}" for p in problems))
