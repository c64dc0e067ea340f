"""The media module in Python, on Cleave's internal protocol.

Reads the module's contract as `cleave contract export media` wrote it (contract.json):
operation schemas, error codes, which services may call, who subscribes to its events,
and where every service listens. Serves calls with raw bodies (cleave-fields), verifies
service tokens against the callers' JWKS, honours deadlines and trace context, answers
problem+json, makes thumbnails in worker processes and pushes image.ready.v1 to its
subscribers through their HTTP event endpoints.

Standard library plus Debian's python3-pil and python3-cryptography.
"""
import argparse
import json
import os
import signal
import sys
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ProcessPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from calls import Caller, Trace  # noqa: E402
from problems import Problem  # noqa: E402
from schema import validate  # noqa: E402
from service_tokens import SigningKey, TokenIssuer, TokenVerifier  # noqa: E402
from store import Store  # noqa: E402
from thumbnails import etag_of, make_thumbnails  # noqa: E402

IMMUTABLE = "public, max-age=31536000, immutable"
WIDTHS = {"small": 128, "medium": 512, "large": 1024}
JSON_LIMIT_BYTES = int(os.environ.get("CLEAVE_BODY_LIMIT_BYTES", 100 * 1024))
RAW_LIMIT_BYTES = 64 * 1024 * 1024
MAX_DEADLINE_MS = 30_000


def sniff(data: bytes):
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    return None


def image_urls(image_id: str) -> dict:
    quoted = urllib.parse.quote(image_id, safe="")
    return {v: f"/api/v1/media/{quoted}/{v}" for v in ("original", "small", "medium", "large")}


def encode_uri_component(text: str) -> str:
    return urllib.parse.quote(text, safe="-_.!~*'()")


class Media:
    """The handlers: what the TypeScript module does, against the same contract."""

    def __init__(self, contract, store: Store, caller: Caller, pool: ProcessPoolExecutor):
        self.contract, self.store, self.caller, self.pool = contract, store, caller, pool
        self.work = threading.Event()

    def error(self, name, detail=None, details=None):
        return Problem.of_contract(self.contract, name, detail, details)

    def uploadPostImage(self, data, ctx):
        if ctx["user"] is None:
            raise Problem.framework("UNAUTHENTICATED", "uploading acts for a signed-in user")
        body, declared = data["body"], data["contentType"]
        sniffed = sniff(body)
        if sniffed != declared:
            detail = f"the body is {sniffed}, not {declared}" if sniffed else "the body is not a PNG, JPEG or WebP image"
            raise self.error("UNSUPPORTED_IMAGE", detail, {"declared": declared, "sniffed": sniffed})
        try:
            post = self.caller.call("posts", "getPost", {"id": data["id"]}, ctx)
        except Problem as err:
            if err.code == "posts.NOT_FOUND":
                raise self.error("POST_NOT_FOUND", f"no post with id {data['id']}")
            raise
        if post.get("authorId") != ctx["user"]:
            raise self.error("NOT_AUTHOR")
        image_id = str(uuid.uuid4())
        self.store.insert_image(image_id, data["id"], ctx["user"], sniffed, bytes(body), etag_of(body))
        self.work.set()
        return {"imageId": image_id, "postId": data["id"], "status": "processing", "contentType": sniffed, "bytes": len(body), "urls": image_urls(image_id)}

    def getImage(self, data, _ctx):
        image_id, variant = data["imageId"], data["variant"]
        if variant == "original":
            image = self.store.image(image_id)
            if image is None:
                raise self.error("IMAGE_NOT_FOUND", f"no image with id {image_id}")
            return {"body": image["original"], "contentType": image["content_type"], "etag": image["etag"], "cacheControl": IMMUTABLE}
        thumbnail = self.store.thumbnail(image_id, variant)
        if thumbnail:
            return {"body": thumbnail["data"], "contentType": thumbnail["content_type"], "etag": thumbnail["etag"], "cacheControl": IMMUTABLE}
        image = self.store.image(image_id)
        if image is None:
            raise self.error("IMAGE_NOT_FOUND", f"no image with id {image_id}")
        failed = image["status"] == "failed"
        raise self.error("IMAGE_NOT_READY", "the image could not be decoded; no thumbnails will be made" if failed else "thumbnails are being made; try again shortly", {"imageStatus": image["status"]})

    def run_worker(self, stopping: threading.Event):
        """Makes the thumbnails owed, one image at a time per worker process."""
        subscribers = self.contract["events"]["image.ready.v1"]["subscribers"]
        while not stopping.is_set():
            self.work.wait(1.0)
            self.work.clear()
            for image_id in self.store.next_processing():
                image = self.store.image(image_id)
                try:
                    made = self.pool.submit(make_thumbnails, image["original"], WIDTHS).result()
                except Exception as err:  # does not decode: a retry would fail the same way
                    self.store.fail(image_id, f"{type(err).__name__}: {err}")
                    continue
                payload = {"imageId": image_id, "postId": image["post_id"], "width": made["width"], "height": made["height"], "urls": image_urls(image_id)}
                event = {"name": "image.ready.v1", "aggregateKey": image["post_id"], "payload": payload, "traceparent": Trace.new().traceparent(), "subscribers": subscribers}
                self.store.finish(image_id, made, event)
                self.caller.relay_wake.set()


def make_handler(service, contract, media: Media, verifier: TokenVerifier, key: SigningKey, store: Store):
    prefix = contract["protocol"]["callPathPrefix"] + contract["module"] + "/"
    fields_header = contract["protocol"]["headers"]["rawFields"]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "cleave-media-py"

        def log_message(self, *_args):
            pass  # one JSON line per failure is logged instead

        def send(self, status, body: bytes, content_type, extra=None):
            self.send_response(status)
            self.send_header("content-type", content_type)
            self.send_header("content-length", str(len(body)))
            for name, value in (extra or {}).items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def send_json(self, status, value):
            self.send(status, json.dumps(value).encode(), "application/json")

        def problem(self, err: Problem, trace_id):
            self.send(err.status, err.body(trace_id, self.path), contract["protocol"]["problemContentType"])

        def do_GET(self):
            self.rfile.read(int(self.headers.get("content-length") or 0))
            if self.path == "/healthz":
                return self.send_json(200, {"status": "ok"})
            if self.path == "/readyz":
                return self.send_json(200 if store.ping() else 503, {"status": "ready"})
            if self.path == contract["protocol"]["jwksPath"]:
                return self.send_json(200, {"keys": [key.public_jwk]})
            if self.path == contract["protocol"]["infoPath"]:
                # Which modules live where (and a pid) is for services of the topology, as on a framework service.
                try:
                    verifier.verify(self.headers.get("authorization"))
                except Problem as err:
                    return self.problem(err, Trace.new().trace_id)
                return self.send_json(200, {"service": service, "pid": os.getpid(), "modules": [contract["module"]], "language": "python"})
            self.problem(Problem.framework("NOT_FOUND", "no internal route matches"), Trace.new().trace_id)

        def do_POST(self):
            trace = Trace.parse(self.headers.get("traceparent")) or Trace.new()
            try:
                self.call(trace)
            except Problem as err:
                self.problem(err, trace.trace_id)
            except Exception as err:  # a bug here: reveal nothing
                print(json.dumps({"level": 50, "service": service, "msg": "internal call failed", "err": repr(err), "traceId": trace.trace_id}), file=sys.stderr)
                self.problem(Problem.framework("INTERNAL"), trace.trace_id)

        def call(self, trace):
            length = int(self.headers.get("content-length") or 0)
            if not self.path.startswith(prefix):
                self.rfile.read(length)
                raise Problem.framework("NOT_FOUND", "no internal route matches")
            raw_fields = self.headers.get(fields_header)
            limit = RAW_LIMIT_BYTES if raw_fields is not None else JSON_LIMIT_BYTES
            if length > limit:
                self.close_connection = True  # the body is left unread
                raise Problem.framework("PAYLOAD_TOO_LARGE", f"the call body exceeds {limit} bytes")
            # Read before any refusal: an unread body would be taken for the next request on this connection.
            body = self.rfile.read(length)
            caller_service, user = verifier.verify(self.headers.get("authorization"))
            budget = self.headers.get("cleave-deadline-ms")
            budget_ms = float(budget) if budget and budget.replace(".", "", 1).isdigit() and float(budget) > 0 else MAX_DEADLINE_MS
            deadline = time.time() + min(budget_ms, MAX_DEADLINE_MS) / 1000
            name = self.path[len(prefix):]
            spec = contract["operations"].get(name)
            if spec is None:
                raise Problem.framework("UNKNOWN_OPERATION", f'module "{contract["module"]}" has no operation "{name}"')
            data = read_input(raw_fields, body)
            field_errors = validate(spec["input"], data)
            if field_errors:
                raise Problem.framework("VALIDATION_FAILED", f"invalid input for {spec['id']}", {"errors": field_errors})
            ctx = {"user": user, "caller": self.headers.get("cleave-caller") or caller_service, "trace": trace.child(), "deadline": deadline}
            output = getattr(media, name)(data, ctx)
            if time.time() > deadline:
                raise Problem.framework("DEADLINE_EXCEEDED", f"{spec['id']} ran past its deadline")
            if isinstance(output.get("body"), (bytes, bytearray)):
                fields = {k: v for k, v in output.items() if k != "body"}
                return self.send(200, bytes(output["body"]), fields.get("contentType") or "application/octet-stream", {fields_header: encode_uri_component(json.dumps(fields, separators=(",", ":")))})
            self.send_json(200, output)

    return Handler


def read_input(raw_fields, body: bytes):
    if raw_fields is not None:
        try:
            fields = json.loads(urllib.parse.unquote(raw_fields))
        except ValueError as err:
            raise Problem.framework("MALFORMED_JSON", f"the cleave-fields header is not percent-encoded JSON: {err}")
        if not isinstance(fields, dict):
            raise Problem.framework("VALIDATION_FAILED", "the cleave-fields header must hold a JSON object")
        return {**fields, "body": body}
    try:
        return json.loads(body or b"{}")
    except ValueError as err:
        raise Problem.framework("MALFORMED_JSON", str(err))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--contract", required=True)
    args = parser.parse_args()
    with open(args.contract) as f:
        contract = json.load(f)
    service = contract["service"]
    services = contract["services"]

    def url_of(name):
        configured = os.environ.get(services[name]["urlVariable"])
        return (configured or f"http://127.0.0.1:{services[name]['port']}").rstrip("/")

    data_dir = os.path.join(os.environ.get("CLEAVE_DATA_DIR", ".data"), "media-py")
    os.makedirs(data_dir, exist_ok=True)
    key = SigningKey(os.path.join(data_dir, "service-key.ed25519"))
    store = Store(os.path.join(data_dir, "media.sqlite3"))
    verifier = TokenVerifier(service, services.keys(), contract["callers"], lambda s: url_of(s) + contract["protocol"]["jwksPath"])
    caller = Caller(service, contract, TokenIssuer(service, key), url_of, store)
    threads = int(os.environ.get("MEDIA_WORKER_THREADS") or max(1, (os.cpu_count() or 2) - 1))
    pool = ProcessPoolExecutor(max_workers=threads)
    media = Media(contract, store, caller, pool)

    port = urllib.parse.urlparse(url_of(service)).port
    server = ThreadingHTTPServer(("127.0.0.1", port), make_handler(service, contract, media, verifier, key, store))
    server.daemon_threads = True
    stopping = threading.Event()
    for target in (lambda: media.run_worker(stopping), lambda: caller.run_relay(stopping)):
        threading.Thread(target=target, daemon=True).start()
    media.work.set()  # images left processing by a previous run

    def stop(*_):
        stopping.set()
        threading.Thread(target=server.shutdown, daemon=True).start()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(json.dumps({"level": 30, "service": service, "msg": "service started", "url": url_of(service), "workers": threads}), file=sys.stderr)
    server.serve_forever()
    pool.shutdown(cancel_futures=True)


if __name__ == "__main__":
    main()
