"""DuckDB as the monitoring side uses it: a connection under a memory limit, and one column
of a relation (a view, a table or a subquery) with the queries the drift reductions need."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import duckdb

_FLOATS = {"DOUBLE", "FLOAT", "REAL", "DECIMAL"}
_INTEGERS = {"TINYINT", "SMALLINT", "INTEGER", "BIGINT", "UTINYINT", "USMALLINT", "UINTEGER"}


def connect(
    memory_limit: str = "1GB", temp_directory: Path | None = None, threads: int = 0
) -> duckdb.DuckDBPyConnection:
    """A DuckDB connection that stays under ``memory_limit``, spilling to ``temp_directory``
    (without ``preserve_insertion_order = false`` large scans keep rows in memory)."""
    import duckdb

    con = duckdb.connect(config={"preserve_insertion_order": False})
    con.execute(f"SET memory_limit = '{literal(memory_limit)}'")
    if temp_directory is not None:
        Path(temp_directory).mkdir(parents=True, exist_ok=True)
        con.execute(f"SET temp_directory = '{literal(str(temp_directory))}'")
    if threads:
        con.execute(f"SET threads = {int(threads)}")
    return con


def quote(name: str) -> str:
    """A column name as a DuckDB identifier."""
    return '"' + name.replace('"', '""') + '"'


def literal(text: str) -> str:
    """Text to put between single quotes in SQL."""
    return text.replace("'", "''")


@dataclass(frozen=True)
class Column:
    """One column of a DuckDB relation (a view, a table or a subquery in parentheses)."""

    con: duckdb.DuckDBPyConnection
    relation: str
    name: str
    dtype: str  # DuckDB's type name

    @property
    def ident(self) -> str:
        return quote(self.name)

    @property
    def base_type(self) -> str:
        return self.dtype.upper().split("(")[0]

    @property
    def numeric(self) -> bool:
        return self.base_type in _FLOATS | _INTEGERS

    @property
    def usable(self) -> str:
        """Rows whose value counts: not NULL and, for floats, finite (Evidently drops both)."""
        if self.base_type in _FLOATS:
            return f"{self.ident} IS NOT NULL AND isfinite({self.ident})"
        return f"{self.ident} IS NOT NULL"

    def sql(self, select: str, where: str = "", group: str = "") -> str:
        condition = self.usable + (f" AND ({where})" if where else "")
        tail = f" GROUP BY {group}" if group else ""
        return f"SELECT {select} FROM {self.relation} WHERE {condition}{tail}"

    def one(self, select: str) -> tuple[Any, ...]:
        found = self.con.execute(self.sql(select)).fetchone()
        assert found is not None  # an aggregate without GROUP BY: one row
        return found

    def counts(self) -> dict[Any, int]:
        rows = self.con.execute(self.sql(f"{self.ident}, count(*)", group=self.ident)).fetchall()
        return {value: int(n) for value, n in rows}

    def distinct_at_most(self, limit: int) -> bool:
        found = self.con.execute(
            f"SELECT count(*) FROM (SELECT DISTINCT {self.ident} FROM {self.relation} "
            f"WHERE {self.usable} LIMIT {limit + 1})"
        ).fetchone()
        return found is not None and found[0] <= limit


def columns_of(con: duckdb.DuckDBPyConnection, relation: str) -> dict[str, str]:
    """Name -> DuckDB type of a relation's columns."""
    return {row[0]: row[1] for row in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()}


def numeric_kind(column: Column, distinct_at_most_limit: bool) -> str:
    """Evidently: floats are numerical; integers with at most 10 values categorical."""
    if column.base_type in _FLOATS:
        return "numerical"
    return "categorical" if distinct_at_most_limit else "numerical"
