"""MCProxy module SDK for Python (standard library only).

Speaks the module protocol of docs/MODULES.md on stdin/stdout. A module says which MCP
methods it wants to see and answers each message with an action::

    from mcproxy_module import Module, proceed, replace_result

    module = Module("pii-redactor", "1.0.0", results=["tools/call"])

    @module.on_result
    def redact(message):
        result = message["result"]
        ...
        return replace_result(result)

    module.run()

Messages are answered on a small thread pool, so several can be in flight. stdout carries the
protocol: log to stderr (print(..., file=sys.stderr)), which MCProxy writes to its own log.
"""

import json
import sys
import threading
from concurrent.futures import ThreadPoolExecutor

PROTOCOL_VERSION = "2026-12-01"


def proceed():
    """Let the message through unchanged."""
    return {"action": "continue"}


def replace_params(params):
    """The request goes on with new params."""
    return {"action": "replace", "params": params}


def replace_result(result):
    """The result is replaced by a new one of the same method."""
    return {"action": "replace", "result": result}


def respond(result):
    """Answer the request here: it goes no further."""
    return {"action": "respond", "result": result}


def refuse(message, code=-32602, data=None):
    """Refuse the request with a JSON-RPC error."""
    error = {"code": code, "message": message}
    if data is not None:
        error["data"] = data
    return {"action": "respond", "error": error}


class Module:
    def __init__(self, name, version="0.0.0", requests=(), results=(), workers=4):
        self.name = name
        self.version = version
        self.requests = list(requests)
        self.results = list(results)
        self.config = {}
        self.site = None
        self._on_request = None
        self._on_result = None
        self._on_initialize = None
        self._out = threading.Lock()
        self._pool = ThreadPoolExecutor(max_workers=workers)

    def on_request(self, fn):
        self._on_request = fn
        return fn

    def on_result(self, fn):
        self._on_result = fn
        return fn

    def on_initialize(self, fn):
        """fn(config, site): the module's "config" from MCProxy's configuration, its server."""
        self._on_initialize = fn
        return fn

    def _send(self, message):
        line = json.dumps(message, separators=(",", ":"), ensure_ascii=False)
        with self._out:
            sys.stdout.write(line + "\n")
            sys.stdout.flush()

    def _answer(self, message):
        mid, method, params = message.get("id"), message.get("method"), message.get("params") or {}
        try:
            if method == "module/initialize":
                self.config = params.get("config") or {}
                self.site = params.get("site")
                if params.get("protocolVersion") != PROTOCOL_VERSION:
                    print(f"{self.name}: MCProxy speaks module protocol {params.get('protocolVersion')}, "
                          f"this SDK {PROTOCOL_VERSION}", file=sys.stderr)
                if self._on_initialize:
                    self._on_initialize(self.config, self.site)
                result = {"protocolVersion": PROTOCOL_VERSION, "name": self.name, "version": self.version,
                          "capabilities": {"requests": self.requests, "results": self.results}}
            elif method == "module/request":
                result = self._on_request(params) if self._on_request else proceed()
            elif method == "module/result":
                result = self._on_result(params) if self._on_result else proceed()
            else:
                if mid is not None:
                    self._send({"jsonrpc": "2.0", "id": mid, "error": {"code": -32601, "message": f"Method not found: {method}"}})
                return
            if mid is not None:
                self._send({"jsonrpc": "2.0", "id": mid, "result": result or proceed()})
        except Exception as e:  # a handler's bug: MCProxy applies the module's failure policy
            print(f"{self.name}: {method} failed: {e!r}", file=sys.stderr)
            if mid is not None:
                self._send({"jsonrpc": "2.0", "id": mid, "error": {"code": -32603, "message": str(e)}})

    def run(self):
        for line in sys.stdin:
            if not line.strip():
                continue
            try:
                message = json.loads(line)
            except ValueError:
                self._send({"jsonrpc": "2.0", "id": None, "error": {"code": -32700, "message": "Parse error"}})
                continue
            if "method" not in message:
                continue
            if message["method"] == "module/initialize":
                self._answer(message)  # before anything else
            else:
                self._pool.submit(self._answer, message)
        self._pool.shutdown(wait=True)
