"""Micro-batching on the example's real champion: same answers, fewer predictions, and one bad
request never fails its neighbours."""

import asyncio

import numpy as np
import pytest

from mlmom_lab.errors import InvalidInput
from mlmom_lab.serving.batching import Batcher, BatchPolicy


@pytest.fixture(scope="module")
def requests(held_out):
    """40 one-row requests of real held-out rows, as JSON would bring them."""
    head = held_out.head(40).astype(object).where(held_out.head(40).notna(), None)
    return [{c: [head[c].iloc[i]] for c in head.columns} for i in range(len(head))]


def alone(champion, raw):
    return champion.predict(champion.schema.validate(raw))


async def together(batcher, raws, turns_apart=0):
    """Every request of ``raws`` at once, or each ``turns_apart`` turns of the event loop
    after the one before (apart in order, not in time: no clock, whatever the load)."""

    async def one(i, raw):
        for _ in range(i * turns_apart):
            await asyncio.sleep(0)  # one turn of the loop
        return await batcher.predict(raw)

    return await asyncio.gather(*(one(i, r) for i, r in enumerate(raws)), return_exceptions=True)


def test_concurrent_requests_share_predictions_and_get_their_own_answers(champion, requests):
    batcher = Batcher(champion, BatchPolicy(max_batch_size=16))
    results = asyncio.run(together(batcher, requests))
    assert batcher.batches == 3  # 40 rows in batches of 16, 16 and 8
    for raw, (columns, prediction) in zip(requests, results):
        expected = alone(champion, raw)
        assert prediction.values.tolist() == expected.values.tolist()
        np.testing.assert_allclose(prediction.probabilities, expected.probabilities, rtol=1e-5)
        assert columns["tenure_months"].tolist() == raw["tenure_months"]


def test_a_bad_request_fails_alone_with_its_own_message(champion, requests):
    bad = {**requests[3], "tenure_months": ["three"]}
    raws = [*requests[:3], bad, *requests[4:8]]
    results = asyncio.run(together(Batcher(champion, BatchPolicy(max_batch_size=64)), raws))
    assert isinstance(results[3], InvalidInput)
    assert "column 'tenure_months' expects long" in results[3].message
    assert "at row 0" in results[3].message  # the row within its own request
    good = [r for i, r in enumerate(results) if i != 3]
    assert all(isinstance(r, tuple) for r in good)
    assert [r[1].values[0] for r in good] == [
        alone(champion, raw).values[0] for i, raw in enumerate(raws) if i != 3
    ]


def test_a_bool_is_refused_in_a_number_column_whether_batched_or_not(champion, requests):
    bad = {**requests[1], "support_calls": [True]}
    results = asyncio.run(together(Batcher(champion, BatchPolicy()), [requests[0], bad]))
    assert isinstance(results[1], InvalidInput) and "got bool True" in results[1].message
    with pytest.raises(InvalidInput, match="got bool True"):
        champion.schema.validate(bad)


def test_requests_without_an_optional_column_join_a_batch(champion, requests):
    without_age = {k: v for k, v in requests[2].items() if k != "age"}
    batcher = Batcher(champion, BatchPolicy())
    results = asyncio.run(together(batcher, [requests[0], without_age, requests[1]]))
    assert batcher.batches == 1
    assert np.isnan(results[1][0]["age"][0])
    assert results[1][1].values[0] == alone(champion, without_age).values[0]


def test_max_wait_gathers_requests_that_arrive_apart(champion, requests):
    """Without a wait, a batch is what arrived in one turn of the loop; with one, requests
    that arrive turns apart wait for company (here until the batch is full, 6 rows)."""
    eager = Batcher(champion, BatchPolicy(max_batch_size=6, max_wait_ms=0))
    asyncio.run(together(eager, requests[:6], turns_apart=3))
    patient = Batcher(champion, BatchPolicy(max_batch_size=6, max_wait_ms=60_000))
    answers = asyncio.run(together(patient, requests[:6], turns_apart=3))
    assert eager.batches == 6 and patient.batches == 1
    assert [a[1].values[0] for a in answers] == [alone(champion, r).values[0] for r in requests[:6]]


def test_big_requests_and_a_batch_size_of_one_skip_the_queue(champion, requests):
    big = {c: [r[c][0] for r in requests] for c in requests[0]}
    batcher = Batcher(champion, BatchPolicy(max_batch_size=8))
    ((_columns, prediction),) = asyncio.run(together(batcher, [big]))
    assert len(prediction.values) == 40 and batcher.batches == 1
    off = Batcher(champion, BatchPolicy(max_batch_size=1))
    asyncio.run(together(off, requests[:5]))
    assert off.batches == 5
