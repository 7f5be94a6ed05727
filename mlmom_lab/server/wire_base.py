"""What every answer of ``/mlmom/api/`` is (see :mod:`.wire`)."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict
from pydantic.json_schema import SkipJsonSchema


class Answer(BaseModel):
    """An answer: every field named here, none added on the way. A float that is not finite
    (a metric of an all-one-class window is NaN) goes out as null: JSON has no NaN."""

    model_config = ConfigDict(extra="forbid", ser_json_inf_nan="null")


# A field the answer may leave out but never sends as null: ``field?: T`` in TypeScript.
Absent = SkipJsonSchema[None]
