"""The prediction log: batched writes, personal data, durability modes, feedback; in SQLite
directly and through SQLAlchemy (the path a server database such as PostgreSQL takes)."""

import json
import sqlite3
import threading
import time

import numpy as np
import pytest

from mlmom_lab.errors import InvalidInput, NotFound, RequestIdTaken
from mlmom_lab.predictions.feedback import add_feedback
from mlmom_lab.predictions.log import PredictionLog, salt_for
from mlmom_lab.predictions.retention import prune


@pytest.fixture(params=["sqlite", "sqlalchemy"])
def uri(request, tmp_path):
    """A log URI for a file name: ``sqlite:///`` (stdlib) or ``sqlite+pysqlite:///`` (SQLAlchemy)."""
    scheme = "sqlite" if request.param == "sqlite" else "sqlite+pysqlite"
    return lambda name: f"{scheme}:///{tmp_path / name}"


def rows(path, table="predictions"):
    conn = sqlite3.connect(path)
    try:
        conn.row_factory = sqlite3.Row
        return [dict(r) for r in conn.execute(f"SELECT * FROM {table} ORDER BY rowid")]
    finally:
        conn.close()


def record(log, rid, **columns):
    return log.record(
        request_id=rid,
        model="m",
        version="1",
        route="champion",
        columns={k: np.asarray(v, dtype=object) for k, v in columns.items()},
        outputs={"predict": np.array([1] * len(next(iter(columns.values()))))},
        latency_ms=1.5,
    )


def test_records_are_written_and_personal_data_never_is(tmp_path, uri):
    log = PredictionLog(
        uri("p.db"), personal_data={"email": "hash", "name": "drop"}, salt=b"s3cret"
    )
    for i in range(500):
        record(log, f"r{i}", email=[f"user{i}@example.com"], name=["Ada"], age=[30 + i])
    log.close()  # a graceful shutdown writes everything queued
    logged = rows(tmp_path / "p.db")
    assert len(logged) == 500 and logged[0]["request_id"] == "r0"
    inputs = json.loads(logged[7]["inputs"])
    assert set(inputs) == {"email", "age"} and inputs["age"] == [37]
    assert inputs["email"][0] != "user7@example.com" and len(inputs["email"][0]) == 32
    raw = (tmp_path / "p.db").read_bytes() + b"".join(
        f.read_bytes() for f in tmp_path.glob("p.db-*")
    )
    assert b"example.com" not in raw and b"Ada" not in raw
    assert json.loads(logged[0]["outputs"]) == {"predict": [1]}


def test_hashes_are_stable_for_a_salt_and_differ_across_salts(tmp_path, uri):
    a = PredictionLog(uri("a.db"), personal_data={"email": "hash"}, salt=b"one")
    b = PredictionLog(uri("b.db"), personal_data={"email": "hash"}, salt=b"two")
    for log in (a, b):
        record(log, "x", email=["ada@example.com"])
        record(log, "y", email=["ada@example.com"])
        log.close()
    ha = [json.loads(r["inputs"])["email"][0] for r in rows(tmp_path / "a.db")]
    hb = [json.loads(r["inputs"])["email"][0] for r in rows(tmp_path / "b.db")]
    assert ha[0] == ha[1] and ha[0] != hb[0]  # joinable within a project, not guessable across


def test_safe_mode_answers_only_once_committed(tmp_path, uri):
    log = PredictionLog(uri("p.db"), durability="safe")
    done = record(log, "r1", x=[1.0])
    assert done.result(timeout=60) is True
    assert [r["request_id"] for r in rows(tmp_path / "p.db")] == ["r1"]  # before close
    log.close()


def test_salt_is_kept_private(tmp_path, monkeypatch):
    monkeypatch.delenv("MLMOM_LOG_SALT", raising=False)
    first = salt_for(tmp_path)
    assert first == salt_for(tmp_path) and len(first) == 64
    assert (tmp_path / "log_salt").stat().st_mode & 0o777 == 0o600


def test_feedback_validation_and_storage(tmp_path, uri):
    path = tmp_path / "p.db"
    log = PredictionLog(uri("p.db"))
    record(log, "r1", x=[1.0])
    record(log, "r2", x=[1.0, 2.0, 3.0, 4.0])
    log.close()
    assert (
        add_feedback(
            uri("p.db"),
            [{"request_id": "r1", "label": 1}, {"request_id": "r2", "label": "yes", "row": 3}],
        )
        == 2
    )
    assert [
        (r["request_id"], r["row"], json.loads(r["label"])) for r in rows(path, "feedback")
    ] == [("r1", 0, 1), ("r2", 3, "yes")]
    for bad, message in [
        ([], "non-empty list"),
        ([{"label": 1}], "labels\\[0\\] needs a string"),
        ([{"request_id": "r", "label": 1, "row": -1}], "non-negative"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            add_feedback(uri("p.db"), bad)


def test_a_label_for_a_request_or_row_never_logged_is_refused_and_none_of_its_call_kept(
    tmp_path, uri
):
    log = PredictionLog(uri("p.db"))
    record(log, "seen", x=[1.0, 2.0])
    log.close()
    good = {"request_id": "seen", "row": 1, "label": 0}
    with pytest.raises(
        NotFound,
        match=r"labels\[1\]: no prediction was logged under "
        r"request id 'typo'; no label of this call was kept",
    ):
        add_feedback(uri("p.db"), [good, {"request_id": "typo", "label": 1}])
    with pytest.raises(
        NotFound,
        match=r"labels\[0\]: request 'seen' logged 2 row\(s\), so "
        r"it has no row 2",
    ):
        add_feedback(uri("p.db"), [{"request_id": "seen", "row": 2, "label": 1}, good])
    assert rows(tmp_path / "p.db", "feedback") == []  # all or nothing
    assert add_feedback(uri("p.db"), [good]) == 1


def test_a_client_request_id_names_one_request_queued_or_written(tmp_path, uri):
    log = PredictionLog(uri("p.db"))
    log.check_new("once")
    record(log, "once", x=[1.0])
    with pytest.raises(RequestIdTaken, match="request id 'once' was already used"):
        log.check_new("once")  # still queued or just written: either way taken
    log.flush()
    with pytest.raises(RequestIdTaken):
        log.check_new("once")
    log.check_new("other")
    log.close()


def test_a_request_id_logged_twice_keeps_one_row(tmp_path, uri):
    log = PredictionLog(uri("p.db"))
    record(log, "same", x=[1.0])
    record(log, "same", x=[2.0])
    log.close()
    assert [json.loads(r["inputs"])["x"] for r in rows(tmp_path / "p.db")] == [[2.0]]


def test_a_database_that_is_down_keeps_records_for_a_retry(tmp_path):
    log = PredictionLog(f"sqlite+pysqlite:///{tmp_path / 'p.db'}")
    real = log.store.write_predictions
    calls = []

    def flaky(batch):
        calls.append(len(batch))
        if len(calls) == 1:
            raise ConnectionError("database restarting")
        real(batch)

    log.store.write_predictions = flaky
    for i in range(20):
        record(log, f"r{i}", x=[float(i)])
    log.close()
    assert len(calls) >= 2 and len(rows(tmp_path / "p.db")) == 20


def test_bad_or_unreachable_database_uris_say_so_without_the_password(tmp_path):
    from mlmom_lab.errors import InvalidRequest, StoreUnavailable

    with pytest.raises(InvalidRequest, match="driver is not installed") as missing:
        PredictionLog("nosuchdb://ada:hunter2@db.example.com/log")
    assert "hunter2" not in str(missing.value)
    with pytest.raises(StoreUnavailable, match="unreachable") as down:
        PredictionLog(f"sqlite+pysqlite:///{tmp_path}/no/such/dir/p.db")
    assert "hunter2" not in str(down.value)


def test_while_the_database_is_away_safe_records_wait_in_the_spool_and_reach_it_later(tmp_path):
    log = PredictionLog(
        f"sqlite+pysqlite:///{tmp_path / 'p.db'}", durability="safe", spool=tmp_path / "spool.db"
    )
    real, away = log.store.write_encoded_predictions, {"on": True}

    def down_or_up(batch):
        if away["on"]:
            raise ConnectionError("database restarting")
        real(batch)

    log.store.write_encoded_predictions = down_or_up
    answers = [record(log, f"r{i}", x=[float(i)]) for i in range(20)]
    assert all(done.result(timeout=30) for done in answers)  # acknowledged: in the spool
    assert rows(tmp_path / "p.db") == [] and len(rows(tmp_path / "spool.db")) == 20
    with pytest.raises(RequestIdTaken):
        log.check_new("r3")  # the spool is asked while the database is away

    away["on"] = False
    deadline = time.monotonic() + 30
    while len(rows(tmp_path / "p.db")) < 20 and time.monotonic() < deadline:
        time.sleep(0.1)
    log.close()
    assert [r["request_id"] for r in rows(tmp_path / "p.db")] == [f"r{i}" for i in range(20)]
    assert rows(tmp_path / "spool.db") == []


def test_retention_deletes_old_predictions_and_their_labels_in_batches_while_writes_go_on(
    tmp_path, uri
):
    log = PredictionLog(uri("p.db"))
    store, now = log.store, time.time()
    old = [(f"old{i}", now - 100 * 86400, "m", "1", "champion", 1, {"x": [i]}, {}, 1.0)
           for i in range(20_000)]  # fmt: skip
    store.write_predictions(old)
    add_feedback(uri("p.db"), [{"request_id": "old7", "label": 1}])

    written = []
    pruning = threading.Thread(target=lambda: written.append(prune(store, 90 * 86400, batch=200)))
    pruning.start()
    i = 0
    while pruning.is_alive():  # a writer commits between the prune's batches
        record(log, f"new{i}", x=[float(i)])
        log.flush()
        i += 1
    pruning.join()
    log.close()
    assert written == [20_000] and i >= 2
    left = rows(tmp_path / "p.db")
    assert [r["request_id"] for r in left] == [f"new{n}" for n in range(i)]
    assert rows(tmp_path / "p.db", "feedback") == []
