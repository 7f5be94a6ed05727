"""The prediction log's Parquet mirror: one folder per day, appended to without gaps or
duplicates, and a window's drift over it by DuckDB equal to the window's drift in memory."""

import datetime
import json

import numpy as np
import pandas as pd
import pytest

from mlmom_lab.errors import InvalidInput
from mlmom_lab.monitoring import check_drift, mirror, reference_stats
from mlmom_lab.monitoring.columnar import check_drift_columnar, connect
from mlmom_lab.monitoring.mirror import batch_end, position, relation, sync
from mlmom_lab.monitoring.windows import expand
from mlmom_lab.predictions.database import SQLiteStore

DAY = 86400.0
START = datetime.datetime(2026, 11, 30, 22, tzinfo=datetime.UTC).timestamp()


def log_requests(store, rng, first_ts, count, step=60.0 + 1 / 3):
    """``count`` requests of 1-3 rows, one every ``step`` seconds from ``first_ts``."""
    rows = []
    for i in range(count):
        n = int(rng.integers(1, 4))
        inputs = {"age": rng.normal(40, 10, n).round(2).tolist(),
                  "plan": rng.choice(["basic", "pro"], n).tolist()}  # fmt: skip
        outputs = {"predict": rng.integers(0, 2, n).tolist(),
                   "predict_proba": [[0.3, 0.7]] * n}  # fmt: skip
        ts = first_ts + i * step
        rows.append((f"r{ts:.0f}", ts, "churn", "1", "champion", n, inputs, outputs, 5.0 + i % 7))
    store.write_predictions(rows)
    return rows


@pytest.fixture
def logged(tmp_path):
    store = SQLiteStore(tmp_path / "predictions.db")
    rng = np.random.default_rng(0)
    written = log_requests(store, rng, START, 300)  # 5 hours: across midnight
    yield store, f"sqlite:///{tmp_path / 'predictions.db'}", tmp_path / "mirror", written
    store.close()


def mirrored(folder):
    con = connect("256MB")
    return con.execute(f"SELECT * FROM {relation(folder)} ORDER BY ts, row").df()


def test_a_sync_mirrors_every_row_once_in_a_folder_per_day(logged):
    _, uri, folder, written = logged
    added = sync(uri, folder, now=START + 2 * DAY)
    rows = mirrored(folder)
    assert added == len(rows) == sum(r[5] for r in written)
    assert sorted(p.name for p in folder.iterdir()) == ["day=2026-11-30", "day=2026-12-01"]
    assert rows.groupby("request_id").size().to_dict() == {r[0]: r[5] for r in written}
    assert rows["latency_ms"].notna().sum() == len(written)  # one latency per request
    assert set(rows["model"]) == {"churn"} and set(rows["version"]) == {"1"}
    assert sync(uri, folder, now=START + 2 * DAY) == 0  # nothing new: nothing added


def test_later_syncs_append_only_what_is_new_and_wait_for_late_commits(logged):
    store, uri, folder, written = logged
    sync(uri, folder, now=START + 2 * DAY)
    more = log_requests(store, np.random.default_rng(1), START + 2 * DAY, 10)
    assert sync(uri, folder, now=more[-1][1] + 30) == sum(r[5] for r in more[:-1])  # lag: 60 s
    assert sync(uri, folder, now=more[-1][1] + 61) == more[-1][5]
    rows = mirrored(folder)
    assert not rows.duplicated(["request_id", "row"]).any()
    assert len(rows) == sum(r[5] for r in written + more)


def test_a_sync_interrupted_before_its_rename_leaves_the_mirror_where_it_was(logged):
    _, uri, folder, _ = logged
    sync(uri, folder, now=START + 2 * DAY)
    stood = position(folder)
    (folder / "day=2026-12-01" / f".{stood!r}-{stood + 10!r}.parquet.1.tmp").write_bytes(b"x")
    assert position(folder) == stood and sync(uri, folder, now=START + 2 * DAY) == 0


def test_drift_over_the_mirror_equals_the_drift_of_the_window_in_memory(logged):
    _, uri, folder, written = logged
    sync(uri, folder, now=START + 2 * DAY)
    records = [(r[0], r[1], r[4], r[5], json.dumps(r[6]), json.dumps(r[7]), r[8]) for r in written]
    frame = expand(records, None)  # the window as the log gives it
    rng = np.random.default_rng(5)
    stats = reference_stats(frame.assign(age=rng.normal(42, 10, len(frame)))[["age", "plan"]])
    con = connect("256MB")
    ours = check_drift_columnar(stats, con, f"(SELECT * FROM {relation(folder)})",
                                ["age", "plan"], in_memory_rows=0)  # fmt: skip
    theirs = check_drift(stats, frame[["age", "plan"]])
    for column in theirs.columns:
        assert ours[column.column].score == pytest.approx(column.score, rel=1e-6)
        assert ours[column.column].drifted == column.drifted


def test_an_empty_mirror_is_named(tmp_path):
    with pytest.raises(InvalidInput, match="mirror in .* is empty"):
        relation(tmp_path / "nothing")


def test_the_cli_mirrors_a_projects_log(tmp_path):
    from ..helpers import mlmom

    mlmom("init", str(tmp_path / "p"), cwd=tmp_path, check=True)
    store = SQLiteStore(tmp_path / "p" / ".mlmom" / "predictions.db")
    written = log_requests(store, np.random.default_rng(2), START, 5)
    store.close()
    done = mlmom("monitor", "mirror", "--lag", "0", cwd=tmp_path / "p")
    assert done.returncode == 0, done.stderr
    assert f"mirrored {sum(r[5] for r in written)} rows to" in done.stdout
    assert len(mirrored(tmp_path / "p" / ".mlmom" / "mirror")) == sum(r[5] for r in written)


def test_days_older_than_the_retention_are_forgotten_whole(logged):
    from mlmom_lab.monitoring.mirror import forget_before

    _, uri, folder, _ = logged
    sync(uri, folder, now=START + 2 * DAY)
    midnight = START + 2 * 3600  # the log spans 22:00 on 30 Nov to 03:00 on 1 Dec
    assert forget_before(folder, midnight - 1) == 0  # 30 Nov not yet over: kept
    assert forget_before(folder, midnight + 3600) == 1
    assert sorted(p.name for p in folder.iterdir()) == ["day=2026-12-01"]
    assert set(mirrored(folder)["ts"] >= midnight) == {True}


def test_a_file_holds_a_bounded_number_of_rows_however_large_the_requests(tmp_path, monkeypatch):
    monkeypatch.setattr(mirror, "BATCH_ROWS", 50)
    store = SQLiteStore(tmp_path / "predictions.db")
    rows = []
    for i, n in enumerate([20, 20, 20, 70, 5, 5, 5]):  # batch scoring: one request, many rows
        inputs, outputs = {"age": [30.0] * n}, {"predict": [1] * n}
        rows.append((f"b{i}", START + i, "churn", "1", "champion", n, inputs, outputs, 1.0))
    store.write_predictions(rows)
    store.close()
    folder = tmp_path / "mirror"
    assert sync(f"sqlite:///{tmp_path / 'predictions.db'}", folder, now=START + DAY) == 145
    sizes = sorted(
        (position_of(p), len(pd.read_parquet(p))) for p in folder.glob("day=*/*.parquet")
    )
    assert [n for _, n in sizes] == [40, 20, 70, 15]  # 40 + 20 > 50; 70 alone; the rest
    assert mirrored(folder)["request_id"].value_counts().to_dict() == {r[0]: r[5] for r in rows}


def position_of(path):
    return float(path.stem.split("-")[-1])


def test_a_batch_ends_on_a_whole_timestamp():
    # (ts, rows) of the requests found, at most `limit` of them
    assert batch_end([], 3, 10) is None
    assert batch_end([(1.0, 4), (2.0, 4), (3.0, 4)], 5, 10) == 2.0
    assert batch_end([(1.0, 40)], 5, 10) == 1.0  # one timestamp over the bound: taken whole
    assert batch_end([(1.0, 1), (2.0, 1), (2.0, 1)], 3, 10) == 1.0  # 2.0 may go on past 3
    assert batch_end([(2.0, 1), (2.0, 1), (2.0, 1)], 3, 10) == 2.0  # all one: read it whole


def test_a_row_in_the_last_microsecond_of_a_day_is_mirrored(tmp_path):
    midnight = datetime.datetime(2026, 12, 1, tzinfo=datetime.UTC).timestamp()
    store = SQLiteStore(tmp_path / "predictions.db")
    stamps = [midnight - 1, midnight - 7e-7, midnight, midnight + 1]  # 23:59:59.999999
    store.write_predictions([
        (f"m{i}", ts, "churn", "1", "champion", 1, {"age": [30.0]}, {"predict": [1]}, 1.0)
        for i, ts in enumerate(stamps)
    ])  # fmt: skip
    store.close()
    folder = tmp_path / "mirror"
    assert sync(f"sqlite:///{tmp_path / 'predictions.db'}", folder, now=midnight + DAY) == 4
    days = {p.parent.name for p in folder.glob("day=*/*.parquet")}
    assert days == {"day=2026-11-30", "day=2026-12-01"}
