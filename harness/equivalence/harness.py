"""Behaviour-equivalence harness: run the code before and after a rewrite, compare.

Driven by crates/rewriter/tests/equivalence.rs. Input (stdin, JSON): {"jobs": [job, ...]}
    {"name": "cases/manual_lifecycle_plain", "before": DIR, "after": DIR,
     "module": "manual_lifecycle_plain", "findings": [{"id": 0, "line": 6}, ...]}
`before` and `after` are two copies of the same tree (the after one with the rewrites
applied); `module` is imported from each with the tree root first on sys.path.

For every function that contains a finding line (the outermost def that can be called
from outside: a module-level function or a method of a module-level class), each side
gets a template process (see Template) and every run a forked child of it, with a fresh
copy of the seeded SQLite file (fixtures.py). A run calls the function and observes:
  outcome      the value returned or the exception raised (type and message)
  reads        reading every mapped attribute of the ORM objects returned (an error such
               as DetachedInstanceError is recorded, not raised)
  db           every table, sorted, after the run
  sessions     Session objects created
  steps        work calls on sessions (add, execute, get, scalar(s), flush, ...)
  commits      DB transactions that wrote something and were committed
  rollbacks    DB transactions that wrote something and were rolled back (explicitly,
               by close, or when the pool reset the connection)
  left_open    sessions still holding a connection when the function returned
  checked_out  pool connections still checked out when the function returned
Scenarios, per argument set (failures once per distinct path through the sessions):
success; the N-th work call raises; creating the N-th session raises; the N-th commit
that has something to commit raises; the N-th close of a session that was used raises
(after closing: the connection is released, the caller sees the error); N over what the
success runs of both sides did.

Output (stdout, JSON): {"results": [{"name", "module", "error", "functions": [...]}]};
a function lists its finding ids, the scenarios, the before outcome of each success run
and `diffs`: [{"scenario", "field", "before", "after", "outcomes", "commits"}] (the last two:
the scenario's, before and after), empty when equivalent. EQUIV_DEBUG=1 prints every
observation to stderr.
"""
import ast
import asyncio
import datetime
import decimal
import functools
import gc
import importlib
import inspect
import json
import logging
import os
import re
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
import traceback
import warnings
import weakref

HERE = os.path.dirname(os.path.abspath(__file__))
fixtures = None  # fixtures.py, imported by main() once bytecode goes to the work dir

import sqlalchemy  # noqa: E402

try:
    import sqlalchemy.ext.asyncio  # noqa: E402
except ImportError:  # SQLAlchemy 1.3: no asyncio, and only the cases written for it run here
    pass
from sqlalchemy import event  # noqa: E402
from sqlalchemy import inspect as sa_inspect  # noqa: E402
from sqlalchemy.engine import Engine  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from sqlalchemy.orm.session import SessionTransaction  # noqa: E402  (1.3 has it only here)
from sqlalchemy.pool import Pool, StaticPool  # noqa: E402


def _spell_2_0_on_1_4():
    """The testdata and the example declare models and async factories the 2.0 way
    (`DeclarativeBase`, `mapped_column`, `async_sessionmaker`). Under SQLAlchemy 1.4 these
    spellings are given their 1.4 equivalents before any code under test is imported, so
    the same code runs there; sessions, transactions and the rewritten blocks are 1.4's
    own. Nothing is changed under 2.0, nor under 1.3 (which runs only code written for it).
    """
    import sqlalchemy.orm as orm

    if hasattr(orm, "DeclarativeBase") or ASYNCIO is None:
        return
    from sqlalchemy.orm.decl_api import DeclarativeMeta, registry

    class DeclarativeBaseMeta(DeclarativeMeta):
        def __init__(cls, classname, bases, dict_, **kw):
            if not bases or bases == (object,):  # `DeclarativeBase` itself
                type.__init__(cls, classname, bases, dict_)
                return
            if any(b.__dict__.get("_is_declarative_root") for b in bases):
                # `class Base(DeclarativeBase)`: a base with a registry of its own.
                reg = registry()
                for key, value in (("_sa_registry", reg), ("registry", reg),
                                   ("metadata", reg.metadata), ("__abstract__", True)):
                    type.__setattr__(cls, key, value)
            super().__init__(classname, bases, dict_, **kw)

    class DeclarativeBase(metaclass=DeclarativeBaseMeta):
        _is_declarative_root = True

    def async_sessionmaker(bind=None, **kw):
        kw.setdefault("class_", ASYNCIO.AsyncSession)
        return orm.sessionmaker(bind=bind, **kw)

    orm.DeclarativeBase = DeclarativeBase
    orm.mapped_column = sqlalchemy.Column
    ASYNCIO.async_sessionmaker = async_sessionmaker


LOCK_TIMEOUT = 1.0  # seconds SQLite waits for a lock (the default 5 s would only slow a deadlock)
CHILD_TIMEOUT = 60  # seconds one run may take
MAX_STEPS = 12  # work calls that get their own failure scenario, per argument set
DEBUG = bool(os.environ.get("EQUIV_DEBUG"))


class InjectedFault(Exception):
    """The failure a scenario injects."""


# ---------------------------------------------------------------------------------------
# Recording: one global recorder, reset per run, fed by wrappers on Session and events.

WORK_METHODS = [
    "add", "add_all", "execute", "scalar", "scalars", "get", "get_one", "flush", "query",
    "merge", "delete", "refresh", "expunge", "bulk_save_objects", "bulk_insert_mappings",
    "bulk_update_mappings",
]
WROTE = "equivalence_wrote"


class Recorder:
    def __init__(self):
        self.active = False
        self.start(None)

    def start(self, fault):
        self.fault = fault  # None or (kind, n) with kind in step/commit/open/close
        self.depth = 0
        self.steps = []  # method names of the outermost work calls
        self.commit_points = 0  # commits with something to commit
        self.close_points = 0  # closes of a session that was used
        self.sessions = []  # weakrefs
        self.db_commits = 0
        self.db_rollbacks = 0
        self.checked_out = 0

    def hit(self, kind, n, what):
        if self.fault == (kind, n):
            raise InjectedFault(f"injected: {what}")


REC = Recorder()


def holds_connection(session):
    trans = getattr(session, "_transaction", None)
    return bool(trans is not None and getattr(trans, "_connections", None))


def has_work_to_commit(session):
    """Pending changes, or a connection that wrote in this transaction."""
    if session.new or session.dirty or session.deleted:
        return True
    trans = getattr(session, "_transaction", None)
    for entry in (getattr(trans, "_connections", None) or {}).values():
        try:
            if entry[0].info.get(WROTE):
                return True
        except Exception:
            pass
    return False


USED = "_equivalence_used"


def _wrap(name, kind):
    orig = getattr(Session, name)

    @functools.wraps(orig)
    def wrapper(self, *args, **kwargs):
        if not REC.active:
            return orig(self, *args, **kwargs)
        close_point = False
        if REC.depth == 0:
            if kind == "work":
                setattr(self, USED, True)
                REC.steps.append(name)
                REC.hit("step", len(REC.steps), f"work call {len(REC.steps)}")
            elif kind == "close" and (getattr(self, USED, False) or holds_connection(self)):
                REC.close_points += 1
                close_point = True
        REC.depth += 1
        try:
            result = orig(self, *args, **kwargs)
        finally:
            REC.depth -= 1
        if close_point:
            # A failing close still releases the connection (the pool invalidates it);
            # what the code sees is the exception.
            REC.hit("close", REC.close_points, f"close {REC.close_points}")
        return result

    setattr(Session, name, wrapper)


def _wrap_init():
    orig = Session.__init__

    @functools.wraps(orig)
    def init(self, *args, **kwargs):
        if REC.active:
            REC.sessions.append(weakref.ref(self))
            REC.hit("open", len(REC.sessions), f"creating session {len(REC.sessions)}")
        REC.depth += 1
        try:
            orig(self, *args, **kwargs)
        finally:
            REC.depth -= 1

    Session.__init__ = init


def _wrap_transaction(name):
    """SessionTransaction's own commit/rollback/close (`with factory.begin():` commits
    through them) flush through the session: what they call is not a work call."""
    orig = getattr(SessionTransaction, name)

    @functools.wraps(orig)
    def wrapper(self, *args, **kwargs):
        REC.depth += 1
        try:
            return orig(self, *args, **kwargs)
        finally:
            REC.depth -= 1

    setattr(SessionTransaction, name, wrapper)


def _is_write(statement):
    head = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
    return head not in ("SELECT", "PRAGMA", "EXPLAIN", "")


def install_instrumentation():
    for name in WORK_METHODS:
        if hasattr(Session, name):
            _wrap(name, "work")
    for name in ("commit", "rollback", "close"):
        _wrap(name, name)
    _wrap_init()
    for name in ("commit", "rollback", "close"):
        _wrap_transaction(name)

    # Commits are seen through the event: `with factory.begin():` commits without calling
    # Session.commit.
    @event.listens_for(Session, "before_commit")
    def before_commit(session):
        if REC.active and has_work_to_commit(session):
            REC.commit_points += 1
            REC.hit("commit", REC.commit_points, f"commit {REC.commit_points}")

    @event.listens_for(Engine, "before_cursor_execute")
    def before_execute(conn, cursor, statement, parameters, context, executemany):
        if _is_write(statement):
            conn.info[WROTE] = True

    @event.listens_for(Engine, "commit")
    def on_commit(conn):
        if conn.info.pop(WROTE, False) and REC.active:
            REC.db_commits += 1

    @event.listens_for(Engine, "rollback")
    def on_rollback(conn):
        if conn.info.pop(WROTE, False) and REC.active:
            REC.db_rollbacks += 1

    # SQLAlchemy 2.0 adds `reset_state` to the two arguments of 1.3 and 1.4.
    @event.listens_for(Pool, "reset")
    def on_reset(dbapi_connection, record, *reset_state):
        if record.info.pop(WROTE, False) and REC.active:
            REC.db_rollbacks += 1

    @event.listens_for(Pool, "checkout")
    def on_checkout(dbapi_connection, record, proxy):
        REC.checked_out += 1

    @event.listens_for(Pool, "checkin")
    def on_checkin(dbapi_connection, record):
        REC.checked_out -= 1


# ---------------------------------------------------------------------------------------
# Engines: every engine the code creates is recorded (to dispose of it) and in-memory
# SQLite URLs are pointed at the run's file, so all the code's sessions share one
# database the harness can seed and dump.

class Run:
    db_file = None
    engines = []
    async_engines = []


_create_engine = sqlalchemy.create_engine
ASYNCIO = getattr(getattr(sqlalchemy, "ext", None), "asyncio", None)
_create_async_engine = ASYNCIO.create_async_engine if ASYNCIO else None


def _redirect(url, kwargs, driver):
    text = str(url)
    if text in ("sqlite://", "sqlite:///:memory:", f"sqlite+{driver}://",
                f"sqlite+{driver}:///:memory:"):
        text = f"sqlite+{driver}:///{Run.db_file}"
        if kwargs.get("poolclass") is StaticPool:
            del kwargs["poolclass"]
    if text.startswith("sqlite"):
        args = dict(kwargs.get("connect_args") or {})
        args.setdefault("timeout", LOCK_TIMEOUT)
        kwargs["connect_args"] = args
    return text


def create_engine(url, **kwargs):
    engine = _create_engine(_redirect(url, kwargs, "pysqlite"), **kwargs)
    Run.engines.append(engine)
    return engine


def create_async_engine(url, **kwargs):
    engine = _create_async_engine(_redirect(url, kwargs, "aiosqlite"), **kwargs)
    Run.async_engines.append(engine)
    return engine


sqlalchemy.create_engine = create_engine
if ASYNCIO:
    ASYNCIO.create_async_engine = create_async_engine
_spell_2_0_on_1_4()


# ---------------------------------------------------------------------------------------
# Rendering values (stable across runs and processes).

_ADDR = re.compile(r" at 0x[0-9a-fA-F]+")


def clean(text):
    text = _ADDR.sub("", text)
    if Run.db_file:
        text = text.replace(Run.db_file, "<db>")
    return text


def is_orm(value):
    return hasattr(type(value), "_sa_class_manager")


def orm_label(obj):
    state = sa_inspect(obj)
    ident = state.identity
    if ident is None:
        return f"<{type(obj).__name__} new>"
    return f"<{type(obj).__name__}#{','.join(map(str, ident))}>"


def render(value, depth=0):
    if depth > 4:
        return "..."
    if isinstance(value, (datetime.datetime, datetime.date)):
        return "<datetime>"
    if isinstance(value, decimal.Decimal):
        return str(value)
    if is_orm(value):
        return orm_label(value)
    if isinstance(value, dict):
        inner = ", ".join(f"{render(k, depth + 1)}: {render(v, depth + 1)}" for k, v in value.items())
        return "{" + inner + "}"
    if isinstance(value, (list, tuple)):
        inner = ", ".join(render(v, depth + 1) for v in value)
        return f"[{inner}]" if isinstance(value, list) else f"({inner})"
    if isinstance(value, (set, frozenset)):
        return "{" + ", ".join(sorted(render(v, depth + 1) for v in value)) + "}"
    return clean(repr(value))


def describe(exc):
    return clean(f"{type(exc).__name__}: {exc}")


def orm_objects(value, out, depth=0):
    if depth > 3 or len(out) >= 10:
        return out
    if is_orm(value):
        out.append(value)
    elif isinstance(value, dict):
        for v in value.values():
            orm_objects(v, out, depth + 1)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            orm_objects(v, out, depth + 1)
    return out


def read_back(value):
    """Read every mapped attribute of the ORM objects in `value`, as a caller would."""
    lines = []
    for obj in orm_objects(value, []):
        label = orm_label(obj)
        parts = []
        for attr in sa_inspect(type(obj)).attrs:
            try:
                parts.append(f"{attr.key}={render(getattr(obj, attr.key))}")
            except Exception as exc:  # the point: record, do not raise
                parts.append(f"{attr.key}!{type(exc).__name__}")
        lines.append(f"{label} " + " ".join(parts))
    return lines


def dump_db(path):
    if not os.path.exists(path):
        return {}
    conn = sqlite3.connect(path, timeout=LOCK_TIMEOUT)
    try:
        tables = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' "
            "ORDER BY name")]
        out = {}
        for table in tables:
            rows = conn.execute(f'SELECT * FROM "{table}"').fetchall()
            out[table] = sorted(render(tuple(_normal(v) for v in row)) for row in rows)
        return out
    finally:
        conn.close()


_DATETIME = re.compile(r"^\d{4}-\d\d-\d\d[ T]\d\d:\d\d:\d\d")


def _normal(v):
    if isinstance(v, str) and _DATETIME.match(v):
        return datetime.datetime(2000, 1, 1)
    return v


def seed(path, unit):
    conn = sqlite3.connect(path, timeout=LOCK_TIMEOUT)
    try:
        for prefix, statements in fixtures.SCHEMA.items():
            if unit.startswith(prefix):
                for statement in statements:
                    conn.execute(statement)
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table, rows in fixtures.SEEDS.items():
            if table not in tables:
                continue
            cols = {r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')}
            for row in rows:
                row = {k: v for k, v in row.items() if k in cols}
                names = ", ".join(f'"{k}"' for k in row)
                marks = ", ".join("?" for _ in row)
                conn.execute(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', list(row.values()))
        conn.commit()
    finally:
        conn.close()


# ---------------------------------------------------------------------------------------
# Finding lines -> callable functions.

def functions_for(path, findings):
    """{qualname: [finding ids]} for the outermost callable def around each finding line."""
    with open(path, "rb") as f:
        tree = ast.parse(f.read())
    out = {}
    for finding in findings:
        line = finding["line"]
        target = None
        for node in tree.body:
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and _contains(node, line):
                target = node.name
            elif isinstance(node, ast.ClassDef) and _contains(node, line):
                for item in node.body:
                    if isinstance(item, (ast.FunctionDef, ast.AsyncFunctionDef)) and _contains(item, line):
                        target = f"{node.name}.{item.name}"
        if target is None:
            raise RuntimeError(f"line {line} of {path} is in no callable function")
        out.setdefault(target, []).append(finding["id"])
    return out


def _contains(node, line):
    first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
    return first <= line <= node.end_lineno


def resolve(module, qualname):
    """The callable and whether it is a coroutine function."""
    parts = qualname.split(".")
    if len(parts) == 1:
        fn = getattr(module, parts[0])
    else:
        cls = getattr(module, parts[0])
        raw = inspect.getattr_static(cls, parts[1])
        if isinstance(raw, (staticmethod, classmethod)):
            fn = getattr(cls, parts[1])
        else:
            fn = getattr(cls(), parts[1])
    return fn, inspect.iscoroutinefunction(inspect.unwrap(fn))


# ---------------------------------------------------------------------------------------
# Arguments.

INT_NAMES = {"qty", "quantity", "amount", "delta", "new_quantity", "progress", "limit", "count"}


def existing_names(unit):
    best = ""
    for prefix in fixtures.EXISTING_NAMES:
        if unit.startswith(prefix) and len(prefix) > len(best):
            best = prefix
    return fixtures.EXISTING_NAMES.get(best, ["widget", "gadget"])


def auto_argsets(unit, fn):
    """main (fresh names, ids 1 and 2), existing (seeded names), missing (id 999, "absent")."""
    params = [p for p in inspect.signature(fn).parameters.values()
              if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)
              and p.default is inspect.Parameter.empty]
    if not params:
        return {"main": {}}
    sets = {"main": {}, "existing": {}, "missing": {}}
    ids = strs = 0
    names = existing_names(unit)
    for p in params:
        name = p.name.lower()
        ann = str(p.annotation)
        if name.endswith("_id") or name == "id":
            ids += 1
            sets["main"][p.name] = sets["existing"][p.name] = ids
            sets["missing"][p.name] = 999
        elif name in INT_NAMES or ann in ("int", "<class 'int'>"):
            for s in sets.values():
                s[p.name] = 3
        else:
            strs += 1
            sets["main"][p.name] = f"fresh-{strs}"
            sets["existing"][p.name] = names[(strs - 1) % len(names)]
            sets["missing"][p.name] = "absent"
    unique = {}
    for label, kwargs in sets.items():
        if kwargs not in unique.values():
            unique[label] = kwargs
    return unique


def argsets_for(unit, qualname, fn):
    table = fixtures.ARGS.get((unit, qualname), {})
    if "args" in table:
        sets = dict(table["args"])
    else:
        sets = auto_argsets(unit, fn)
    sets.update(table.get("extra", {}))
    return sets


# ---------------------------------------------------------------------------------------
# One run.

def in_child(work):
    """Run `work()` in a forked child and return its JSON-able result."""
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # child
        os.close(read_fd)
        try:
            signal.alarm(CHILD_TIMEOUT)
            result = {"ok": work()}
        except BaseException:
            result = {"error": traceback.format_exc()}
        try:
            data = json.dumps(result).encode()
        except Exception:
            data = json.dumps({"error": traceback.format_exc()}).encode()
        with os.fdopen(write_fd, "wb") as f:
            f.write(data)
        os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as f:
        data = f.read()
    _, status = os.waitpid(pid, 0)
    if not data:
        raise RuntimeError(f"the run died (wait status {status}; timeout {CHILD_TIMEOUT}s)")
    result = json.loads(data)
    if "error" in result:
        raise RuntimeError(result["error"])
    return result["ok"]


def remove_db(path):
    for suffix in ("", "-journal", "-wal", "-shm"):
        try:
            os.remove(path + suffix)
        except FileNotFoundError:
            pass


class Template:
    """One side (before or after) of one function, ready to run.

    A process forked from the harness (SQLAlchemy loaded and instrumented, nothing of the
    code under test) imports the tree's module over a database file, creates and seeds
    the tables, keeps a pristine copy of the file and then forks one child per run: the
    child puts the pristine file back and calls the function. So every run starts from a
    fresh import and fresh data, and nothing of one run (module state, engines, leaked
    sessions, aiosqlite threads) reaches the next.
    """

    # The harness's ends of the live templates' pipes: a template forked later must not
    # hold them, or closing an earlier template's requests would never reach it as EOF.
    open_fds = set()

    def __init__(self, unit, variant, qualname, tag):
        self.db = os.path.join(unit.workdir, f"{tag}-{variant}.sqlite")
        req_r, req_w = os.pipe()
        res_r, res_w = os.pipe()
        pid = os.fork()
        if pid == 0:
            os.close(req_w)
            os.close(res_r)
            for fd in Template.open_fds:
                os.close(fd)
            try:
                serve(unit, variant, qualname, self.db, os.fdopen(req_r, "r"),
                      os.fdopen(res_w, "w"))
            finally:
                os._exit(0)
        os.close(req_r)
        os.close(res_w)
        Template.open_fds |= {req_w, res_r}
        self.fds = {req_w, res_r}
        self.pid = pid
        self.requests = os.fdopen(req_w, "w")
        self.results = os.fdopen(res_r, "r")
        self.hello = self._answer()

    def _answer(self):
        line = self.results.readline()
        if not line:
            raise RuntimeError("the template process died")
        answer = json.loads(line)
        if "error" in answer:
            raise RuntimeError(answer["error"])
        return answer["ok"]

    def run(self, label, fault):
        self.requests.write(json.dumps({"label": label, "fault": fault}) + "\n")
        self.requests.flush()
        return self._answer()

    def close(self):
        try:
            self.requests.close()
        except OSError:
            pass
        self.results.close()
        Template.open_fds -= self.fds
        os.waitpid(self.pid, 0)
        remove_db(self.db)
        remove_db(self.db + ".pristine")


def serve(unit, variant, qualname, db, requests, results):
    """The template process: load once, then one forked run per request."""
    def answer(payload):
        results.write(json.dumps(payload) + "\n")
        results.flush()

    try:
        signal.alarm(CHILD_TIMEOUT)
        Run.db_file = db
        root = os.path.realpath(unit.job[variant])
        os.environ["CASEFIX_DB"] = os.environ["INVENTORY_DB"] = f"sqlite:///{db}"
        sys.path.insert(0, root)
        module = importlib.import_module(unit.module)
        if "app.models" in sys.modules and "app.db" in sys.modules:
            sys.modules["app.models"].create_tables()
        fn, is_async = resolve(module, qualname)
        argsets = argsets_for(unit.name, qualname, fn)
        seed(db, unit.name)
        for engine in Run.engines:
            engine.dispose()
        shutil.copyfile(db, db + ".pristine")
        gc.collect()
        gc.freeze()
        signal.alarm(0)
    except BaseException:
        answer({"error": traceback.format_exc()})
        return
    answer({"ok": {"labels": list(argsets), "async": is_async,
                   "shown": {k: render(v) for k, v in argsets.items()}}})
    for line in requests:
        spec = json.loads(line)
        fault = tuple(spec["fault"]) if spec["fault"] else None
        kwargs = argsets[spec["label"]]

        def work():
            remove_db(db)
            shutil.copyfile(db + ".pristine", db)
            async_url = f"sqlite+aiosqlite:///{db}"
            if is_async:
                if "casefix" in sys.modules:
                    sys.modules["casefix"].configure_async(async_url)
                if "app.db" in sys.modules:
                    sys.modules["app.db"].configure_async(async_url)
            fixtures.setup_unit(unit.name, sys.modules, async_url, create_async_engine)
            obs = call(fn, is_async, kwargs, fault)
            gc.collect()  # finalize what leaked: its connections go back and roll back
            for engine in Run.engines:
                engine.dispose()
            obs["db"] = dump_db(db)
            return obs

        try:
            answer({"ok": in_child(work)})
        except BaseException:
            answer({"error": traceback.format_exc()})


class Unit:
    def __init__(self, job, workdir):
        self.job = job
        self.name = job["name"]
        self.module = job["module"]
        self.workdir = workdir
        self.counter = 0

    def module_path(self, variant):
        rel = self.module.replace(".", os.sep)
        return os.path.join(self.job[variant], rel + ".py")

    def templates(self, qualname):
        self.counter += 1
        tag = f"f{self.counter}"
        before = Template(self, "before", qualname, tag)
        try:
            after = Template(self, "after", qualname, tag)
        except BaseException:
            before.close()
            raise
        return before, after


def call(fn, is_async, kwargs, fault):
    REC.start(fault)
    gc.collect()
    gc.disable()
    try:
        if is_async:
            return asyncio.run(_call_async(fn, kwargs))
        REC.active = True
        value, outcome = None, None
        try:
            value = fn(**kwargs)
            outcome = "returned " + render(value)
        except Exception as exc:
            outcome = "raised " + describe(exc)
            del exc
        finally:
            REC.active = False
        obs = bookkeeping(outcome)
        obs["reads"] = read_back(value) if outcome.startswith("returned") else []
        return obs
    finally:
        gc.enable()


async def _call_async(fn, kwargs):
    REC.active = True
    value, outcome = None, None
    try:
        value = await fn(**kwargs)
        outcome = "returned " + render(value)
    except Exception as exc:
        outcome = "raised " + describe(exc)
        del exc
    finally:
        REC.active = False
    obs = bookkeeping(outcome)
    obs["reads"] = read_back(value) if outcome.startswith("returned") else []
    del value
    gc.collect()
    for engine in Run.async_engines:
        await engine.dispose()
    return obs


def bookkeeping(outcome):
    live = [ref() for ref in REC.sessions]
    return {
        "outcome": outcome,
        "sessions": len(REC.sessions),
        "steps": len(REC.steps),
        "commits": REC.db_commits,
        "rollbacks": REC.db_rollbacks,
        "left_open": sum(1 for s in live if s is not None and holds_connection(s)),
        "checked_out": REC.checked_out,
        # sizes for the failure scenarios, not compared
        "_steps": list(REC.steps),
        "_commit_points": REC.commit_points,
        "_close_points": REC.close_points,
    }


COMPARED = ["outcome", "reads", "db", "sessions", "steps", "commits", "rollbacks",
            "left_open", "checked_out"]


def compare(scenario, before, after):
    diffs = []
    for field in COMPARED:
        b, a = before.get(field), after.get(field)
        if b == a:
            continue
        if field == "db":
            b_rows, a_rows = [], []
            for table in sorted(set(b) | set(a)):
                rb, ra = set(b.get(table, [])), set(a.get(table, []))
                b_rows += [f"{table} {r}" for r in sorted(rb - ra)]
                a_rows += [f"{table} {r}" for r in sorted(ra - rb)]
            b, a = "; ".join(b_rows) or "-", "; ".join(a_rows) or "-"
        elif field == "reads":
            b, a = "; ".join(b) or "-", "; ".join(a) or "-"
        diffs.append({"scenario": scenario, "field": field, "before": b, "after": a,
                      "outcomes": [before["outcome"], after["outcome"]],
                      "commits": [before["commits"], after["commits"]]})
    return diffs


# ---------------------------------------------------------------------------------------
# A function: all its scenarios, before and after.

def check_function(unit, qualname, finding_ids):
    runs = 0
    sides = unit.templates(qualname)
    probe = sides[0].hello
    if probe != sides[1].hello:
        raise RuntimeError(f"before and after differ in signature: {probe} / {sides[1].hello}")
    scenarios = []
    diffs = []
    success = {}

    def both(scenario, label, fault):
        nonlocal runs
        before = sides[0].run(label, fault)
        after = sides[1].run(label, fault)
        runs += 2
        scenarios.append(scenario)
        diffs.extend(compare(scenario, before, after))
        if DEBUG:
            print(json.dumps({"fn": qualname, "scenario": scenario, "before": before,
                              "after": after}), file=sys.stderr)
        return before, after

    try:
        run_scenarios(probe, both, success)
    finally:
        for side in sides:
            side.close()
    return {
        "qualname": qualname,
        "findings": finding_ids,
        "async": probe["async"],
        "labels": probe["labels"],
        "argsets": probe["shown"],
        "success": success,
        "scenarios": scenarios,
        "runs": runs,
        "diffs": diffs,
    }


def run_scenarios(probe, both, success):
    paths = {}
    for label in probe["labels"]:
        before, after = both(f"{label}: ok", label, None)
        success[label] = {"outcome": before["outcome"], "steps": before["steps"]}
        # Failures are injected once per distinct path: the calls made on sessions and
        # how the call ended (returned, or the type of exception raised).
        path = json.dumps([[o["_steps"], o["sessions"], o["_commit_points"], o["_close_points"],
                            o["outcome"].split(":", 1)[0] if o["outcome"].startswith("raised")
                            else "returned"]
                           for o in (before, after)])
        if path in paths:
            success[label]["faults_as"] = paths[path]
            continue
        paths[path] = label
        names = before["_steps"] if len(before["_steps"]) >= len(after["_steps"]) else after["_steps"]
        for n, name in enumerate(names[:MAX_STEPS], start=1):
            both(f"{label}: work call {n} ({name}) raises", label, ("step", n))
        for n in range(1, max(before["sessions"], after["sessions"]) + 1):
            both(f"{label}: creating session {n} raises", label, ("open", n))
        for n in range(1, max(before["_commit_points"], after["_commit_points"]) + 1):
            both(f"{label}: commit {n} raises", label, ("commit", n))
        for n in range(1, max(before["_close_points"], after["_close_points"]) + 1):
            both(f"{label}: close {n} raises", label, ("close", n))


def run_job(job, workdir):
    unit = Unit(job, workdir)
    result = {"name": job["name"], "module": job["module"], "error": None, "functions": []}
    try:
        groups = functions_for(unit.module_path("before"), job["findings"])
        for qualname, ids in groups.items():
            started = time.perf_counter()
            checked = check_function(unit, qualname, ids)
            result["functions"].append(checked)
            print(f"{job['name']} {qualname}: {checked['runs']} runs, "
                  f"{time.perf_counter() - started:.1f}s", file=sys.stderr, flush=True)
    except Exception:
        result["error"] = traceback.format_exc()
    return result


def main():
    warnings.simplefilter("ignore")
    logging.disable(logging.CRITICAL)
    sys.unraisablehook = lambda unraisable: None
    install_instrumentation()
    request = json.load(sys.stdin)
    results = []
    # tmpfs when there is one: SQLite syncs every commit to disk.
    base = "/dev/shm" if os.path.isdir("/dev/shm") and os.access("/dev/shm", os.W_OK) else None
    with tempfile.TemporaryDirectory(prefix="equivalence-", dir=base) as workdir:
        workdir = os.path.realpath(workdir)
        # Compiled files of the harness and of the trees under test go here, not next to
        # the sources.
        sys.pycache_prefix = os.path.join(workdir, "pycache")
        global fixtures
        sys.path.insert(0, HERE)
        import fixtures
        sys.path.remove(HERE)
        gc.collect()
        gc.freeze()
        for job in request["jobs"]:
            results.append(run_job(job, workdir))
    sys.stdout.write(json.dumps({"results": results}, indent=1, sort_keys=True))
    sys.stdout.write("\n")
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    main()
