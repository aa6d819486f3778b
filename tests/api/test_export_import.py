"""`taskstore export` and `taskstore import`: a round trip gives the same rows, read models
and responses; every file or target that cannot be imported is refused and writes nothing."""

from __future__ import annotations

import json
from collections.abc import Callable
from contextlib import closing
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner, Result
from flask.testing import FlaskClient

from api import create_app, ops, prepare_database
from api.cli import main
from api.config import Config, Token
from taskstore.database import open_database
from taskstore.store import EventStore
from tests.api.helpers import event_count, snapshot
from tests.api.test_operator_commands import some_history
from tests.conftest import AUTH, TOKEN

Lines = list[dict[str, Any]]


def run(*args: str) -> Result:
    return CliRunner().invoke(main, list(args))


def rows(db_path: Path) -> list[dict[str, Any]]:
    with closing(open_database(db_path)) as db:
        return list(EventStore(db).iter_rows())


def exported(db_path: Path, *args: str) -> Lines:
    result = run("export", "--db", str(db_path), *args)
    assert result.exit_code == 0, result.output
    return [json.loads(line) for line in result.stdout_bytes.decode().splitlines()]


def write(path: Path, lines: Lines) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def responses(db_path: Path) -> list[Any]:
    """Every GET a client could make of the service on `db_path`, answered (less request ids)."""
    client = create_app(Config(database=str(db_path), tokens=(Token("tester", TOKEN),))).test_client()
    paths = ["/users", "/tasks", "/tasks?_sort=-dueDate", "/tasks?taskStatus=IN_PROGRESS", "/users?_sort=lastName"]
    paths += [f"/users/{n}" for n in range(1, 4)] + [f"/tasks/{n}" for n in range(1, 5)]
    answers = []
    for path in paths:
        response = client.get(path, headers=AUTH)
        body = response.get_json()
        answers.append((path, response.status_code, {k: v for k, v in body.items() if k != "requestId"}))
    return answers


def test_export_writes_each_stored_row_as_one_json_line_in_position_order(client: FlaskClient, db_path: Path) -> None:
    some_history(client)
    lines, stored = exported(db_path), rows(db_path)

    assert [line["position"] for line in lines] == list(range(1, len(stored) + 1))
    for line, row in zip(lines, stored, strict=True):
        assert list(line) == [
            "position",
            "streamId",
            "version",
            "type",
            "schemaVersion",
            "occurredAt",
            "payload",
            "requestId",
            "actor",
            "hash",
        ]
        assert (line["streamId"], line["version"], line["type"], line["hash"]) == (
            row["stream_id"],
            row["version"],
            row["type"],
            row["hash"],
        )
        assert line["payload"] == json.loads(row["payload"])
        assert (line["occurredAt"], line["requestId"], line["actor"]) == (
            row["occurred_at"],
            row["request_id"],
            "tester",
        )


def test_export_after_a_position_writes_only_the_later_rows(client: FlaskClient, db_path: Path) -> None:
    some_history(client)
    assert [line["position"] for line in exported(db_path, "--after", "5")] == list(range(6, event_count(db_path) + 1))


def test_import_of_an_export_gives_identical_rows_read_models_and_responses(
    client: FlaskClient, db_path: Path, tmp_path: Path
) -> None:
    some_history(client)
    target = tmp_path / "copy" / "imported.db"
    result = run("import", str(write(tmp_path / "events.jsonl", exported(db_path))), "--db", str(target))

    assert result.exit_code == 0, result.output
    assert f"Imported {event_count(db_path)} events" in result.output
    assert rows(target) == rows(db_path)
    assert snapshot(target) == snapshot(db_path)
    assert responses(target) == responses(db_path)
    assert run("verify", "--db", str(target)).exit_code == 0


def test_import_into_an_existing_empty_database_works(client: FlaskClient, db_path: Path, tmp_path: Path) -> None:
    some_history(client)
    target = tmp_path / "empty.db"
    prepare_database(str(target))
    result = run("import", str(write(tmp_path / "events.jsonl", exported(db_path))), "--db", str(target))
    assert result.exit_code == 0, result.output
    assert rows(target) == rows(db_path)


def test_import_into_a_database_that_holds_events_is_refused_and_changes_nothing(
    client: FlaskClient, db_path: Path, tmp_path: Path
) -> None:
    some_history(client)
    before = rows(db_path), snapshot(db_path)
    result = run("import", str(write(tmp_path / "events.jsonl", exported(db_path))), "--db", str(db_path))

    assert result.exit_code == 1
    assert f"its log already holds {len(before[0])} events" in result.output
    assert (rows(db_path), snapshot(db_path)) == before


def drop(index: int) -> Callable[[Lines], None]:
    return lambda lines: lines.pop(index) and None


def change(index: int, key: str, value: Any) -> Callable[[Lines], None]:
    return lambda lines: lines[index].update({key: value})


def retitle(lines: Lines) -> None:
    lines[3]["payload"]["title"] = "forged"


REFUSALS = {
    "gap": (drop(2), "line 3 (position 4): position 3 is missing"),
    "repeated line": (
        lambda lines: lines.insert(3, dict(lines[2])),
        "line 4 (position 3): position 3 comes again, or out of order, after position 3",
    ),
    "not from 1": (drop(0), "line 1 (position 2): the log starts at position 1"),
    "version skipped": (change(5, "version", 3), "stream task-1 has version 3, expected 2"),
    "edited payload": (retitle, "the hash chain is broken at position 4"),
    "edited actor": (change(6, "actor", "mallory"), "the hash chain is broken at position 7"),
    "unknown type": (change(4, "type", "TaskArchived"), "unknown event type 'TaskArchived'"),
    "future schema": (change(4, "schemaVersion", 9), "TaskCreated has no schema version 9"),
    "undecodable": (
        change(1, "payload", {"nonsense": 1}),
        "line 2 (position 2): the codec cannot decode this UserCreated",
    ),
    "wrong type": (change(1, "version", "1"), "line 2: `version` must be an integer"),
    "missing key": (lambda lines: lines[2].pop("hash") and None, "line 3: expected an object with exactly the keys"),
}


@pytest.mark.parametrize("name", REFUSALS)
def test_an_invalid_file_is_refused_with_its_reason_and_writes_nothing(
    name: str, client: FlaskClient, db_path: Path, tmp_path: Path
) -> None:
    some_history(client)
    lines = exported(db_path)
    spoil, reason = REFUSALS[name]
    spoil(lines)
    target = tmp_path / "never.db"
    result = run("import", str(write(tmp_path / "events.jsonl", lines)), "--db", str(target))

    assert result.exit_code == 1, result.output
    assert reason in result.output
    assert not target.exists()


@pytest.mark.parametrize(
    ("text", "reason"),
    [
        ("{not json\n", "line 2: malformed JSON"),
        ("  x\n", "line 2: malformed JSON"),
        ("[1, 2]\n", "line 2: expected an object"),
        ('{"position": 2, "position": 2}\n', "line 2: malformed JSON: a key is given twice"),
        ("NaN\n", "line 2: malformed JSON: NaN is not JSON"),
    ],
)
def test_a_malformed_line_is_refused_by_its_number_and_an_empty_target_stays_empty(
    text: str, reason: str, client: FlaskClient, db_path: Path, tmp_path: Path
) -> None:
    some_history(client)
    good = write(tmp_path / "good.jsonl", exported(db_path)).read_text()
    first, *rest = good.splitlines(keepends=True)
    (tmp_path / "events.jsonl").write_text(first + text + "".join(rest), encoding="utf-8")
    target = tmp_path / "empty.db"
    prepare_database(str(target))
    result = run("import", str(tmp_path / "events.jsonl"), "--db", str(target))

    assert result.exit_code == 1, result.output
    assert reason in result.output
    assert rows(target) == []


def test_blank_lines_hold_no_row_so_a_file_ending_in_one_imports_the_same(
    client: FlaskClient, db_path: Path, tmp_path: Path
) -> None:
    some_history(client)
    first, *rest = write(tmp_path / "good.jsonl", exported(db_path)).read_text().splitlines(keepends=True)
    (tmp_path / "events.jsonl").write_text(first + "\n  \r\n" + "".join(rest) + "\n\n", encoding="utf-8")
    target = tmp_path / "copy.db"
    result = run("import", str(tmp_path / "events.jsonl"), "--db", str(target), "--head", rows(db_path)[-1]["hash"])

    assert result.exit_code == 0, result.output
    assert rows(target) == rows(db_path)


def test_a_file_that_is_not_utf8_is_refused(tmp_path: Path) -> None:
    (tmp_path / "events.jsonl").write_bytes(b'{"position": "\xff"}\n')
    target = tmp_path / "never.db"
    result = run("import", str(tmp_path / "events.jsonl"), "--db", str(target))
    assert result.exit_code == 1
    assert "not UTF-8" in result.output
    assert not target.exists()


def test_export_names_the_last_position_and_its_hash_on_standard_error(client: FlaskClient, db_path: Path) -> None:
    some_history(client)
    result = run("export", "--db", str(db_path))
    last = rows(db_path)[-1]

    assert result.exit_code == 0
    assert (
        result.stderr
        == f"Exported {last['position']} events, the last at position {last['position']} with hash {last['hash']}.\n"
    )
    assert f"Head hash {last['hash']};" in run("verify", "--db", str(db_path)).output
    empty = run("export", "--db", str(db_path), "--after", str(last["position"]))
    assert empty.stdout == "" and "Exported no events" in empty.stderr


def test_import_with_the_head_export_named_accepts_the_whole_file(
    client: FlaskClient, db_path: Path, tmp_path: Path
) -> None:
    some_history(client)
    head = rows(db_path)[-1]["hash"]
    target = tmp_path / "copy.db"
    result = run(
        "import", str(write(tmp_path / "events.jsonl", exported(db_path))), "--db", str(target), "--head", head
    )

    assert result.exit_code == 0, result.output
    assert result.output.rstrip().endswith(f"head hash {head}.")
    assert rows(target) == rows(db_path)


@pytest.mark.parametrize("cut", [1, 3])
def test_a_file_cut_short_is_refused_when_the_head_is_given_and_writes_nothing(
    client: FlaskClient, db_path: Path, tmp_path: Path, cut: int
) -> None:
    some_history(client)
    everything = exported(db_path)
    head = everything[-1]["hash"]
    short = write(tmp_path / "short.jsonl", everything[:-cut])
    target = tmp_path / "copy.db"

    assert run("import", str(short), "--db", str(target)).exit_code == 0  # nothing inside the file shows the cut
    target.unlink()
    result = run("import", str(short), "--db", str(target), "--head", head)

    assert result.exit_code == 1
    ends = everything[-cut - 1]
    assert f"ends at position {ends['position']} with hash {ends['hash']}, not with the head {head}" in result.output
    assert not target.exists()


def test_an_empty_file_ends_with_the_head_of_an_empty_log_and_no_other(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_text("", encoding="utf-8")
    result = run("import", str(empty), "--db", str(tmp_path / "copy.db"), "--head", "ab" * 32)

    assert result.exit_code == 1
    assert "it holds no events, not with the head" in result.output
    assert not (tmp_path / "copy.db").exists()
    assert run("import", str(empty), "--db", str(tmp_path / "copy.db"), "--head", "0" * 64).exit_code == 0
    assert rows(tmp_path / "copy.db") == []


def test_a_file_cut_short_after_it_was_checked_is_still_refused_by_the_head(
    client: FlaskClient, db_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    some_history(client)
    everything = exported(db_path)
    source = write(tmp_path / "events.jsonl", everything)
    checked = ops._checked

    def checked_then_cut(file: str) -> tuple[int, str]:
        answer = checked(file)
        write(source, everything[:-2])  # the file loses its last lines between the check and the load
        return answer

    monkeypatch.setattr(ops, "_checked", checked_then_cut)
    target = tmp_path / "copy.db"
    result = run("import", str(source), "--db", str(target), "--head", everything[-1]["hash"])

    assert result.exit_code == 1
    assert f"ends at position {everything[-3]['position']} with hash {everything[-3]['hash']}" in result.output
    assert not target.exists()


@pytest.mark.parametrize("head", ["1a7eeb0d", "z" * 64, "ab" * 33])
def test_a_head_that_is_not_a_whole_hash_is_a_usage_error(
    client: FlaskClient, db_path: Path, tmp_path: Path, head: str
) -> None:
    some_history(client)
    target = tmp_path / "copy.db"
    result = run(
        "import", str(write(tmp_path / "events.jsonl", exported(db_path))), "--db", str(target), "--head", head
    )

    assert result.exit_code == 2
    assert "must be the 64 hex digits of the hash export reported" in result.output
    assert not target.exists()
