"""Read a query's result as columns (NumPy arrays), never as a Python object per row.

Arrow through ADBC (`adbc-driver-sqlite`, `adbc-driver-postgresql`): the database's rows
go straight into Arrow's columnar buffers in C; text columns, read as Arrow strings, are
then dictionary encoded by Arrow, also in C, into small integers and the few distinct texts
(a million figures have a dozen period labels). ADBC opens its own connection, which sees
committed data only: inside a transaction of Django's connection (a test, a write being
checked), the same query runs on that connection instead, read row by row; both paths give
the same columns.
"""

from __future__ import annotations

import atexit
import contextlib
import enum
import logging
import threading
from dataclasses import dataclass
from operator import itemgetter
from urllib.parse import quote, urlencode

import numpy as np
from django.core.exceptions import EmptyResultSet
from django.db import connection

logger = logging.getLogger(__name__)
_local = threading.local()
_opened: list = []  # every thread's connection, closed at exit (ADBC warns otherwise)


@dataclass
class Codes:
    """A text column as codes: ``index`` (N,) int into ``labels``, the distinct texts."""

    index: np.ndarray
    labels: list[str]


def fetch_columns(
    queryset, fields: dict[str, str], *, columnar: bool = True
) -> dict[str, np.ndarray | Codes]:
    """Return the rows of ``queryset`` as one column per field.

    ``fields`` maps each field to its kind: "int" (NULL → -1), "float" (NULL → NaN), "bool",
    "text" (read as Codes). The ORM builds the query (scopes, "as of" filters). A read
    known to be small (not ``columnar``) goes through Django's cursor: a server process
    that only brings its evaluation up to date never loads Arrow and its drivers (some
    80 MB of libraries resident).
    """
    # No ORDER BY: the rows go into arrays by position, and model orderings add joins.
    try:
        sql, params = queryset.order_by().values_list(*fields).query.sql_with_params()
    except EmptyResultSet:  # `field__in=[]`: no row can match
        return _by_rows("", (), fields, rows=[])
    params = tuple(p.value if isinstance(p, enum.Enum) else p for p in params)
    if not columnar or connection.in_atomic_block or not _adbc_ready():
        return _by_rows(sql, params, fields)
    try:
        return _by_arrow(sql, params, fields)
    except Exception:  # noqa: BLE001 - a driver's error of any kind: the cursor still reads it
        # A lost connection (a restarted server), or a column whose type the driver
        # guessed from its first rows: read row by row, and connect anew next time.
        logger.warning("Columnar read failed; reading row by row instead", exc_info=True)
        close()
        return _by_rows(sql, params, fields)


def _by_rows(sql: str, params: tuple, fields: dict[str, str], rows: list | None = None) -> dict:
    if rows is None:
        with connection.cursor() as cursor:
            cursor.execute(sql, params)
            rows = cursor.fetchall()
    n = len(rows)
    out = {}
    for k, (name, kind) in enumerate(fields.items()):
        column = map(itemgetter(k), rows)
        if kind == "text":
            labels = sorted(set(map(itemgetter(k), rows)))
            where = {label: j for j, label in enumerate(labels)}
            index = np.fromiter(map(where.__getitem__, column), dtype=np.int64, count=n)
            out[name] = Codes(index, labels)
        elif kind == "int":
            out[name] = np.fromiter((-1 if x is None else x for x in column), np.int64, count=n)
        elif kind == "float":
            out[name] = np.fromiter((np.nan if x is None else x for x in column), float, count=n)
        else:
            out[name] = np.fromiter(column, dtype=bool, count=n)
    return out


def arrow_table(sql: str, params: tuple):
    """Return the result of ``sql`` (Django's ``%s`` placeholders) as an Arrow table,
    read through this thread's ADBC connection."""
    cursor = _adbc().cursor()
    if connection.vendor == "sqlite":
        # The driver guesses each column's type from its first batch of rows: one batch
        # for the whole result, so that NULLs first and numbers later are read alike.
        cursor.adbc_statement.set_options(**{"adbc.sqlite.query.batch_rows": str(2**30)})
    try:
        cursor.execute(_placeholders(sql, len(params)), params or None)
        return cursor.fetch_arrow_table()
    finally:
        cursor.close()


def _by_arrow(sql: str, params: tuple, fields: dict[str, str]) -> dict:
    import pyarrow as pa
    import pyarrow.compute as pc

    table = arrow_table(sql, params)
    out = {}
    for k, (name, kind) in enumerate(fields.items()):
        column = table.column(k)
        if kind == "text":
            if column.num_chunks == 0 or not len(column):
                out[name] = Codes(np.zeros(0, dtype=np.int64), [])
                continue
            encoded = pc.dictionary_encode(column).combine_chunks()
            labels = encoded.dictionary.to_pylist()
            order = np.argsort(np.array(labels, dtype=object)) if labels else np.zeros(0, int)
            rank = np.empty(len(labels), dtype=np.int64)
            rank[order] = np.arange(len(labels))
            index = rank[encoded.indices.to_numpy(zero_copy_only=False)]
            out[name] = Codes(index, sorted(labels))
        elif kind == "int":
            out[name] = pc.fill_null(column.cast(pa.int64()), -1).to_numpy()
        elif kind == "float":
            out[name] = column.cast(pa.float64()).to_numpy(zero_copy_only=False)
        else:
            out[name] = pc.fill_null(column.cast(pa.bool_()), False).to_numpy(zero_copy_only=False)
    return out


def _placeholders(sql: str, count: int) -> str:
    """Return Django's ``%s`` placeholders written as the ADBC driver takes them."""
    if connection.vendor == "postgresql":
        return sql % tuple(f"${k + 1}" for k in range(count))
    return sql % (("?",) * count)


def _adbc_ready() -> bool:
    """Return whether ADBC can read this database (a file, or a PostgreSQL server)."""
    settings = connection.settings_dict
    if connection.vendor == "sqlite":
        name = str(settings["NAME"])
        return not (name == ":memory:" or "mode=memory" in name)
    return connection.vendor == "postgresql"


def _adbc():
    """Return this thread's ADBC connection to the database, opened on first use."""
    settings = connection.settings_dict
    key = (connection.vendor, str(settings["NAME"]), settings.get("HOST"), settings.get("PORT"))
    if getattr(_local, "key", None) != key:
        close()
        if connection.vendor == "sqlite":
            import adbc_driver_sqlite.dbapi as driver

            # Autocommit: each query sees what is committed now, and no read transaction
            # left open holds the write-ahead log back.
            path = quote(str(settings["NAME"]), safe="/")
            _local.connection = driver.connect(f"file:{path}?mode=ro", autocommit=True)
        else:
            import adbc_driver_postgresql.dbapi as driver

            _local.connection = driver.connect(_postgres_uri(settings), autocommit=True)
        _local.key = key
        _opened.append(_local.connection)
    return _local.connection


def _postgres_uri(settings: dict) -> str:
    """Return a libpq URI for Django's PostgreSQL settings: no host is the local socket
    (as for Django), a host starting with / a socket folder; libpq options pass on."""
    user = quote(settings.get("USER") or "", safe="")
    password = quote(settings.get("PASSWORD") or "", safe="")
    auth = f"{user}:{password}@" if password else (f"{user}@" if user else "")
    host = settings.get("HOST") or ""
    options = {
        k: str(v) for k, v in (settings.get("OPTIONS") or {}).items() if isinstance(v, str | int)
    }
    if host.startswith("/"):
        options["host"], host = host, ""
    elif ":" in host:
        host = f"[{host}]"  # an IPv6 address
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    query = f"?{urlencode(options)}" if options else ""
    return f"postgresql://{auth}{host}{port}/{quote(str(settings['NAME']), safe='')}{query}"


def close() -> None:
    """Close this thread's ADBC connection, if any (tests drop their databases after)."""
    existing = getattr(_local, "connection", None)
    if existing is not None:
        with contextlib.suppress(Exception):  # closed already (at the end of a test)
            existing.close()
        if existing in _opened:
            _opened.remove(existing)
    _local.connection = None
    _local.key = None


@atexit.register
def close_all() -> None:
    """Close every thread's ADBC connection (at exit, and before a test database goes)."""
    for opened in _opened:
        with contextlib.suppress(Exception):
            opened.close()
    _opened.clear()
