"""A minimal PostgreSQL client on the standard library, enough for pyshop.

Protocol 3.0 (https://www.postgresql.org/docs/current/protocol.html):
- startup, then authentication by trust, cleartext, md5 or SCRAM-SHA-256 (what
  scripts/local/postgres configures; passwords are taken as given, without SASLprep);
- statements through the extended query protocol (Parse, Bind, Describe, Execute, Sync), so
  that a statement runs with $1, $2 parameters exactly as written in queries/<version>.sql;
  parameters and results travel as text;
- a small lock-protected pool that drops a connection once its socket fails.
"""

import base64
import hashlib
import hmac
import os
import queue
import socket
import struct
import threading


class PgError(Exception):
    """An ErrorResponse from the server; the connection remains usable."""

    def __init__(self, fields):
        self.fields = fields
        self.code = fields.get("C", "")
        super().__init__(f'{fields.get("S", "ERROR")} {self.code}: {fields.get("M", "")}')


class ConnectionLost(Exception):
    """The socket failed or the server broke the protocol; the connection is unusable."""


def _cstr(s):
    return s.encode() + b"\0"


def _msg(kind, payload=b""):
    return kind + struct.pack("!i", len(payload) + 4) + payload


def _fields(payload):
    out = {}
    for part in payload.split(b"\0"):
        if part:
            out[chr(part[0])] = part[1:].decode(errors="replace")
    return out


class Connection:
    def __init__(self, host, port, user, database, password="", application_name="", timeout=10.0):
        self.sock = socket.create_connection((host, int(port)), timeout=timeout)
        self.rfile = self.sock.makefile("rb")
        self.user, self.password = user, password or ""
        params = {"user": user, "database": database, "client_encoding": "UTF8"}
        if application_name:
            params["application_name"] = application_name
        body = struct.pack("!i", 196608) + b"".join(_cstr(k) + _cstr(v) for k, v in params.items()) + b"\0"
        try:
            self.sock.sendall(struct.pack("!i", len(body) + 4) + body)
            self._authenticate()
            self._until_ready()
        except BaseException:
            self.close()
            raise

    def _read(self):
        head = self.rfile.read(5)
        if len(head) < 5:
            raise ConnectionLost("the server closed the connection")
        kind, length = head[:1], struct.unpack("!i", head[1:])[0]
        payload = self.rfile.read(length - 4)
        if len(payload) < length - 4:
            raise ConnectionLost("the server closed the connection")
        return kind, payload

    def _authenticate(self):
        scram = None
        while True:
            kind, payload = self._read()
            if kind == b"E":
                raise PgError(_fields(payload))
            if kind != b"R":
                raise ConnectionLost(f"unexpected message {kind!r} during authentication")
            code = struct.unpack("!i", payload[:4])[0]
            data = payload[4:]
            if code == 0:  # AuthenticationOk
                return
            if code == 3:  # cleartext password
                self.sock.sendall(_msg(b"p", _cstr(self.password)))
            elif code == 5:  # md5: "md5" + md5(md5(password + user) + salt)
                inner = hashlib.md5((self.password + self.user).encode()).hexdigest()
                outer = hashlib.md5(inner.encode() + data[:4]).hexdigest()
                self.sock.sendall(_msg(b"p", _cstr("md5" + outer)))
            elif code == 10:  # SASL: the server lists its mechanisms
                if b"SCRAM-SHA-256" not in data.split(b"\0"):
                    raise ConnectionLost(f"no supported SASL mechanism in {data!r}")
                scram = _Scram(self.password)
                first = scram.client_first().encode()
                self.sock.sendall(_msg(b"p", _cstr("SCRAM-SHA-256") + struct.pack("!i", len(first)) + first))
            elif code == 11 and scram:  # SASLContinue
                self.sock.sendall(_msg(b"p", scram.client_final(data.decode()).encode()))
            elif code == 12 and scram:  # SASLFinal
                scram.verify_server(data.decode())
            else:
                raise ConnectionLost(f"unsupported authentication request {code}")

    def _until_ready(self):
        """Reads up to ReadyForQuery; returns (columns, rows, the first error or None)."""
        columns, rows, error = None, [], None
        while True:
            kind, payload = self._read()
            if kind == b"Z":
                return columns, rows, error
            if kind == b"E":
                error = error or PgError(_fields(payload))
            elif kind == b"T":  # RowDescription: name, then 18 bytes of attributes per field
                count, pos, columns = struct.unpack("!h", payload[:2])[0], 2, []
                for _ in range(count):
                    end = payload.index(b"\0", pos)
                    columns.append(payload[pos:end].decode())
                    pos = end + 1 + 18
            elif kind == b"D":  # DataRow: per column a length (-1 for NULL) and the text
                count, pos, row = struct.unpack("!h", payload[:2])[0], 2, []
                for _ in range(count):
                    n = struct.unpack("!i", payload[pos:pos + 4])[0]
                    pos += 4
                    row.append(None if n < 0 else payload[pos:pos + n].decode())
                    pos += max(n, 0)
                rows.append(row)
            # ParseComplete, BindComplete, NoData, CommandComplete, notices, parameter
            # statuses and BackendKeyData need no action here.

    def query(self, sql, params=()):
        """Runs one statement; returns its rows as dicts (values as text, NULL as None)."""
        values = b"".join(
            struct.pack("!i", -1) if p is None else struct.pack("!i", len(str(p).encode())) + str(p).encode()
            for p in params
        )
        try:
            self.sock.sendall(
                _msg(b"P", _cstr("") + _cstr(sql) + struct.pack("!h", 0))
                + _msg(b"B", _cstr("") + _cstr("") + struct.pack("!hh", 0, len(params)) + values + struct.pack("!h", 0))
                + _msg(b"D", b"P\0")
                + _msg(b"E", _cstr("") + struct.pack("!i", 0))
                + _msg(b"S")
            )
            columns, rows, error = self._until_ready()
        except OSError as e:
            raise ConnectionLost(str(e)) from e
        if error:
            raise error
        return [dict(zip(columns or [], r)) for r in rows]

    def close(self):
        try:
            self.sock.sendall(_msg(b"X"))
        except OSError:
            pass
        self.rfile.close()
        self.sock.close()


class _Scram:
    """SCRAM-SHA-256 as in RFC 5802/7677, without channel binding ("n,,")."""

    def __init__(self, password):
        self.password = password.encode()
        self.nonce = base64.b64encode(os.urandom(18)).decode()

    def client_first(self):
        self.first_bare = f"n=,r={self.nonce}"
        return "n,," + self.first_bare

    def client_final(self, server_first):
        attrs = dict(a.split("=", 1) for a in server_first.split(","))
        if not attrs["r"].startswith(self.nonce):
            raise ConnectionLost("SCRAM: the server's nonce does not extend ours")
        salted = hashlib.pbkdf2_hmac("sha256", self.password, base64.b64decode(attrs["s"]), int(attrs["i"]))
        without_proof = f"c=biws,r={attrs['r']}"
        self.auth_message = f"{self.first_bare},{server_first},{without_proof}".encode()
        client_key = hmac.digest(salted, b"Client Key", "sha256")
        signature = hmac.digest(hashlib.sha256(client_key).digest(), self.auth_message, "sha256")
        proof = bytes(a ^ b for a, b in zip(client_key, signature))
        self.server_key = hmac.digest(salted, b"Server Key", "sha256")
        return f"{without_proof},p={base64.b64encode(proof).decode()}"

    def verify_server(self, server_final):
        expected = base64.b64encode(hmac.digest(self.server_key, self.auth_message, "sha256")).decode()
        if not hmac.compare_digest(server_final.strip(), f"v={expected}"):
            raise ConnectionLost("SCRAM: the server's signature does not match")


class Pool:
    """At most `size` connections, opened on demand and reused; a failed one is dropped."""

    def __init__(self, size=5, wait=5.0, **connect_args):
        self.connect_args = connect_args
        self.wait = wait
        self.slots = threading.BoundedSemaphore(size)
        self.idle = queue.LifoQueue()

    def query(self, sql, params=()):
        if not self.slots.acquire(timeout=self.wait):
            raise ConnectionLost(f"no database connection free within {self.wait} s")
        try:
            try:
                conn, reused = self.idle.get_nowait(), True
            except queue.Empty:
                conn, reused = Connection(**self.connect_args), False
            try:
                result = conn.query(sql, params)
            except ConnectionLost:
                conn.close()
                if not reused:
                    raise
                # Most likely an idle connection the server closed meanwhile (a restart, a
                # terminated backend): one retry on a new connection. A server that crashed
                # mid-statement looks the same; pyshop's statements tolerate a rare repeat.
                conn = Connection(**self.connect_args)
                try:
                    result = conn.query(sql, params)
                except ConnectionLost:
                    conn.close()
                    raise
            self.idle.put(conn)
            return result
        finally:
            self.slots.release()

    def close(self):
        while True:
            try:
                self.idle.get_nowait().close()
            except queue.Empty:
                return
