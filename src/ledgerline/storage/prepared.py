"""Hot statements compiled once per dialect and run on the driver's cursor.

SQLAlchemy Core costs ≈20 µs a call on top of the driver (execution context, compiled-cache
lookup, result wrapping): more than SQLite itself takes for a primary-key lookup. The
statements every message or ingested transaction runs are built once with bind parameters
(see ``stores/threads.py``); :class:`Prepared` also compiles them once per dialect and, inside
the connection's transaction, hands the SQL and the parameters straight to the DB-API cursor.
The connection's transaction, savepoints and dialect stay SQLAlchemy's: this is the same
connection, the same SQL SQLAlchemy would send (SQLite and PostgreSQL alike).

Only statements whose parameters and result columns need no type conversion take the direct
path (checked when compiled); any other falls back to ``Connection.execute``, as does a
statement on a connection without a transaction (SQLAlchemy would begin one).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler


class _DriverBytes(sa.types.TypeDecorator[bytes]):
    """``bytes`` handed to the driver as they are: both drivers store them as a BLOB/BYTEA.
    (``LargeBinary`` wraps them for pysqlite first, which changes nothing that is stored but
    keeps a statement off the direct path.)"""

    impl = sa.LargeBinary
    cache_ok = True

    def bind_processor(self, dialect: Dialect) -> None:
        return None


def driver_bytes(name: str) -> sa.BindParameter[bytes]:
    """A bind parameter for a binary column, see :class:`_DriverBytes`."""
    return sa.bindparam(name, type_=_DriverBytes())


@dataclass(frozen=True, slots=True)
class _Compiled:
    sql: str
    positions: tuple[str, ...] | None  # parameter names in order (qmark style), else None
    fixed: dict[str, Any]  # values bound when the statement was built (e.g. LIMIT 1)


def _direct_path_possible(statement: Any, compiled: SQLCompiler, dialect: Dialect) -> bool:
    """No parameter or result column needs a type conversion, no IN list expands."""
    for bind in compiled.binds.values():
        if bind.expanding or bind.type.dialect_impl(dialect).bind_processor(dialect):
            return False
    for column in getattr(statement, "exported_columns", ()):
        try:
            if column.type.dialect_impl(dialect).result_processor(dialect, None):
                return False
        except Exception:  # a type that decides by the driver's column type: let SA run it
            return False
    return True


class Prepared:
    """``statement`` (a Core statement with ``bindparam`` placeholders), ready to run.

    ``first``/``all`` answer plain tuples in the statement's column order; ``run`` answers
    the row count.
    """

    __slots__ = ("_by_dialect", "statement")

    def __init__(self, statement: sa.Executable) -> None:
        self.statement = statement
        self._by_dialect: dict[str, _Compiled | None] = {}

    def _compiled(self, dialect: Dialect) -> _Compiled | None:
        key = f"{dialect.name}+{dialect.driver}"
        if key not in self._by_dialect:
            compiled = self.statement.compile(dialect=dialect)  # type: ignore[attr-defined]
            if not isinstance(compiled, SQLCompiler) or not _direct_path_possible(
                self.statement, compiled, dialect
            ):
                self._by_dialect[key] = None
            else:
                positions = tuple(compiled.positiontup or ()) if compiled.positional else None
                required = {name for name, bind in compiled.binds.items() if bind.required}
                fixed = {k: v for k, v in compiled.params.items() if k not in required}
                self._by_dialect[key] = _Compiled(str(compiled), positions, fixed)
        return self._by_dialect[key]

    def _cursor(self, conn: sa.Connection, params: Mapping[str, Any]) -> Any | None:
        """The driver cursor that ran the statement, or None where SQLAlchemy must run it."""
        if not conn.in_transaction():
            return None
        compiled = self._compiled(conn.dialect)
        if compiled is None:
            return None
        dbapi_connection = conn.connection.dbapi_connection
        if dbapi_connection is None:  # pragma: no cover - an open connection always has one
            return None
        values = {**compiled.fixed, **params} if compiled.fixed else params
        cursor = dbapi_connection.cursor()
        arguments = (
            values
            if compiled.positions is None
            else tuple(values[name] for name in compiled.positions)
        )
        try:
            cursor.execute(compiled.sql, arguments)
        except conn.dialect.loaded_dbapi.Error as error:  # as SQLAlchemy would handle it
            lost = conn.dialect.is_disconnect(error, dbapi_connection, cursor)
            cursor.close()
            if lost:  # the connection is gone: the pool replaces it, as after Connection.execute
                conn.invalidate(error)
            raise sa.exc.DBAPIError.instance(
                compiled.sql,
                arguments,
                error,
                conn.dialect.loaded_dbapi.Error,
                connection_invalidated=lost,
                dialect=conn.dialect,
            ) from error
        return cursor

    def first(self, conn: sa.Connection, params: Mapping[str, Any]) -> Sequence[Any] | None:
        cursor = self._cursor(conn, params)
        if cursor is None:
            row = conn.execute(self.statement, dict(params)).first()
            return None if row is None else tuple(row)
        try:
            found: Sequence[Any] | None = cursor.fetchone()
            return found
        finally:
            cursor.close()

    def all(self, conn: sa.Connection, params: Mapping[str, Any]) -> list[Sequence[Any]]:
        cursor = self._cursor(conn, params)
        if cursor is None:
            return [tuple(row) for row in conn.execute(self.statement, dict(params))]
        try:
            return list(cursor.fetchall())
        finally:
            cursor.close()

    def run(self, conn: sa.Connection, params: Mapping[str, Any]) -> int:
        cursor = self._cursor(conn, params)
        if cursor is None:
            result = conn.execute(self.statement, dict(params))
            return int(getattr(result, "rowcount", 0) or 0)
        try:
            return int(cursor.rowcount or 0)
        finally:
            cursor.close()
