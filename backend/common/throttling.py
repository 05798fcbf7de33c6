"""Per-client rate limits over a sliding window, counted atomically where every worker and
replica sees the same counts.

A limit of N a minute lets at most N requests through in *any* 60 seconds: each scope keeps,
per client, the times of the requests it let through in the last period (a sliding log), so
there is no turn of a fixed window around which 2N could pass. Where the counts live:

- Redis when REDIS_URL is set (compose, the replicas, and `make run`, which starts a local
  redis-server on a unix socket when one is installed): one Lua script per request trims,
  counts and records in a single atomic step, so workers and replicas share exact counts;
- otherwise, under gunicorn, a SQLite file the server's workers share (THROTTLE_DB, which
  gunicorn.conf.py points at a fresh temporary file): each request's check is one short
  write transaction, so the workers' counts are exact together without any Redis;
- otherwise this process's memory, under a lock: exact within the process (the tests,
  `manage.py runserver`).

If Redis cannot be reached or answers slowly (a quarter of a second at most), the counts go
to the fallback for REDIS_RETRY_SECONDS before Redis is tried again: the SQLite file the
server's workers share (gunicorn.conf.py always names one), else this process's memory. So
a Redis that is down or hung costs one short wait every few seconds, not every request, and
the throttles and the wrong-token lockout keep working, per server. That is logged once when
it happens and once when Redis is back. Only if the fallback fails too are requests let
through (throttling fails open; predictions never fail with it).

Failed authentications count in a scope of their own ("auth_failures", strict): a client
that has used it up is answered 429 before its token is even compared, so a token cannot be
guessed faster than that scope allows, whatever the writes' scope says.

Who the client is: the connection's address, or, when that address is one of the trusted
proxies (API_TRUSTED_PROXIES; "unix" for a unix socket's peer, which has no address), the
address the proxy put in X-Forwarded-For.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import ipaddress
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable

from django.conf import settings
from rest_framework.throttling import BaseThrottle

log = logging.getLogger("backend.api")


def _trusted(address: str) -> bool:
    if not address:  # a unix socket's peer has no address
        return settings.TRUSTED_UNIX_SOCKET
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in settings.TRUSTED_PROXIES)


def client_ip(request) -> str:
    """The client's address: X-Forwarded-For is believed only when a trusted proxy sent it,
    and then only the address that proxy added (the rightmost)."""
    remote = request.META.get("REMOTE_ADDR", "")
    forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
    if forwarded and _trusted(remote):
        hops = [hop.strip() for hop in forwarded.split(",") if hop.strip()]
        if hops:
            return hops[-1]
    return remote


def parse_rate(rate: str) -> tuple[int, int]:
    """ "120/min" → (120, 60)."""
    count, _, period = rate.partition("/")
    return int(count), {"s": 1, "m": 60, "h": 3600, "d": 86400}[period[0]]


# --- Where the counts live ------------------------------------------------------------------

# KEYS[1] the client's log; ARGV now, period (s), limit, a unique member, and whether to record.
# Answers {1, 0} when under the limit (the request recorded if asked), else {0, seconds to wait}.
_SLIDING_LOG = """
local key, now, period, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
local count = redis.call('ZCARD', key)
if count < limit then
  if ARGV[5] == '1' then
    redis.call('ZADD', key, now, ARGV[4])
    redis.call('PEXPIRE', key, math.ceil(period * 1000))
  end
  return {1, '0'}
end
local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
return {0, tostring(tonumber(oldest[2]) + period - now)}
"""


# A budget spent by amount: each spend is a member "<unique>:<amount>" at its time. Answers {1, 0}
# when the spend fits in what the last period has left (recorded), else {0, seconds until it does}.
_SPENDING_LOG = """
local key, now, period = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2])
local limit, amount = tonumber(ARGV[3]), tonumber(ARGV[5])
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - period)
local items = redis.call('ZRANGE', key, 0, -1, 'WITHSCORES')
local used = 0
for i = 1, #items, 2 do used = used + tonumber(string.match(items[i], ':([%d.]+)$')) end
if used + amount <= limit then
  redis.call('ZADD', key, now, ARGV[4] .. ':' .. ARGV[5])
  redis.call('PEXPIRE', key, math.ceil(period * 1000))
  return {1, '0'}
end
local freed = 0
for i = 1, #items, 2 do
  freed = freed + tonumber(string.match(items[i], ':([%d.]+)$'))
  if used - freed + amount <= limit then return {0, tostring(tonumber(items[i + 1]) + period - now)} end
end
return {0, tostring(period)}
"""


def _wait_to_spend(spends: list[tuple[float, float]], amount: float, limit: float, period: float, now: float) -> float:
    """Seconds until `amount` fits beside these (time, amount) spends, oldest first."""
    used = sum(a for _, a in spends)
    for t, a in spends:
        used -= a
        if used + amount <= limit:
            return t + period - now
    return period


class RedisLog:
    """The sliding logs in Redis, shared by every worker and replica."""

    def __init__(self, url: str):
        import redis

        self.client = redis.Redis.from_url(url, socket_connect_timeout=0.25, socket_timeout=0.25)
        self.script = self.client.register_script(_SLIDING_LOG)
        self.spending = self.client.register_script(_SPENDING_LOG)

    def spend(self, key: str, amount: float, limit: float, period: int) -> tuple[bool, float]:
        allowed, wait = self.spending(
            keys=[f"budget:{key}"], args=[time.time(), period, limit, uuid.uuid4().hex, repr(float(amount))]
        )
        return bool(allowed), float(wait)

    def take(self, key: str, limit: int, period: int, record: bool = True) -> tuple[bool, float]:
        allowed, wait = self.script(
            keys=[f"throttle:{key}"], args=[time.time(), period, limit, uuid.uuid4().hex, int(record)]
        )
        return bool(allowed), float(wait)


class LocalLog:
    """The sliding logs in this process's memory: exact within the process."""

    def __init__(self):
        self.lock = threading.Lock()
        self.logs: dict[str, collections.deque[float]] = {}
        self.spends: dict[str, collections.deque[tuple[float, float]]] = {}

    def take(self, key: str, limit: int, period: int, record: bool = True) -> tuple[bool, float]:
        now = time.monotonic()
        with self.lock:
            log_ = self.logs.setdefault(key, collections.deque())
            while log_ and log_[0] <= now - period:
                log_.popleft()
            if len(log_) < limit:
                if record:
                    log_.append(now)
                return True, 0.0
            return False, log_[0] + period - now

    def spend(self, key: str, amount: float, limit: float, period: int) -> tuple[bool, float]:
        now = time.monotonic()
        with self.lock:
            spends = self.spends.setdefault(key, collections.deque())
            while spends and spends[0][0] <= now - period:
                spends.popleft()
            if sum(a for _, a in spends) + amount <= limit:
                spends.append((now, amount))
                return True, 0.0
            return False, _wait_to_spend(list(spends), amount, limit, period, now)

    def clear(self) -> None:
        with self.lock:
            self.logs.clear()
            self.spends.clear()


class SqliteLog:
    """The sliding logs in a SQLite file shared by one server's worker processes. Each check
    is one immediate (write-locking) transaction, so two workers never both take the last
    place; the file holds nothing worth keeping (no fsync, no journal on disk)."""

    def __init__(self, path: str):
        self.path = path
        self.local = threading.local()  # a connection per thread (and so per forked worker)

    def connection(self):
        import sqlite3

        conn = getattr(self.local, "conn", None)
        if conn is None:
            conn = sqlite3.connect(self.path, timeout=2.0, isolation_level=None, check_same_thread=True)
            conn.execute("PRAGMA journal_mode=MEMORY")
            conn.execute("PRAGMA synchronous=OFF")
            conn.execute("CREATE TABLE IF NOT EXISTS hits (key TEXT NOT NULL, t REAL NOT NULL)")
            conn.execute("CREATE INDEX IF NOT EXISTS hits_key_t ON hits (key, t)")
            conn.execute("CREATE TABLE IF NOT EXISTS spends (key TEXT NOT NULL, t REAL NOT NULL, amount REAL NOT NULL)")
            conn.execute("CREATE INDEX IF NOT EXISTS spends_key_t ON spends (key, t)")
            self.local.conn = conn
        return conn

    def take(self, key: str, limit: int, period: int, record: bool = True) -> tuple[bool, float]:
        conn, now = self.connection(), time.time()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM hits WHERE key = ? AND t <= ?", (key, now - period))
            count, oldest = conn.execute("SELECT count(*), min(t) FROM hits WHERE key = ?", (key,)).fetchone()
            allowed = count < limit
            if allowed and record:
                conn.execute("INSERT INTO hits (key, t) VALUES (?, ?)", (key, now))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return allowed, 0.0 if allowed else oldest + period - now

    def spend(self, key: str, amount: float, limit: float, period: int) -> tuple[bool, float]:
        conn, now = self.connection(), time.time()
        conn.execute("BEGIN IMMEDIATE")
        try:
            conn.execute("DELETE FROM spends WHERE key = ? AND t <= ?", (key, now - period))
            spends = conn.execute("SELECT t, amount FROM spends WHERE key = ? ORDER BY t", (key,)).fetchall()
            allowed = sum(a for _, a in spends) + amount <= limit
            if allowed:
                conn.execute("INSERT INTO spends (key, t, amount) VALUES (?, ?, ?)", (key, now, amount))
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return allowed, 0.0 if allowed else _wait_to_spend(spends, amount, limit, period, now)


@functools.cache
def _store(redis_url: str, db: str) -> RedisLog | SqliteLog | LocalLog:
    if redis_url:
        return RedisLog(redis_url)
    return SqliteLog(db) if db else LocalLog()


def store() -> RedisLog | SqliteLog | LocalLog:
    return _store(settings.REDIS_URL, settings.THROTTLE_DB)


REDIS_RETRY_SECONDS = 5.0
_redis_failed = [0.0]  # when Redis last failed (monotonic seconds); 0: it has not, or is back


def _counts() -> RedisLog | SqliteLog | LocalLog:
    """Where to count now: the store, or its fallback while Redis is out."""
    primary = store()
    if isinstance(primary, RedisLog) and _redis_failed[0] and time.monotonic() - _redis_failed[0] < REDIS_RETRY_SECONDS:
        return _store("", settings.THROTTLE_DB)
    return primary


def _redis_failing(exc: Exception) -> None:
    if not _redis_failed[0]:
        log.warning("Redis unavailable (%s): throttles count in the fallback store until it answers again", exc)
    _redis_failed[0] = time.monotonic()


def take(scope: str, client: str, record: bool = True) -> tuple[bool, float]:
    """Whether `client` may make one more request of `scope` now (and, if so and `record`,
    count it); else the seconds until it may. Unlimited scopes, and a Redis that is down,
    let it through."""
    rate = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"].get(scope)
    if rate is None:
        return True, 0.0
    limit, period = parse_rate(rate)
    return _counted(lambda counts: counts.take(f"{scope}:{client}", limit, period, record))


def spend(client: str, amount: float) -> tuple[bool, float]:
    """Whether `client` may spend `amount` of its budget of work now (PRICE_BUDGET_PER_MINUTE
    units in any 60 seconds, counted where the throttles count); else the seconds until it may."""
    budget = settings.PRICE_BUDGET_PER_MINUTE
    if not budget or amount <= 0:
        return True, 0.0
    return _counted(lambda counts: counts.spend(f"price:{client}", float(amount), float(budget), 60))


def _counted(operation) -> tuple[bool, float]:
    """`operation(store)` where the counts live now; while Redis is out, in its fallback."""
    counts = _counts()
    try:
        answer = operation(counts)
    except Exception as exc:  # noqa: BLE001  Redis down or hung: the fallback counts meanwhile
        if not isinstance(counts, RedisLog):
            log.warning("throttle store unavailable, not throttling: %s", exc)
            return True, 0.0
        _redis_failing(exc)
        return _counted(operation)
    if isinstance(counts, RedisLog) and _redis_failed[0]:
        _redis_failed[0] = 0.0
        log.warning("Redis answers again: throttles count there")
    return answer


class ScopedRateThrottle(BaseThrottle):
    """The view's `throttle_scope` at the rate settings give it (read at request time); a request
    that authenticated with the read token counts in the view's `token_throttle_scope` where it
    has one, so no anonymous traffic from the same address locks the token's holder out."""

    def allow_request(self, request, view) -> bool:
        scope = getattr(view, "throttle_scope", "default")
        if getattr(view, "token_throttle_scope", None) and request.auth:
            scope = view.token_throttle_scope
        allowed, self.wait_seconds = take(scope, client_ip(request))
        return allowed

    def wait(self) -> float:
        return math.ceil(self.wait_seconds)


def client_key(request) -> str:
    """A stable, non-reversible name for the client (its address, hashed), to count what it stores."""
    return hashlib.sha256(f"digits-client:{client_ip(request)}".encode()).hexdigest()[:32]


def payer(request) -> Callable[[float], None]:
    """What a request's priced work is charged to: its client's budget (`spend`); a spent one
    raises the 429 price_budget, with the seconds until the price fits as Retry-After."""
    from .errors import PriceBudgetSpent

    client = client_ip(request)

    def pay(units: float) -> None:
        allowed, wait = spend(client, units)
        if not allowed:
            raise PriceBudgetSpent(
                wait=math.ceil(wait),
                detail=f"this client's budget of {settings.PRICE_BUDGET_PER_MINUTE} units a minute is spent; this "
                f"request costs {units:g}",
            )

    return pay
