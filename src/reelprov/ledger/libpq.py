"""Reading a shared PostgreSQL ledger through libpq itself (ctypes), for commands that must answer fast.

`import psycopg` takes 120-300 ms on these machines (it loads asyncio, logging, importlib.metadata,
ssl and its own type system) before a query that takes 1 ms: `reelprov show` on a shared ledger
spent most of its time importing its driver. This module loads the libpq psycopg itself would use
(the copy bundled with psycopg-binary, else the system's) in about 5 ms and speaks to it directly:
the same connection parameters, URLs, environment variables, `.pgpass`, SSL and keepalives, since
libpq does all of that. It is small on purpose: only what reading the ledger needs (statements with
bound parameters in text format, rows converted by column type, transactions, a broken connection
noticed). Writers stay on psycopg (ledger/store.py).
"""

from __future__ import annotations

import ctypes
import json
import os
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

_P = ctypes.c_void_p
_S = ctypes.c_char_p
_I = ctypes.c_int
CONNECTION_BAD = 1
PGRES_COMMAND_OK, PGRES_TUPLES_OK = 1, 2
PG_DIAG_SQLSTATE, PG_DIAG_MESSAGE_PRIMARY = ord("C"), ord("M")
# libpq's own file name per platform, and where psycopg-binary's wheels keep their copy
_SYSTEM_NAMES = {"linux": ("libpq.so.5",), "darwin": ("libpq.5.dylib", "/opt/homebrew/lib/libpq.5.dylib",
                                                      "/usr/local/lib/libpq.5.dylib"),
                 "win32": ("libpq.dll",)}
_BUNDLED_DIRS = ("psycopg_binary.libs", os.path.join("psycopg_binary", ".dylibs"))
_SEVERITY = re.compile(r"^[A-Z]+:\s+")
_PYFORMAT = re.compile(r"%\((\w+)\)s|%%")

# Result columns by type OID; anything else is text. json/jsonb are decoded as psycopg does.
_BOOL, _JSON = {16}, {114, 3802}
_INT = {20, 21, 23, 26, 28}
_FLOAT = {700, 701}


class Error(Exception):
    """A libpq failure: cannot connect, or a statement the server refused (sqlstate set)."""

    def __init__(self, message: str, sqlstate: str | None = None) -> None:
        super().__init__(message)
        self.sqlstate = sqlstate


class _ConninfoOption(ctypes.Structure):
    _fields_ = [("keyword", _S), ("envvar", _S), ("compiled", _S), ("val", _S), ("label", _S),
                ("dispchar", _S), ("dispsize", _I)]


_NOTICES = ctypes.CFUNCTYPE(None, _P, _S)


def _ignore_notice(arg: Any, message: bytes) -> None:
    """Notices (a WARNING about a transaction) are not the user's business on a read; libpq's default
    prints them to stderr, psycopg logs them."""


_ignore_notices = _NOTICES(_ignore_notice)


def candidates() -> list[str]:
    """Where libpq may be, in the order psycopg would use it: psycopg-binary's bundled copy first."""
    found: list[str] = []
    for base in sys.path:
        for sub in _BUNDLED_DIRS:
            folder = os.path.join(base or ".", sub)
            try:
                names = sorted(os.listdir(folder))
            except OSError:
                continue
            found += [os.path.join(folder, n) for n in names if n.startswith("libpq") and
                      (".so" in n or n.endswith((".dylib", ".dll")))]
    return found + list(_SYSTEM_NAMES.get(sys.platform, _SYSTEM_NAMES["linux"]))


@lru_cache(maxsize=1)
def library() -> Any | None:
    """libpq loaded with the signatures used here, or None where no libpq can be loaded."""
    for path in candidates():
        try:
            lib = ctypes.CDLL(path)
        except OSError:
            continue
        try:
            _declare(lib)
            # The accessors of a result in memory are called once per value: without releasing the GIL
            # and without argument conversion (a pointer object and two ints) they cost half as much.
            fast = ctypes.PyDLL(path)
            lib.fast_getvalue, lib.fast_getisnull = fast.PQgetvalue, fast.PQgetisnull
            lib.fast_getvalue.restype = _S
        except AttributeError:  # a libpq too old for what is used here (PQconninfo is 9.3)
            continue
        return lib
    return None


def _declare(lib: Any) -> None:
    for name, args, res in (
        ("PQconnectdbParams", [ctypes.POINTER(_S), ctypes.POINTER(_S), _I], _P),
        ("PQstatus", [_P], _I), ("PQerrorMessage", [_P], _S), ("PQfinish", [_P], None),
        ("PQbackendPID", [_P], _I), ("PQconninfo", [_P], ctypes.POINTER(_ConninfoOption)),
        ("PQconninfoFree", [ctypes.POINTER(_ConninfoOption)], None),
        ("PQsetNoticeProcessor", [_P, _NOTICES, _P], _P),
        ("PQexecParams", [_P, _S, _I, ctypes.POINTER(ctypes.c_uint), ctypes.POINTER(_S), _P, _P, _I], _P),
        ("PQresultStatus", [_P], _I), ("PQresultErrorMessage", [_P], _S),
        ("PQresultErrorField", [_P, _I], _S), ("PQntuples", [_P], _I), ("PQnfields", [_P], _I),
        ("PQfname", [_P, _I], _S), ("PQftype", [_P, _I], ctypes.c_uint),
        ("PQgetvalue", [_P, _I, _I], _S), ("PQgetisnull", [_P, _I, _I], _I), ("PQclear", [_P], None),
    ):
        fn = getattr(lib, name)
        fn.argtypes, fn.restype = args, res


def _text(raw: bytes | None) -> str:
    return (raw or b"").decode("utf-8", "replace").strip()


def connect(conninfo: str, settings: dict[str, Any]) -> Connection:
    """A connection in autocommit mode. SETTINGS are defaults: what CONNINFO (a URL or key=value
    string) says wins; the client encoding is always UTF-8."""
    lib = library()
    if lib is None:
        raise Error("libpq cannot be loaded")
    pairs = [(k, str(v)) for k, v in settings.items()] + [("dbname", conninfo), ("client_encoding", "UTF8")]
    if "\x00" in conninfo:  # a C string ends there: libpq would connect to what comes before it
        raise Error("the database URL holds a NUL character")
    n = len(pairs) + 1
    keys = (_S * n)(*[k.encode() for k, _ in pairs], None)
    # bytes an environment variable held that are not UTF-8 go to libpq as they were
    values = (_S * n)(*[v.encode("utf-8", "surrogateescape") for _, v in pairs], None)
    handle = lib.PQconnectdbParams(keys, values, 1)  # 1: the dbname is a URL or conninfo string to expand
    if not handle:
        raise Error("libpq could not allocate a connection")
    if lib.PQstatus(handle) == CONNECTION_BAD:
        message = _text(lib.PQerrorMessage(handle))
        lib.PQfinish(handle)
        raise Error(f"connection failed: {message}")
    lib.PQsetNoticeProcessor(handle, _ignore_notices, None)
    return Connection(lib, handle)


@lru_cache(maxsize=512)
def _positional(sql: str) -> tuple[str, tuple[str, ...]]:
    """A statement in psycopg's %(name)s style as libpq's $1, $2..., and the names in their order."""
    order: list[str] = []

    def sub(m: re.Match[str]) -> str:
        name = m.group(1)
        if name is None:
            return "%"
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    return _PYFORMAT.sub(sub, sql), tuple(order)


def _array_item(v: Any) -> str:
    if v is None:
        return "NULL"
    s = str(v)
    return '"' + s.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _param(v: Any) -> tuple[int, bytes | None]:
    """(type OID, text) for one bound value: strings go as 'unknown' so the server types them from
    their use, as psycopg does; a list is an array (text[] or bigint[])."""
    if v is None:
        return 0, None
    if isinstance(v, bool):
        return 16, b"t" if v else b"f"
    if isinstance(v, int):
        return 20, str(v).encode()
    if isinstance(v, float):
        return 701, repr(v).encode()
    if isinstance(v, list | tuple):
        oid = 1016 if v and all(isinstance(x, int) and not isinstance(x, bool) for x in v) else 1009
        return oid, _param("{" + ",".join(_array_item(x) for x in v) + "}")[1]
    text = str(v)
    if "\x00" in text:  # libpq takes C strings: the value would be cut short there, and match something else
        raise Error(f"a value holds a NUL character, which PostgreSQL text cannot: {text[:60]!r}")
    try:
        return 0, text.encode("utf-8")
    except UnicodeEncodeError:
        raise Error(f"a value is not UTF-8 text (a name in another encoding?): {text[:60]!r}") from None


def _json(raw: bytes) -> Any:
    return json.loads(raw.decode())  # from str: loads(bytes) first guesses the encoding, every time


def _converter(oid: int) -> Any:
    if oid in _INT:
        return int
    if oid in _BOOL:
        return b"t".__eq__
    if oid in _FLOAT:
        return float
    if oid in _JSON:
        return _json
    return bytes.decode  # UTF-8: the connection's client encoding


class Connection:
    """The DB-API shape ledger/reader.py uses: cursor(), execute(), transaction(), broken, close()."""

    def __init__(self, lib: Any, handle: int) -> None:
        self._lib = lib
        self._handle: int | None = handle
        self.info = _Info(self)

    @property
    def closed(self) -> bool:
        return self._handle is None

    @property
    def broken(self) -> bool:
        """The server end is gone (it restarted, an idle timeout, the network cut)."""
        return self._handle is not None and self._lib.PQstatus(self._handle) == CONNECTION_BAD

    def handle(self) -> int:
        if self._handle is None:
            raise Error("the connection is closed")
        return self._handle

    def cursor(self) -> Cursor:
        return Cursor(self)

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> None:
        """A statement whose rows are not wanted."""
        cur = self.cursor()
        try:
            cur.execute(sql, params or {})
        finally:
            cur.close()

    @contextmanager
    def transaction(self) -> Iterator[None]:
        self.execute("BEGIN")
        try:
            yield
        except BaseException:
            if not self.broken:
                self.execute("ROLLBACK")
            raise
        self.execute("COMMIT")

    def close(self) -> None:
        handle, self._handle = self._handle, None
        if handle is not None:
            self._lib.PQfinish(handle)

    def __del__(self) -> None:
        self.close()


class _Info:
    """What psycopg's conn.info gives that reelprov looks at: the settings in force, the server process."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn

    @property
    def backend_pid(self) -> int:
        return int(self._conn._lib.PQbackendPID(self._conn.handle()))

    def get_parameters(self) -> dict[str, str]:
        lib = self._conn._lib
        opts = lib.PQconninfo(self._conn.handle())
        out: dict[str, str] = {}
        try:
            i = 0
            while opts[i].keyword is not None:
                if opts[i].val is not None and opts[i].keyword != b"password":
                    out[opts[i].keyword.decode()] = opts[i].val.decode("utf-8", "replace")
                i += 1
        finally:
            lib.PQconninfoFree(opts)
        return out


class Cursor:
    """One statement's result (held by libpq, as psycopg's client-side cursors hold it), converted
    a chunk of rows at a time as it is fetched."""

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._lib = conn._lib
        self._res: int | None = None
        self._row = self._rows = 0
        self._convert: list[tuple[int, Any]] = []
        self.description: list[tuple[str, int]] | None = None

    def execute(self, sql: str, params: dict[str, Any] | None = None) -> None:
        self.close()
        self.description, self._row, self._rows = None, 0, 0
        text, names = _positional(sql)
        bound = [_param((params or {})[n]) for n in names]
        n = len(bound)
        types = (ctypes.c_uint * n)(*[t for t, _ in bound])
        values = (_S * n)(*[v for _, v in bound])
        lib = self._lib
        res = lib.PQexecParams(self._conn.handle(), text.encode("utf-8"), n, types, values, None, None, 0)
        if not res:
            raise Error(_text(lib.PQerrorMessage(self._conn.handle())) or "no result from the server")
        status = lib.PQresultStatus(res)
        if status not in (PGRES_COMMAND_OK, PGRES_TUPLES_OK):
            # the server's message without its (possibly translated) severity; libpq's own (the
            # connection lost) has no fields
            message = (_text(lib.PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY))
                       or _SEVERITY.sub("", _text(lib.PQresultErrorMessage(res)))
                       or _text(lib.PQerrorMessage(self._conn.handle())))
            sqlstate = lib.PQresultErrorField(res, PG_DIAG_SQLSTATE)
            lib.PQclear(res)
            raise Error(message, sqlstate.decode() if sqlstate else None)
        self._res = res
        if status == PGRES_TUPLES_OK:
            self._rows = lib.PQntuples(res)
            cols = lib.PQnfields(res)
            self.description = [(lib.PQfname(res, i).decode("utf-8"), lib.PQftype(res, i)) for i in range(cols)]
            self._convert = [(i, _converter(oid)) for i, (_, oid) in enumerate(self.description)]

    def fetchmany(self, size: int) -> list[tuple[Any, ...]]:
        if self._res is None or self.description is None:
            return []
        res = ctypes.c_void_p(self._res)
        get, isnull = self._lib.fast_getvalue, self._lib.fast_getisnull
        rows = range(self._row, min(self._row + size, self._rows))
        columns = []
        for c, f in self._convert:  # column by column: one converter mapped over a list
            raw = [get(res, r, c) for r in rows]
            if b"" in raw:  # '' is NULL or empty text (never a number, boolean or JSON): ask which
                columns.append([f(v) if v or not isnull(res, r, c) else None for r, v in zip(rows, raw, strict=True)])
            else:
                columns.append(list(map(f, raw)))
        out = list(zip(*columns, strict=True)) if columns else [() for _ in rows]
        self._row = rows.stop
        if self._row >= self._rows:
            self.close()
        return out

    def close(self) -> None:
        res, self._res = self._res, None
        if res is not None:
            self._lib.PQclear(res)

    def __del__(self) -> None:
        self.close()
