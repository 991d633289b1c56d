"""A webhook receiver on loopback for the tests: records every request, answers scripted statuses."""

import base64
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote


@dataclass
class Received:
    headers: dict
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """`statuses` are answered in turn, then `default`; `hold` seconds are waited before each answer."""

    statuses: list[int] = field(default_factory=list)
    default: int = 200
    hold: float = 0.0
    received: list[Received] = field(default_factory=list)
    server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        host, port = self.server.server_address
        return f"http://{host}:{port}/hook"

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append(Received({k.lower(): v for k, v in self.headers.items()}, body))
                if receiver.hold:
                    time.sleep(receiver.hold)
                status = receiver.statuses.pop(0) if receiver.statuses else receiver.default
                self.send_response(status)
                self.send_header("Content-Type", "text/plain")
                self.end_headers()
                self.wfile.write(f"answered {status}".encode())

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, count: int, timeout: float = 30) -> list[Received]:
        deadline = time.monotonic() + timeout
        while len(self.received) < count and time.monotonic() < deadline:
            time.sleep(0.05)
        return self.received


# --- What an institute's receiver does with a delivery (the README's snippet) ---------------------

HASHED = (
    "key",
    "attempt_id",
    "correct_answers_count",
    "secret",
    "incorrect_answers_count",
    "unanswered_answers_count",
    "percentage",
    "score",
    "user_id",
)


def hash_is_valid(payload: dict, secret: str) -> bool:
    values = {**payload, "secret": secret}
    message = "|".join(quote(str(values[name]), safe="") for name in HASHED)
    expected = hmac.new(secret.encode(), message.encode(), hashlib.sha512).hexdigest()
    return hmac.compare_digest(expected, payload["hash"])


def signature_is_valid(headers: dict, body: bytes, secret: str) -> bool:
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    return any(
        hmac.compare_digest(expected, sig.partition(",")[2])
        for sig in headers["webhook-signature"].split()
        if sig.startswith("v1,")
    )
