"""What a redeploy may change, and what Cognito fixes for good when a pool is created.

Each deploy stores a summary of the definition with the pool. The next deploy compares against it before
anything is applied: a change Cognito forbids after creation (how users sign in, required attributes,
removing or retyping an attribute, removing a verification method) is refused, every such change listed
with why, and the ways forward. Groups, message templates, the password policy, MFA factors and new
optional attributes may change freely.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from userpool.definition.compile import (
    account_recovery,
    attribute_specs,
    mfa_factors,
    templates,
    username_attributes,
    verified_attributes,
)
from userpool.definition.errors import DefinitionError
from userpool.definition.models import AuthDefinition

SANDBOX_WAYS_FORWARD = (
    "Ways forward: revert these changes in the definition (the sandbox keeps serving the deployed one), or run "
    "`userpool sandbox delete` to start over with a new, empty user pool (its users are deleted)."
)
SERVE_WAYS_FORWARD = (
    "Ways forward: revert these changes in the definition, or deploy it as a new user pool (a new `name` or a "
    "new database) and move the users with export and import."
)


def summary(defn: AuthDefinition) -> dict[str, Any]:
    """The settings a definition deploys, as JSON: kept with the pool to compare the next deploy against."""
    aliases = list(verified_attributes(defn)) if defn.login_with.username else []
    return {
        "name": defn.name,
        "username_attributes": list(username_attributes(defn)),
        "alias_attributes": aliases,
        "verified_attributes": list(verified_attributes(defn)),
        "attributes": {
            spec.name: {
                "type": spec.data_type,
                "required": spec.required,
                "mutable": spec.mutable,
                "min_length": spec.min_length,
                "max_length": spec.max_length,
                "min_value": spec.min_value,
                "max_value": spec.max_value,
            }
            for spec in attribute_specs(defn).values()
        },
        "password_policy": defn.password_policy.model_dump(),
        "mfa": {"mode": defn.multifactor.mode, "factors": list(mfa_factors(defn))},
        "account_recovery": account_recovery(defn),
        "groups": list(defn.groups),
        "templates": {k: {"subject": v.subject, "body": v.body} for k, v in vars(templates(defn)).items()},
    }


@dataclass(frozen=True)
class Change:
    option: str
    before: str
    after: str
    why: str

    def describe(self) -> str:
        return f"{self.option}: {self.before} → {self.after}: {self.why}"


_DEFAULT_STANDARD = {"type": "String", "required": False, "mutable": True}
_FIXED = "Cognito fixes this when a user pool is created"


def _names(values: list[str]) -> str:
    return ", ".join(values) if values else "(none)"


def _attribute_changes(before: dict[str, Any], after: dict[str, Any]) -> list[Change]:
    changes: list[Change] = []
    for name in sorted(set(before) | set(after)):
        old, new = before.get(name), after.get(name)
        option = f"user_attributes.{name}"
        if old is not None and new is None:
            if name.startswith("custom:"):
                changes.append(Change(option, "declared", "removed", "custom attributes cannot be removed"))
            elif any(old.get(k) != v for k, v in _DEFAULT_STANDARD.items()):
                changes.append(Change(option, _settings(old), "default settings", _FIXED))
            continue
        if old is None and new is not None:
            if not name.startswith("custom:") and any(new.get(k) != v for k, v in _DEFAULT_STANDARD.items()):
                changes.append(Change(option, "default settings", _settings(new), _FIXED))
            elif new.get("required"):
                changes.append(Change(option, "absent", "required", "a new attribute cannot be required"))
            continue
        assert old is not None and new is not None
        for key in ("type", "required", "mutable", "min_length", "max_length", "min_value", "max_value"):
            if old.get(key) != new.get(key):
                changes.append(Change(f"{option}.{key}", str(old.get(key)), str(new.get(key)), _FIXED))
    return changes


def _settings(spec: dict[str, Any]) -> str:
    return ", ".join(f"{k}={spec[k]}" for k in ("required", "mutable") if k in spec)


def irreversible_changes(deployed: dict[str, Any], new: dict[str, Any]) -> list[Change]:
    """Every change from the deployed summary to the new one that a deployed pool cannot take."""
    if not deployed:  # a pool deployed before summaries existed: nothing to compare with
        return []
    changes: list[Change] = []
    if deployed.get("name") != new["name"]:
        changes.append(Change("name", str(deployed.get("name")), new["name"], "the name identifies the user pool"))
    for key, option, why in (
        ("username_attributes", "login_with", "how users sign in (the username attributes) is fixed at creation"),
        ("alias_attributes", "login_with", "which verified attributes also sign in (aliases) is fixed at creation"),
    ):
        if deployed.get(key, []) != new[key]:
            changes.append(Change(f"{option} ({key})", _names(deployed.get(key, [])), _names(new[key]), why))
    removed = [a for a in deployed.get("verified_attributes", []) if a not in new["verified_attributes"]]
    if removed:
        changes.append(
            Change(
                "login_with (verified attributes)",
                _names(deployed.get("verified_attributes", [])),
                _names(new["verified_attributes"]),
                f"users rely on verifying {_names(removed)}; a verification method cannot be removed",
            )
        )
    changes.extend(_attribute_changes(deployed.get("attributes", {}), new["attributes"]))
    return changes


class IrreversibleChangeError(DefinitionError):
    """A redeploy that a deployed pool cannot take; nothing was applied."""

    def __init__(self, changes: list[Change], *, where: str, ways_forward: str) -> None:
        super().__init__([c.describe() for c in changes], where=where)
        self.changes = changes
        head = f"{where}: " if where else ""
        lines = "\n".join(f"  - {c.describe()}" for c in changes)
        self.args = (f"{head}these changes cannot be applied to the deployed user pool:\n{lines}\n{ways_forward}",)
