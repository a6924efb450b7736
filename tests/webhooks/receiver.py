"""A real HTTP receiver for webhook tests: a server on a free local port, in a thread, that answers 500 to
the first `fail_first` requests and 200 after, and verifies each request's signature as an integrator would."""

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook, WebhookVerificationError


@dataclass
class Received:
    headers: dict
    body: bytes
    answered: int
    signature_ok: bool


@dataclass
class Receiver:
    secret: str = ""
    fail_first: int = 0
    requests: list[Received] = field(default_factory=list)
    url: str = ""

    def accepted(self) -> list[dict]:
        """The events this receiver took (answered 2xx, signature good), once per webhook-id: what an
        integrator's handler would act on."""
        seen, events = set(), []
        for request in self.requests:
            message_id = request.headers["webhook-id"]
            if request.answered < 300 and request.signature_ok and message_id not in seen:
                seen.add(message_id)
                events.append(Webhook(self.secret).verify(request.body, request.headers))
        return events


def start(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):
            body = self.rfile.read(int(self.headers["content-length"]))
            headers = {key.lower(): value for key, value in self.headers.items()}
            try:
                Webhook(receiver.secret).verify(body, headers)
                signature_ok = True
            except WebhookVerificationError:
                signature_ok = False
            answered = 500 if len(receiver.requests) < receiver.fail_first else (200 if signature_ok else 400)
            receiver.requests.append(Received(headers, body, answered, signature_ok))
            self.send_response(answered)
            self.end_headers()
            self.wfile.write(b"ok" if answered == 200 else b"try again")

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    return server
