"""Calls to other services and pushes of events, with service tokens, the trace
context and the remaining deadline, as the TypeScript HTTP transport sends them."""
import http.client
import json
import os
import re
import sys
import threading
import time
import urllib.parse

from problems import Problem

TRACEPARENT = re.compile(r"^00-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$")


class Trace:
    def __init__(self, trace_id, span_id, flags="01"):
        self.trace_id, self.span_id, self.flags = trace_id, span_id, flags

    @staticmethod
    def new():
        return Trace(os.urandom(16).hex(), os.urandom(8).hex())

    @staticmethod
    def parse(header):
        match = TRACEPARENT.match(header or "")
        if not match or set(match.group(1)) == {"0"} or set(match.group(2)) == {"0"}:
            return None
        return Trace(match.group(1), match.group(2), match.group(3))

    def child(self):
        return Trace(self.trace_id, os.urandom(8).hex(), self.flags)

    def traceparent(self):
        return f"00-{self.trace_id}-{self.span_id}-{self.flags}"


class Caller:
    def __init__(self, service, contract, issuer, url_of, store):
        self.service, self.contract, self.issuer, self.url_of, self.store = service, contract, issuer, url_of, store
        self.relay_wake = threading.Event()

    def host_of(self, module):
        return next(name for name, spec in self.contract["services"].items() if module in spec["modules"])

    def _post(self, service, path, body: bytes, headers, timeout_s):
        url = urllib.parse.urlparse(self.url_of(service))
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout_s)
        try:
            connection.request("POST", path, body=body, headers=headers)
            response = connection.getresponse()
            return response.status, response.read()
        finally:
            connection.close()

    def call(self, module, operation, data, ctx):
        """One operation of another module; its contract errors come back as Problems with their codes."""
        if module not in self.contract["dependsOn"]:
            raise Problem.framework("INTERNAL", f'media does not declare "{module}"')
        remaining_ms = int((ctx["deadline"] - time.time()) * 1000)
        if remaining_ms <= 0:
            raise Problem.framework("DEADLINE_EXCEEDED", f"no time left to call {module}.{operation}")
        target = self.host_of(module)
        span = ctx["trace"].child()
        headers = {
            "content-type": "application/json",
            "authorization": "Bearer " + self.issuer.token_for(target, ctx["user"]),
            "traceparent": span.traceparent(),
            "cleave-deadline-ms": str(remaining_ms),
            "cleave-caller": self.contract["module"],
        }
        path = self.contract["protocol"]["callPathPrefix"] + f"{module}/{operation}"
        try:
            status, body = self._post(target, path, json.dumps(data).encode(), headers, remaining_ms / 1000)
        except TimeoutError:
            raise Problem.framework("DEADLINE_EXCEEDED", f"{module}.{operation} did not answer within {remaining_ms} ms")
        except OSError as err:
            raise Problem.framework("DEPENDENCY_UNAVAILABLE", f"{target} could not be reached: {err}", {"service": target})
        try:
            value = json.loads(body) if body else None
        except ValueError:
            value = None
        if status == 200:
            return value
        if isinstance(value, dict) and isinstance(value.get("code"), str):
            reserved = {"type", "title", "status", "detail", "instance", "code", "traceId", "details"}
            details = {k: v for k, v in value.items() if k not in reserved}
            raise Problem(value["code"], status, value.get("title", "Error"), value.get("detail"), details)
        raise Problem.framework("DEPENDENCY_UNAVAILABLE", f"{target} answered {status} without problem details")

    def run_relay(self, stopping):
        """Pushes the outbox to each subscriber service, in seq order, until each accepts (at least once)."""
        backoff = {}
        while not stopping.is_set():
            self.relay_wake.wait(0.5)
            self.relay_wake.clear()
            for service in self.store.pending_services():
                if backoff.get(service, (0, 0))[1] > time.time():
                    continue
                batch = self.store.pending_for(service)
                if not batch:
                    continue
                events = [{k: e[k] for k in ("id", "name", "aggregateKey", "seq", "payload", "traceparent", "createdAt")} | {"publisher": self.contract["module"]} for e in batch]
                headers = {"content-type": "application/json", "authorization": "Bearer " + self.issuer.token_for(service, None)}
                try:
                    status, body = self._post(service, self.contract["protocol"]["eventsPath"], json.dumps({"events": events}).encode(), headers, 10)
                except OSError as err:
                    status, body = 0, str(err).encode()
                if status == 200:
                    self.store.delivered([e["seq"] for e in batch], service)
                    backoff.pop(service, None)
                    self.relay_wake.set()
                else:
                    delay = min(backoff.get(service, (0.1, 0))[0] * 2, 10)
                    backoff[service] = (delay, time.time() + delay)
                    print(json.dumps({"level": 40, "msg": "event push failed; retrying", "service": service, "status": status, "body": body[:300].decode(errors="replace")}), file=sys.stderr)
