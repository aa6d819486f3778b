"""`taskstore tokens create | list | revoke`, driven through click's CliRunner on a real file."""

from __future__ import annotations

import hashlib
import re
import sqlite3
from contextlib import closing
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient

from api.cli import main
from api.token_commands import parse_duration
from tests.api.helpers import assert_error, make_user

TOKEN_TEXT = re.compile(r"tsk_([0-9a-f]{16})_([A-Za-z0-9_-]{43})")


def run(db_path: Path, *args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(
        main, ["tokens", *args, "--db", str(db_path)], env={"TASKSTORE_TOKENS": "", **(env or {})}
    )


def created_token(result: Result) -> str:
    assert result.exit_code == 0, result.output
    match = TOKEN_TEXT.fullmatch(result.stdout.strip())
    assert match is not None, result.stdout
    return match[0]


def table_rows(db_path: Path) -> list[sqlite3.Row]:
    with closing(sqlite3.connect(db_path)) as conn:
        conn.row_factory = sqlite3.Row
        return conn.execute("SELECT * FROM tokens").fetchall()


def test_create_prints_the_token_once_and_says_it_will_not_be_shown_again(db_path: Path) -> None:
    result = run(db_path, "create", "ci-bot")
    token = created_token(result)
    assert "will not be shown again" in result.stderr
    assert "ci-bot" in result.stderr
    assert token not in run(db_path, "list").output


def test_only_the_id_and_a_hash_of_the_secret_are_stored(db_path: Path) -> None:
    token = created_token(run(db_path, "create", "ci-bot"))
    _, token_id, secret = token.split("_", 2)
    (row,) = table_rows(db_path)
    assert row["token_id"] == token_id
    assert row["secret_sha256"] == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(tuple(row))


def test_a_created_token_is_accepted_by_the_api_as_its_name(client: FlaskClient, db_path: Path) -> None:
    token = created_token(run(db_path, "create", "ci-bot"))
    response = client.post(
        "/users",
        json={"firstName": "A", "lastName": "B", "contactEmail": "a@example.com"},
        headers={"Authorization": f"Bearer {token}"},
    )
    assert response.status_code == 201, response.get_json()
    history = client.get(f"/users/{response.get_json()['userId']}/history").get_json()["history"]
    assert [entry["actor"] for entry in history] == ["ci-bot"]


def test_a_name_in_use_is_refused_and_the_first_token_is_kept(db_path: Path) -> None:
    created_token(run(db_path, "create", "ci-bot"))
    second = run(db_path, "create", "ci-bot", "--read-only")
    assert second.exit_code == 1
    assert "exists already" in second.output
    (row,) = table_rows(db_path)
    assert row["read_only"] == 0


def test_a_name_used_in_taskstore_tokens_is_refused(db_path: Path) -> None:
    result = run(db_path, "create", "dev", env={"TASKSTORE_TOKENS": "dev:YOUR_TOKEN"})
    assert result.exit_code == 1
    assert "TASKSTORE_TOKENS" in result.output


@pytest.mark.parametrize("name", ["", "has space", "comma,name", "x" * 65, "naïve"])
def test_a_name_outside_the_allowed_characters_is_refused(db_path: Path, name: str) -> None:
    result = run(db_path, "create", name)
    assert result.exit_code == 1
    assert "must be 1 to 64" in result.output


def test_user_must_name_an_existing_user(client: FlaskClient, db_path: Path) -> None:
    user = make_user(client)
    assert run(db_path, "create", "mine", "--user", str(user["userId"])).exit_code == 0
    missing = run(db_path, "create", "ghost", "--user", str(user["userId"] + 1))
    assert missing.exit_code == 1
    assert f"there is no user {user['userId'] + 1}" in missing.output
    assert [row["name"] for row in table_rows(db_path)] == ["mine"]


def test_expires_in_sets_the_expiry_that_far_from_now(db_path: Path) -> None:
    before = datetime.now(UTC)
    created_token(run(db_path, "create", "short", "--expires-in", "1d12h"))
    after = datetime.now(UTC)
    (row,) = table_rows(db_path)
    expires = datetime.fromisoformat(row["expires_at"])
    assert before + timedelta(hours=36) <= expires <= after + timedelta(hours=36)


@pytest.mark.parametrize("text", ["", "7", "d", "1.5h", "1y", "0m", "-1d", "1d 2h", "1D", "99999999999w"])
def test_a_duration_that_is_not_one_is_a_usage_error(db_path: Path, text: str) -> None:
    result = run(db_path, "create", "x", "--expires-in", text)
    assert result.exit_code == 2, result.output
    assert "--expires-in" in result.output
    assert not db_path.exists() or table_rows(db_path) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("30m", timedelta(minutes=30)),
        ("12h", timedelta(hours=12)),
        ("7d", timedelta(days=7)),
        ("2w", timedelta(weeks=2)),
        ("1d12h", timedelta(days=1, hours=12)),
        ("1w2d3h4m", timedelta(weeks=1, days=2, hours=3, minutes=4)),
    ],
)
def test_durations_add_up_their_parts(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


def test_list_shows_scope_user_times_and_status_but_never_a_secret(client: FlaskClient, db_path: Path) -> None:
    user = make_user(client)
    secrets = [
        created_token(run(db_path, "create", "reader", "--read-only")),
        created_token(run(db_path, "create", "bound", "--user", str(user["userId"]), "--expires-in", "2w")),
        created_token(run(db_path, "create", "gone")),
    ]
    assert run(db_path, "revoke", "gone").exit_code == 0
    listing = run(db_path, "list")
    assert listing.exit_code == 0
    lines = listing.output.splitlines()
    assert lines[0].split() == ["NAME", "SCOPE", "USER", "CREATED", "EXPIRES", "STATUS"]
    rows = {line.split()[0]: line.split() for line in lines[1:]}
    assert rows["reader"][1:3] == ["read-only", "all"]
    assert rows["reader"][4:] == ["never", "active"]
    assert rows["bound"][1:3] == ["read-write", str(user["userId"])]
    assert rows["bound"][5] == "active"
    assert rows["gone"][5] == "revoked"
    hashes = [row["secret_sha256"] for row in table_rows(db_path)]
    # The secret is everything after the second underscore; it may hold underscores itself.
    secret_parts = [text.split("_", 2)[2] for text in secrets]
    assert all(len(part) >= 40 for part in secret_parts)
    for text in secret_parts + hashes:
        assert text not in listing.output


def test_a_token_past_its_expiry_is_listed_as_expired(db_path: Path) -> None:
    created_token(run(db_path, "create", "old", "--expires-in", "30m"))
    with closing(sqlite3.connect(db_path)) as conn, conn:
        conn.execute("UPDATE tokens SET expires_at = '2020-01-01T00:00:00.000000Z'")
    assert run(db_path, "list").output.splitlines()[1].split()[-1] == "expired"


def test_revoked_tokens_are_refused_by_the_api(client: FlaskClient, db_path: Path) -> None:
    token = created_token(run(db_path, "create", "ci-bot"))
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/users", headers=headers).status_code == 200
    result = run(db_path, "revoke", "ci-bot")
    assert result.exit_code == 0
    assert "Revoked" in result.output
    assert_error(client.get("/users", headers=headers), 401, "INVALID_TOKEN")


def test_revoking_an_unknown_name_is_an_error(db_path: Path) -> None:
    created_token(run(db_path, "create", "ci-bot"))
    result = run(db_path, "revoke", "nobody")
    assert result.exit_code == 1
    assert "no token named 'nobody'" in result.output


def test_list_and_revoke_refuse_a_database_that_does_not_exist(tmp_path: Path) -> None:
    missing = tmp_path / "nothing.db"
    for args in (["list"], ["revoke", "x"]):
        result = run(missing, *args)
        assert result.exit_code == 1
        assert "no database at" in result.output
    assert not missing.exists()


def test_serve_refuses_to_start_without_any_token_and_creates_nothing(db_path: Path) -> None:
    result = CliRunner().invoke(main, ["serve", "--db", str(db_path)], env={"TASKSTORE_TOKENS": ""})
    assert result.exit_code == 2
    assert "taskstore tokens create" in result.output
    assert not db_path.exists()


def test_serve_starts_with_an_active_issued_token_alone(db_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    served: list[str] = []
    monkeypatch.setattr("api.server.serve", lambda config, *_: served.append(config.database))
    created_token(run(db_path, "create", "only", "--expires-in", "30m"))
    args = ["serve", "--db", str(db_path), "--no-sample-data"]
    assert CliRunner().invoke(main, args, env={"TASKSTORE_TOKENS": ""}).exit_code == 0
    assert served == [str(db_path)]
    assert run(db_path, "revoke", "only").exit_code == 0
    refused = CliRunner().invoke(main, args, env={"TASKSTORE_TOKENS": ""})
    assert refused.exit_code == 2
    assert served == [str(db_path)]
