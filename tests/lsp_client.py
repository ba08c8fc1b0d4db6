"""A small Language Server Protocol client: drives the real yaml-language-server over stdio (JSON-RPC)."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
import time
from pathlib import Path
from typing import Any

NODE_TOOLS = Path(__file__).resolve().parent / "node"
SERVER = NODE_TOOLS / "node_modules" / "yaml-language-server" / "bin" / "yaml-language-server"
#: What an editor with the YAML extension sends: validation, completion, hover, schemas from modelines.
SETTINGS = {"yaml": {"validate": True, "completion": True, "hover": True, "schemaStore": {"enable": False}, "format": {"enable": False}}}


class LanguageServer:
    """One server process; requests wait for their reply, notifications are queued for `notification`."""

    def __init__(self, root: Path) -> None:
        self.process = subprocess.Popen(["node", str(SERVER), "--stdio"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        self.next_id = 0
        self.replies: dict[int, queue.Queue[dict[str, Any]]] = {}
        self.notifications: queue.Queue[dict[str, Any]] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()
        self.request("initialize", {"processId": None, "rootUri": root.as_uri(), "capabilities": {"textDocument": {"completion": {"completionItem": {"snippetSupport": False}}}, "workspace": {"configuration": True}}})
        self.notify("initialized", {})
        self.notify("workspace/didChangeConfiguration", {"settings": SETTINGS})

    def _send(self, message: dict[str, Any]) -> None:
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        assert self.process.stdin is not None
        self.process.stdin.write(b"Content-Length: %d\r\n\r\n" % len(body) + body)
        self.process.stdin.flush()

    def _read(self) -> None:
        stream = self.process.stdout
        assert stream is not None
        while True:
            headers: dict[str, str] = {}
            while (line := stream.readline().decode()) not in ("\r\n", ""):
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
            if not headers:
                return
            message = json.loads(stream.read(int(headers["content-length"])))
            if "id" in message and "method" in message:  # a request from the server: answer as an editor would
                result: Any = [SETTINGS["yaml"]] * len(message["params"]["items"]) if message["method"] == "workspace/configuration" else None
                self._send({"id": message["id"], "result": result})
            elif "id" in message:
                self.replies[message["id"]].put(message)
            else:
                self.notifications.put(message)

    def request(self, method: str, params: dict[str, Any], timeout: float = 60) -> Any:
        self.next_id += 1
        self.replies[self.next_id] = queue.Queue()
        self._send({"id": self.next_id, "method": method, "params": params})
        reply = self.replies[self.next_id].get(timeout=timeout)
        assert "error" not in reply, reply
        return reply["result"]

    def notify(self, method: str, params: dict[str, Any]) -> None:
        self._send({"method": method, "params": params})

    def notification(self, method: str, timeout: float = 60) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            message = self.notifications.get(timeout=max(0.1, deadline - time.monotonic()))
            if message["method"] == method:
                return dict(message["params"])

    def open(self, path: Path) -> list[dict[str, Any]]:
        """Open a document; returns the diagnostics the server publishes for it."""
        self.notify("textDocument/didOpen", {"textDocument": {"uri": path.as_uri(), "languageId": "yaml", "version": 1, "text": path.read_text(encoding="utf-8")}})
        while True:
            params = self.notification("textDocument/publishDiagnostics")
            if params["uri"] == path.as_uri():
                return list(params["diagnostics"])

    def completion(self, path: Path, line: int, character: int) -> list[str]:
        """Labels offered at a 0-based position."""
        result = self.request("textDocument/completion", {"textDocument": {"uri": path.as_uri()}, "position": {"line": line, "character": character}})
        items = result["items"] if isinstance(result, dict) else result or []
        return [item["label"] for item in items]

    def close(self) -> None:
        try:
            self.request("shutdown", {}, timeout=10)
            self.notify("exit", {})
            self.process.wait(timeout=10)
        except (queue.Empty, subprocess.TimeoutExpired, BrokenPipeError):
            self.process.kill()
            self.process.wait()
