"""Property of user-bound tokens, checked against a plain model of who owns what.

For random users, tasks created for them, reassignments and deletions (through the
unbound test token), and a token bound to one of the users: every page of GET /tasks
and GET /users holds exactly the model's tasks and user of that user, and each task and
user id is 200 if it is theirs, 403 if it is someone else's live one, 404 if it is gone.
"""

from __future__ import annotations

import tempfile
from datetime import UTC, datetime
from pathlib import Path

from flask.testing import FlaskClient
from hypothesis import given
from hypothesis import strategies as st

from api import create_app, tokens
from api.config import Config, Token
from taskstore.database import open_database

DUE = "2025-06-30T17:00:00Z"
USERS = 3

steps = st.lists(
    st.one_of(
        st.tuples(st.just("create"), st.integers(0, USERS - 1)),
        st.tuples(st.just("reassign"), st.integers(0, 20), st.integers(0, USERS - 1)),
        st.tuples(st.just("delete"), st.integers(0, 20)),
    ),
    max_size=20,
)


@given(steps=steps, bound=st.integers(0, USERS - 1), per_page=st.integers(1, 4), drop_user=st.booleans())
def test_a_bound_token_sees_exactly_its_users_tasks(
    steps: list[tuple[int | str, ...]], bound: int, per_page: int, drop_user: bool
) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "t.db"
        client = create_app(Config(database=str(path), tokens=(Token(name="admin", secret="a"),))).test_client()
        client.environ_base["HTTP_AUTHORIZATION"] = "Bearer a"
        users = [_user(client, n) for n in range(USERS)]
        owner: dict[int, int] = {}  # the model: live task id -> owner's user id
        for step in steps:
            _apply(client, users, owner, step)
        live_users = set(users)
        if drop_user:  # the last user goes, with their tasks
            assert client.delete(f"/users/{users[-1]}").status_code == 204
            live_users.discard(users[-1])
            owner = {task: user for task, user in owner.items() if user != users[-1]}
        mine = users[bound]
        headers = {"Authorization": f"Bearer {_bound_token(path, mine)}"}

        assert _all_pages(client, "/tasks", "tasks", "taskId", per_page, headers) == sorted(
            task for task, user in owner.items() if user == mine
        )
        assert _all_pages(client, "/users", "users", "userId", per_page, headers) == sorted({mine} & live_users)
        for task in range(1, len(steps) + 2):
            expected = 404 if task not in owner else 200 if owner[task] == mine else 403
            assert client.get(f"/tasks/{task}", headers=headers).status_code == expected
        for user in users:
            expected = 404 if user not in live_users else 200 if user == mine else 403
            assert client.get(f"/users/{user}", headers=headers).status_code == expected


def _user(client: FlaskClient, n: int) -> int:
    response = client.post("/users", json={"firstName": "U", "lastName": str(n), "contactEmail": f"u{n}@x.io"})
    return int(response.get_json()["userId"])


def _apply(client: FlaskClient, users: list[int], owner: dict[int, int], step: tuple[int | str, ...]) -> None:
    match step:
        case ("create", int(who)):
            body = {"userId": users[who], "taskTitle": "t", "dueDate": DUE, "warningOffset": 1}
            owner[client.post("/tasks", json=body).get_json()["taskId"]] = users[who]
        case ("reassign", int(task), int(who)) if task in owner:
            assert client.patch(f"/tasks/{task}", json={"userId": users[who]}).status_code == 200
            owner[task] = users[who]
        case ("delete", int(task)) if task in owner:
            assert client.delete(f"/tasks/{task}").status_code == 204
            del owner[task]


def _bound_token(path: Path, user_id: int) -> str:
    db = open_database(path)
    try:
        now = datetime.now(UTC)
        return tokens.issue(db, "bound", read_only=False, user_id=user_id, now=now, expires_at=None)
    finally:
        db.close()


def _all_pages(
    client: FlaskClient, path: str, key: str, id_field: str, per_page: int, headers: dict[str, str]
) -> list[int]:
    found: list[int] = []
    for page in range(100):
        response = client.get(f"{path}?_perPage={per_page}&_page={page}", headers=headers)
        assert response.status_code == 200
        items = response.get_json()[key]
        found.extend(item[id_field] for item in items)
        if len(items) < per_page:
            return found
    raise AssertionError("too many pages")
