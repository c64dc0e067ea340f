"""Errors as RFC 9457 problem details with the contract's stable codes."""
import json

# The framework's codes this service answers with (the registry of @cleavejs/core).
FRAMEWORK = {
    "VALIDATION_FAILED": (400, "The request is not valid"),
    "MALFORMED_JSON": (400, "The request body is not valid JSON"),
    "UNAUTHENTICATED": (401, "Authentication is required"),
    "FORBIDDEN": (403, "Not allowed"),
    "NOT_FOUND": (404, "Not found"),
    "PAYLOAD_TOO_LARGE": (413, "The request body is too large"),
    "INTERNAL": (500, "Internal error"),
    "UNKNOWN_OPERATION": (500, "Unknown operation"),
    "DEPENDENCY_UNAVAILABLE": (503, "A dependency is unavailable"),
    "DEADLINE_EXCEEDED": (504, "The deadline was exceeded"),
}

RESERVED = {"type", "title", "status", "detail", "instance", "code", "traceId", "details"}


class Problem(Exception):
    def __init__(self, code: str, status: int, title: str, detail=None, details=None):
        super().__init__(f"{code}: {detail or title}")
        self.code, self.status, self.title, self.detail, self.details = code, status, title, detail, details or {}

    @staticmethod
    def framework(name: str, detail=None, details=None) -> "Problem":
        status, title = FRAMEWORK[name]
        return Problem(f"cleave.{name}", status, title, detail, details)

    @staticmethod
    def of_contract(contract: dict, name: str, detail=None, details=None) -> "Problem":
        spec = contract["errors"][name]
        return Problem(spec["code"], spec["status"], spec["title"], detail, details)

    def body(self, trace_id: str, instance=None) -> bytes:
        extensions = {k: v for k, v in self.details.items() if k not in RESERVED}
        clashing = {k: v for k, v in self.details.items() if k in RESERVED}
        problem = {**extensions, "type": f"urn:cleave:error:{self.code}", "title": self.title, "status": self.status}
        if self.detail is not None:
            problem["detail"] = self.detail
        if instance is not None:
            problem["instance"] = instance
        problem.update({"code": self.code, "traceId": trace_id})
        if clashing:
            problem["details"] = clashing
        return json.dumps(problem).encode()
