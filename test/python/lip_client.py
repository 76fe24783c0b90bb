#!/usr/bin/python3
"""A stand-in for the Python original's client, written from docs/PROTOCOL.md
("Compatibility with the Python original"). Like the original it lists every
lipcm-*.sock in its directory, sends one CBOR map per connection without
half-closing, and raises ValueError on an {"error": ...} reply.

    python3 lip_client.py --dir D list
    python3 lip_client.py --dir D doc NAME
    python3 lip_client.py --dir D call NAME [ARG ...] [--kw KEY=VALUE ...] [--repeat N] [--half-close]

ARG and VALUE are JSON when they parse as JSON, else strings; "@bytes:N" is N
bytes. Prints one JSON line, {"result": ...} or {"error": ..., "type": ...}
(exit status 1); values JSON lacks are tagged: {"$bytes": n, "sha256": ...},
{"$float": x}, {"$int": "digits"}, {"$set": [...]}, {"$dict": [[k, v], ...]},
{"$datetime": iso}, {"$tag": n}, {"$undefined": true}.
"""
import argparse
import datetime
import glob
import hashlib
import json
import os
import socket
import sys

import cbor2


class LIPClient:
    def __init__(self, socket_dir="/tmp", half_close=False):
        self.socket_dir = socket_dir
        self.half_close = half_close
        self.refresh_sockets()

    def refresh_sockets(self):
        self.sockets = {}
        for path in glob.glob(os.path.join(self.socket_dir, "lipcm-*.sock")):
            name = os.path.basename(path)[len("lipcm-"):-len(".sock")]
            self.sockets[name] = path

    def list_functions(self):
        return sorted(self.sockets)

    def get_docstring(self, function_name):
        return self._request(function_name, {"type": "docstring"})

    def call_function(self, function_name, args=None, kwargs=None):
        return self._request(function_name, {"args": list(args or []), "kwargs": dict(kwargs or {})})

    def _request(self, function_name, request):
        path = self.sockets.get(function_name)
        if path is None:
            raise ValueError(f"Function '{function_name}' not found in available sockets.")
        conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            try:
                conn.connect(path)
            except OSError as error:
                raise ConnectionError(f"Could not connect to socket at {path}: {error}") from error
            conn.sendall(cbor2.dumps(request))
            if self.half_close:
                conn.shutdown(socket.SHUT_WR)
            data = b""
            while True:
                chunk = conn.recv(65536)
                if not chunk:
                    break
                data += chunk
                try:
                    cbor2.loads(data)
                    break
                except cbor2.CBORDecodeEOF:
                    continue
            if not data:
                return None  # closed without a reply
            reply = cbor2.loads(data)
        finally:
            conn.close()
        if "error" in reply:
            raise ValueError(reply["error"])
        return reply.get("result")


def parse_value(text):
    if text.startswith("@bytes:"):
        n = int(text[len("@bytes:"):])
        return bytes(i % 251 for i in range(n))
    try:
        return json.loads(text)
    except ValueError:
        return text


def tagged(value):
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int):
        return value if abs(value) < 2**53 else {"$int": str(value)}
    if isinstance(value, float):
        return {"$float": value if value == value and abs(value) != float("inf") else repr(value)}
    if isinstance(value, (bytes, bytearray)):
        return {"$bytes": len(value), "sha256": hashlib.sha256(value).hexdigest()}
    if isinstance(value, (list, tuple)):
        return [tagged(v) for v in value]
    if isinstance(value, (set, frozenset)):
        return {"$set": sorted((tagged(v) for v in value), key=json.dumps)}
    if isinstance(value, dict):
        if all(isinstance(k, str) for k in value):
            return {k: tagged(v) for k, v in value.items()}
        return {"$dict": [[tagged(k), tagged(v)] for k, v in value.items()]}
    if isinstance(value, datetime.datetime):
        return {"$datetime": value.isoformat()}
    if isinstance(value, cbor2.CBORTag):
        return {"$tag": value.tag}
    if value is cbor2.undefined:
        return {"$undefined": True}
    return {"$repr": repr(value)}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", default="/tmp")
    parser.add_argument("--half-close", action="store_true")
    parser.add_argument("--repeat", type=int, default=1)
    parser.add_argument("--kw", action="append", default=[])
    parser.add_argument("command", choices=["list", "doc", "call"])
    parser.add_argument("name", nargs="?")
    parser.add_argument("args", nargs="*")
    options = parser.parse_args()
    client = LIPClient(options.dir, half_close=options.half_close)
    try:
        if options.command == "list":
            result = client.list_functions()
        elif options.command == "doc":
            result = client.get_docstring(options.name)
        else:
            args = [parse_value(a) for a in options.args]
            kwargs = {}
            for item in options.kw:
                key, _, value = item.partition("=")
                kwargs[key] = parse_value(value)
            results = [client.call_function(options.name, args=args, kwargs=kwargs) for _ in range(options.repeat)]
            result = results[0] if options.repeat == 1 else results
    except Exception as error:
        print(json.dumps({"error": str(error), "type": type(error).__name__}), flush=True)
        return 1
    print(json.dumps({"result": tagged(result)}), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
