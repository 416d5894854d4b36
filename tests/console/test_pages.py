"""Every console page and every change made there, as an operator sees them: the users list and its
search and paging, a user's page, each action on it (and its audit entry), groups and members, the audit
log; refusals shown on the page with nothing changed."""

from __future__ import annotations

import html
import re

import pytest

from tests.console.conftest import OPERATOR, Console
from tests.support.pool import PASSWORD

ADA = "ada@example.com"


@pytest.fixture
def signed_in(console: Console) -> Console:
    console.sign_in()
    return console


def _user(c: Console, email: str = ADA) -> object:
    with c.h.store.begin() as tx:
        return tx.find_user(c.h.pool.config.pool_id, f"email:{email}")


def _alert(text: str) -> str:
    found = re.search(r'role="alert">([^<]*)<', text)
    return html.unescape(found.group(1)) if found else ""


def test_users_list_search_and_paging(signed_in: Console) -> None:
    c = signed_in
    for i in range(30):
        c.h.sign_up(f"user{i:02d}@example.com")
    c.h.confirmed_user(ADA)
    first = c.client.get("/console/users")
    assert first.status_code == 200 and first.text.count('href="/console/user?username=') == 25
    nxt = re.search(r'href="([^"]*)" rel="next"', first.text)
    assert nxt is not None
    second = c.client.get(html.unescape(nxt.group(1)))
    assert second.text.count('href="/console/user?username=') == 6 and 'rel="next"' not in second.text
    found = c.client.get("/console/users", params={"attribute": "email", "match": "prefix", "value": "ADA"})
    assert ADA in found.text and "user01@" not in found.text
    by_status = c.client.get("/console/users", params={"attribute": "cognito:user_status", "match": "exact",
                                                         "value": "CONFIRMED"})  # fmt: skip
    assert ADA in by_status.text and "user01@" not in by_status.text
    bad = c.client.get("/console/users", params={"next": "forged-token"})
    assert bad.status_code == 400 and "pagination token" in _alert(bad.text)


def test_search_by_group(signed_in: Console) -> None:
    c = signed_in
    c.h.confirmed_user(ADA)
    c.h.confirmed_user("bob@example.com")
    assert c.post("/console/user/membership", username=ADA, group="staff", member="true").status_code == 303
    page = c.client.get("/console/users", params={"group": "staff"})
    assert ADA in page.text and "bob@example.com" not in page.text


def test_user_page_shows_everything_about_the_user(signed_in: Console) -> None:
    c = signed_in
    c.h.confirmed_user(ADA)
    c.h.password_sign_in(ADA)
    with pytest.raises(Exception, match="Incorrect"):
        c.h.password_sign_in(ADA, "Wr0ng-Password!")
    page = c.client.get("/console/user", params={"username": ADA})
    assert page.status_code == 200
    for text in ("CONFIRMED", "Enabled", "email_verified", "Multi-factor authentication", "In no group.",
                 "No devices.", "Succeeded", "Refused", "wrong password"):  # fmt: skip
        assert text in page.text, text
    missing = c.client.get("/console/user", params={"username": "nobody@example.com"})
    assert missing.status_code == 404


def test_create_user_with_invitation(signed_in: Console) -> None:
    c = signed_in
    assert c.client.get("/console/users/new").status_code == 200
    made = c.post("/console/users/new", page="/console/users/new", username="new@example.com",
                  email="new@example.com", email_verified="true", invite="true")  # fmt: skip
    assert made.status_code == 303 and "notice=created" in made.headers["location"]
    invitations = c.h.messages("invitation")
    assert invitations and invitations[-1].to == "new@example.com"
    page = c.client.get(made.headers["location"])
    assert "User created." in page.text and "FORCE_CHANGE_PASSWORD" in page.text
    again = c.post("/console/users/new", page="/console/users/new", username="new@example.com",
                   email="new@example.com", invite="true")  # fmt: skip
    assert again.status_code == 400 and "UsernameExistsException" in _alert(again.text)
    assert c.audit()[0] == (OPERATOR, "user.create", "user:new@example.com")


def test_disable_enable_sign_out_and_confirm(signed_in: Console) -> None:
    c = signed_in
    c.h.confirmed_user(ADA)
    tokens = c.h.password_sign_in(ADA)
    disabled = c.post("/console/user/enabled", username=ADA, enabled="false")
    assert disabled.status_code == 303
    page = c.client.get(disabled.headers["location"])
    assert "Disabled" in page.text and "every session of theirs has ended" in page.text
    with pytest.raises(Exception, match="disabled"):
        c.h.password_sign_in(ADA)
    assert c.post("/console/user/enabled", username=ADA, enabled="true").status_code == 303
    assert c.post("/console/user/sign-out", username=ADA).status_code == 303
    from userpool.core.flows import account

    with pytest.raises(Exception, match=r"revoked|Access Token"):
        c.h.pool.run(account.get_user, access_token=tokens.access_token)
    c.h.sign_up("new@example.com")
    assert c.post("/console/user/confirm", username="new@example.com").status_code == 303
    assert "CONFIRMED" in c.client.get("/console/user", params={"username": "new@example.com"}).text
    again = c.post("/console/user/confirm", username="new@example.com")
    assert again.status_code == 400 and "cannot be confirmed" in _alert(again.text)
    actions = [a for _, a, _ in c.audit()]
    assert actions[:4] == ["user.confirm", "user.sign_out_everywhere", "user.enable", "user.disable"]


def test_passwords_set_and_reset(signed_in: Console) -> None:
    c = signed_in
    c.h.confirmed_user(ADA)
    weak = c.post("/console/user/set-password", username=ADA, password="short", permanent="true")
    assert weak.status_code == 400 and "InvalidPasswordException" in _alert(weak.text)
    assert c.post("/console/user/set-password", username=ADA, password="An0ther-Passw0rd!", permanent="true"
                  ).status_code == 303  # fmt: skip
    c.h.password_sign_in(ADA, "An0ther-Passw0rd!")
    assert c.post("/console/user/reset-password", username=ADA).status_code == 303
    assert c.h.messages("forgot_password") or [m for m in c.h.sent if m.to == ADA and m.code]
    assert "RESET_REQUIRED" in c.client.get("/console/user", params={"username": ADA}).text
    entries = c.audit()
    assert entries[0][1] == "user.reset_password" and entries[1][1] == "user.set_password"
    with c.h.store.begin() as tx:
        logged = tx.list_audit(c.h.pool.config.pool_id, target=f"user:{ADA}")
    assert all("An0ther" not in str(e.details) for e in logged)


def test_edit_and_delete_attributes(signed_in: Console) -> None:
    c = signed_in
    c.h.confirmed_user(ADA)
    saved = c.post("/console/user/attributes", username=ADA, **{"attr.email": ADA, "was.email": ADA},
                   new_name="name", new_value="Ada Lovelace")  # fmt: skip
    assert saved.status_code == 303
    assert "Ada Lovelace" in c.client.get("/console/user", params={"username": ADA}).text
    bad = c.post("/console/user/attributes", username=ADA, new_name="custom:nope", new_value="x")
    assert bad.status_code == 400 and "InvalidParameterException" in _alert(bad.text)
    assert c.post("/console/user/delete-attribute", username=ADA, name="name").status_code == 303
    assert "Ada Lovelace" not in c.client.get("/console/user", params={"username": ADA}).text
    assert [a for _, a, _ in c.audit()][:2] == ["user.delete_attribute", "user.update_attributes"]


def test_delete_needs_confirmation(signed_in: Console) -> None:
    c = signed_in
    c.h.confirmed_user(ADA)
    confirm_page = c.client.get("/console/user/delete", params={"username": ADA})
    assert "cannot be undone" in confirm_page.text
    unconfirmed = c.post("/console/user/delete", username=ADA, confirm="ada")
    assert unconfirmed.status_code == 400 and _user(c) is not None
    done = c.post("/console/user/delete", username=ADA, confirm=ADA)
    assert done.status_code == 303 and _user(c) is None
    assert c.audit()[0] == (OPERATOR, "user.delete", f"user:{ADA}")


def test_groups_create_edit_members_and_delete(signed_in: Console) -> None:
    c = signed_in
    c.h.confirmed_user(ADA)
    listing = c.client.get("/console/groups")
    assert "admins" in listing.text and "staff" in listing.text
    made = c.post("/console/groups", page="/console/groups", name="editors", precedence="5", description="Edit")
    assert made.status_code == 303
    dup = c.post("/console/groups", page="/console/groups", name="editors")
    assert dup.status_code == 400 and "GroupExistsException" in _alert(dup.text)
    bad = c.post("/console/groups", page="/console/groups", name="x", precedence="-1")
    assert bad.status_code == 400 and "Precedence" in _alert(bad.text)
    assert c.post("/console/group/update", name="editors", precedence="2", description="Editors").status_code == 303
    assert c.post("/console/group/members", name="editors", username=ADA, member="true").status_code == 303
    page = c.client.get("/console/group", params={"name": "editors"})
    assert "Editors" in page.text and ADA in page.text
    assert "editors" in c.client.get("/console/user", params={"username": ADA}).text
    nobody = c.post("/console/group/members", name="editors", username="nobody@example.com", member="true")
    assert nobody.status_code == 400 and "UserNotFoundException" in _alert(nobody.text)
    assert c.post("/console/group/members", name="editors", username=ADA, member="false").status_code == 303
    assert c.post("/console/user/membership", username=ADA, group="editors", member="true").status_code == 303
    assert c.post("/console/user/membership", username=ADA, group="editors", member="false").status_code == 303
    assert "Type the group name" in c.client.get("/console/group/delete", params={"name": "editors"}).text
    assert c.post("/console/group/delete", name="editors", confirm="editors").status_code == 303
    assert c.client.get("/console/group", params={"name": "editors"}).status_code == 404
    actions = [a for _, a, _ in c.audit()]
    assert actions[:6] == ["group.delete", "group.remove_member", "group.add_member", "group.remove_member",
                           "group.add_member", "group.update"]  # fmt: skip


def test_audit_log_page_filters_by_actor_and_target(signed_in: Console) -> None:
    c = signed_in
    c.h.confirmed_user(ADA)
    c.h.confirmed_user("bob@example.com")
    c.post("/console/user/enabled", username=ADA, enabled="false")
    c.post("/console/user/enabled", username="bob@example.com", enabled="false")
    page = c.client.get("/console/audit")
    assert "user.disable" in page.text and f"user:{ADA}" in page.text and "testclient" in page.text
    only_ada = c.client.get("/console/audit", params={"target": f"user:{ADA}"})
    assert f"user:{ADA}" in only_ada.text and "user:bob@example.com" not in only_ada.text
    nobody = c.client.get("/console/audit", params={"actor": "bob"})
    assert "No entries." in nobody.text


def test_a_refused_change_writes_no_audit_entry(signed_in: Console) -> None:
    c = signed_in
    before = c.audit()
    refused = c.post("/console/user/enabled", username="ghost@example.com", enabled="false")
    assert refused.status_code == 400
    assert c.audit() == before


def test_sign_ins_through_the_api_are_listed_with_their_client(signed_in: Console) -> None:
    c = signed_in
    c.h.confirmed_user(ADA, PASSWORD)
    c.h.password_sign_in(ADA)
    page = c.client.get("/console/user", params={"username": ADA})
    assert c.h.client_id in page.text and "tokens" in page.text
