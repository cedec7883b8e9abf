"""Fake Discord gateway (API v10, JSON encoding) served over an aiohttp websocket.

Protocol implemented (topics/gateway, events/gateway-events):

* on connect: HELLO (op 10) with ``heartbeat_interval``;
* HEARTBEAT (op 1) -> HEARTBEAT_ACK (op 11) (can be switched off to simulate a zombie link);
* IDENTIFY (op 2): token check (bad token -> close 4004), optional privileged-intent check
  (-> close 4014), then READY (op 0) and one GUILD_CREATE per guild;
* RESUME (op 6): known session + token -> replay of missed dispatches, then RESUMED;
  otherwise INVALID_SESSION (op 9, ``d: false``) so the client re-identifies;
* REQUEST_GUILD_MEMBERS (op 8) -> GUILD_MEMBERS_CHUNK;
* ``zlib-stream`` transport compression when the client asks for it in the query string
  (discord.py 2.7 asks ``?v=10&encoding=json&compress=zlib-stream`` unless ``zstandard`` is
  installed, in which case it asks ``zstd-stream`` and we fall back to plain text frames,
  which it accepts too).

Dispatches are kept per session with their sequence numbers so a RESUME after a drop
replays exactly what the client missed, like the real gateway.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import uuid
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from .discord_http import json_response

if TYPE_CHECKING:
    from .discord_server import FakeDiscord

JSON = dict[str, Any]

OP_DISPATCH = 0
OP_HEARTBEAT = 1
OP_IDENTIFY = 2
OP_PRESENCE_UPDATE = 3
OP_VOICE_STATE_UPDATE = 4
OP_RESUME = 6
OP_RECONNECT = 7
OP_REQUEST_GUILD_MEMBERS = 8
OP_INVALID_SESSION = 9
OP_HELLO = 10
OP_HEARTBEAT_ACK = 11

#: Intents Discord treats as privileged: GUILD_MEMBERS, GUILD_PRESENCES, MESSAGE_CONTENT.
PRIVILEGED_INTENTS = (1 << 1) | (1 << 8) | (1 << 15)
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12


@dataclass
class GatewaySession:
    """One identified gateway session (survives connection drops until invalidated)."""

    session_id: str
    intents: int
    identify: JSON
    seq: int = 0
    #: Every dispatch sent in this session as (seq, full payload), for RESUME replay.
    log: list[tuple[int, JSON]] = field(default_factory=list)
    connection: GatewayConnection | None = None
    invalidated: bool = False


@dataclass
class GatewayConnection:
    """One websocket connection, with everything it sent and received."""

    number: int
    path: str
    query: dict[str, str]
    ws: web.WebSocketResponse
    compress: str | None
    received: list[JSON] = field(default_factory=list)
    sent: list[JSON] = field(default_factory=list)
    session: GatewaySession | None = None
    #: "identify", "resume" or None (neither yet).
    kind: str | None = None
    close_code: int | None = None
    closed: bool = False
    _deflate: Any = None

    @property
    def ops_received(self) -> list[int]:
        """Opcodes received from the client, in order."""
        return [m.get("op") for m in self.received]


class FakeGateway:
    """The websocket half of :class:`~tests.fakes.discord_server.FakeDiscord`.

    Obtain it as ``fake.gateway``; don't construct it directly.
    """

    def __init__(self, owner: FakeDiscord, *, heartbeat_interval_ms: int = 41250) -> None:
        self._owner = owner
        self.heartbeat_interval_ms = heartbeat_interval_ms
        #: Reply to heartbeats (set False to simulate a zombied connection).
        self.ack_heartbeats = True
        #: Websocket upgrades refused so far (see :meth:`refuse_connections`).
        self.refused = 0
        self._refuse_status: int | None = None
        self._refuse_remaining: int | None = None
        #: Close IDENTIFY with 4014 if it asks for privileged intents not in this mask.
        self.allowed_privileged_intents = PRIVILEGED_INTENTS
        self.connections: list[GatewayConnection] = []
        self.sessions: dict[str, GatewaySession] = {}
        self.current_session: GatewaySession | None = None
        self._numbers = itertools.count(1)
        # Set = RESUMEs are answered at once; cleared by pause_resumes() to hold a client
        # in the "reconnected but not yet resumed" state.
        self._resume_gate = asyncio.Event()
        self._resume_gate.set()

    # ------------------------------------------------------------------ introspection

    @property
    def live_connection(self) -> GatewayConnection | None:
        """The connection currently carrying the current session, if any."""
        session = self.current_session
        if session and session.connection and not session.connection.closed:
            return session.connection
        return None

    @property
    def identify_count(self) -> int:
        """How many IDENTIFYs were accepted (READY sent)."""
        return sum(1 for c in self.connections if c.kind == "identify")

    @property
    def resume_count(self) -> int:
        """How many RESUMEs succeeded (RESUMED sent)."""
        return sum(1 for c in self.connections if c.kind == "resume")

    def received(self, op: int | None = None) -> list[JSON]:
        """All client->server gateway messages (optionally only opcode ``op``), across connections."""
        return [m for c in self.connections for m in c.received if op is None or m.get("op") == op]

    async def wait_for(self, predicate: Any, timeout: float = 5.0) -> Any:
        """Wait until ``predicate(gateway)`` is truthy (re-checked whenever gateway state changes)."""
        return await self._owner._wait_until(
            lambda: predicate(self), timeout, what="gateway condition"
        )

    # ------------------------------------------------------------------ test controls

    async def dispatch(self, event: str, data: JSON) -> int:
        """Send dispatch ``event`` (e.g. "INTERACTION_CREATE") on the current session.

        If the client is momentarily disconnected the event is only logged, and a later RESUME
        replays it - exactly what Discord does.  Returns the sequence number used.
        """
        session = self.current_session
        if session is None or session.invalidated:
            raise RuntimeError("no identified gateway session to dispatch on; wait for READY first")
        return await self._dispatch(session, event, data)

    async def dispatch_on(self, session: GatewaySession, event: str, data: JSON) -> int:
        """Send dispatch ``event`` on a session of the test's choosing, current or not.

        Real Discord's behaviour with two unsharded sessions of one bot is not documented;
        tests that run several bot processes pick the receiving sessions themselves.
        """
        return await self._dispatch(session, event, data)

    async def drop(self, code: int = 4000, reason: str = "fake gateway drop") -> None:
        """Close the live connection from the server side with ``code``, keeping the session resumable.

        discord.py resumes after 4000-4003/4005-4009 and also after 1000/1001 that it did not
        initiate; 4004 and 4010-4014 are fatal for it.
        """
        conn = self.live_connection
        if conn is None:
            raise RuntimeError("no live gateway connection to drop")
        await self._close(conn, code, reason)

    async def request_reconnect(self) -> None:
        """Send op 7 RECONNECT; the client should close and RESUME."""
        conn = self.live_connection
        if conn is None:
            raise RuntimeError("no live gateway connection")
        await self._send(conn, {"op": OP_RECONNECT, "d": None})

    async def invalidate_session(self, resumable: bool = False) -> None:
        """Send op 9 INVALID_SESSION; with ``resumable=False`` the client must IDENTIFY again."""
        conn = self.live_connection
        if conn is None:
            raise RuntimeError("no live gateway connection")
        if not resumable and conn.session is not None:
            conn.session.invalidated = True
        await self._send(conn, {"op": OP_INVALID_SESSION, "d": resumable})

    def refuse_connections(self, status: int = 503, count: int | None = None) -> None:
        """Answer the next ``count`` (None: all, until :meth:`accept_connections`) websocket
        upgrades with HTTP ``status`` - a gateway outage.  discord.py logs each failed attempt at
        ERROR ("Attempting a reconnect in ...") and retries with backoff (first wait 0-2 s).
        """
        self._refuse_status, self._refuse_remaining = status, count

    def accept_connections(self) -> None:
        """End a :meth:`refuse_connections` outage."""
        self._refuse_status = self._refuse_remaining = None

    def pause_resumes(self) -> None:
        """Hold incoming RESUMEs (unanswered) until :meth:`release_resumes`."""
        self._resume_gate.clear()

    def release_resumes(self) -> None:
        """Answer held and future RESUMEs again."""
        self._resume_gate.set()

    async def close_all(self) -> None:
        """Close every open connection (used on server shutdown)."""
        for conn in list(self.connections):
            if not conn.closed:
                await self._close(conn, 1001, "server shutdown")

    # ------------------------------------------------------------------ websocket handler

    async def handle(self, request: web.Request) -> web.StreamResponse:
        """aiohttp handler for the gateway and resume-gateway paths."""
        if self._refuse_status is not None:
            status = self._refuse_status
            if self._refuse_remaining is not None:
                self._refuse_remaining -= 1
                if self._refuse_remaining <= 0:
                    self.accept_connections()
            self.refused += 1
            self._notify()
            return json_response({"message": "gateway unavailable", "code": 0}, status)
        # compress=False: discord.py connects with permessage-deflate off (compress=0) and
        # uses transport compression (zlib-stream) instead.
        ws = web.WebSocketResponse(compress=False, max_msg_size=0, autoping=True)
        await ws.prepare(request)
        query = dict(request.query)
        compress = query.get("compress") if query.get("compress") == "zlib-stream" else None
        conn = GatewayConnection(next(self._numbers), request.path, query, ws, compress)
        if compress:
            conn._deflate = zlib.compressobj()
        self.connections.append(conn)
        self._notify()
        try:
            await self._send(
                conn,
                {
                    "op": OP_HELLO,
                    "d": {
                        "heartbeat_interval": self.heartbeat_interval_ms,
                        "_trace": ["fake-gateway"],
                    },
                },
            )
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    payload = json.loads(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    payload = json.loads(msg.data.decode("utf-8"))
                else:
                    break
                conn.received.append(payload)
                self._notify()
                await self._on_message(conn, payload)
        finally:
            conn.closed = True
            if conn.close_code is None:
                conn.close_code = ws.close_code
            if conn.session and conn.session.connection is conn:
                conn.session.connection = None
            self._notify()
        return ws

    async def _on_message(self, conn: GatewayConnection, payload: JSON) -> None:
        op, d = payload.get("op"), payload.get("d")
        if op == OP_HEARTBEAT:
            if self.ack_heartbeats:
                await self._send(conn, {"op": OP_HEARTBEAT_ACK, "d": None})
        elif op == OP_IDENTIFY:
            await self._identify(conn, d or {})
        elif op == OP_RESUME:
            await self._resume(conn, d or {})
        elif op == OP_REQUEST_GUILD_MEMBERS:
            await self._members_chunk(conn, d or {})
        elif op in (OP_PRESENCE_UPDATE, OP_VOICE_STATE_UPDATE):
            pass  # recorded in conn.received; nothing to answer
        else:
            await self._close(conn, 4001, "Unknown opcode")

    async def _identify(self, conn: GatewayConnection, d: JSON) -> None:
        if conn.session is not None:
            await self._close(conn, 4005, "Already authenticated")
            return
        if d.get("token") != self._owner.token:
            await self._close(conn, 4004, "Authentication failed")
            return
        intents = int(d.get("intents") or 0)
        if intents & PRIVILEGED_INTENTS & ~self.allowed_privileged_intents:
            await self._close(conn, 4014, "Disallowed intent(s)")
            return
        if self.current_session is not None:
            self.current_session.invalidated = True
        session = GatewaySession(
            session_id=uuid.uuid4().hex, intents=intents, identify=d, connection=conn
        )
        self.sessions[session.session_id] = session
        self.current_session = session
        conn.session, conn.kind = session, "identify"
        ready = self._owner._ready_payload(session.session_id, shard=d.get("shard"))
        await self._dispatch(session, "READY", ready)
        for guild in self._owner._guild_create_payloads(intents):
            await self._dispatch(session, "GUILD_CREATE", guild)

    async def _resume(self, conn: GatewayConnection, d: JSON) -> None:
        await self._resume_gate.wait()
        session = self.sessions.get(str(d.get("session_id")))
        if session is None or session.invalidated or d.get("token") != self._owner.token:
            await self._send(conn, {"op": OP_INVALID_SESSION, "d": False})
            return
        if session.connection is not None and not session.connection.closed:
            # Discord closes the old socket when a session is resumed elsewhere.
            await self._close(session.connection, 4009, "Session resumed elsewhere")
        session.connection = conn
        self.current_session = session
        conn.session, conn.kind = session, "resume"
        last_seen = int(d.get("seq") or 0)
        for seq, payload in list(session.log):
            if seq > last_seen:
                await self._send(conn, payload)
        await self._dispatch(session, "RESUMED", {"_trace": ["fake-gateway"]})

    async def _members_chunk(self, conn: GatewayConnection, d: JSON) -> None:
        if conn.session is None:
            return
        guild_id = str(d.get("guild_id"))
        members = self._owner._members_for_chunk(
            guild_id,
            query=d.get("query") or "",
            limit=int(d.get("limit") or 0),
            user_ids=d.get("user_ids"),
        )
        chunk: JSON = {
            "guild_id": guild_id,
            "members": members,
            "chunk_index": 0,
            "chunk_count": 1,
            "not_found": [],
        }
        if d.get("nonce") is not None:
            chunk["nonce"] = d["nonce"]
        if d.get("presences"):
            chunk["presences"] = []
        await self._dispatch(conn.session, "GUILD_MEMBERS_CHUNK", chunk)

    # ------------------------------------------------------------------ sending

    async def _dispatch(self, session: GatewaySession, event: str, data: JSON) -> int:
        session.seq += 1
        payload = {"op": OP_DISPATCH, "t": event, "s": session.seq, "d": data}
        session.log.append((session.seq, payload))
        conn = session.connection
        if conn is not None and not conn.closed:
            await self._send(conn, payload)
        self._notify()
        return session.seq

    async def _send(self, conn: GatewayConnection, payload: JSON) -> None:
        if conn.closed or conn.ws.closed:
            return
        conn.sent.append(payload)
        text = json.dumps(payload, separators=(",", ":"))
        try:
            if conn._deflate is not None:
                # zlib-stream: one shared deflate context per connection; every message ends
                # with a Z_SYNC_FLUSH (00 00 ff ff) marker that the client waits for.
                await conn.ws.send_bytes(
                    conn._deflate.compress(text.encode("utf-8"))
                    + conn._deflate.flush(zlib.Z_SYNC_FLUSH)
                )
            else:
                await conn.ws.send_str(text)
        except ConnectionError:
            conn.closed = True

    async def _close(self, conn: GatewayConnection, code: int, reason: str) -> None:
        conn.close_code = code
        if conn.session and conn.session.connection is conn:
            conn.session.connection = None
        conn.closed = True
        self._notify()
        await conn.ws.close(code=code, message=reason.encode("utf-8"))

    def _notify(self) -> None:
        self._owner._notify()
