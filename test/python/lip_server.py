#!/usr/bin/python3
"""A stand-in for the Python original's server, written from docs/PROTOCOL.md
("Compatibility with the Python original"): one socket per function at
<dir>/lipcm-<name>.sock, one CBOR request per connection, one CBOR reply, close.

    python3 lip_server.py --dir D [--short-reads] [--prefix py_] [--log-dir L]

Serves the functions below (named <prefix><name>) and prints READY once every
socket listens. --short-reads reads requests the way the original does (1024-byte
chunks up to the first short read) instead of until the CBOR item is whole.
--log-dir logs as the original does, to L/log_<name>.log: each call at DEBUG, and
any failure, a request that does not decode included, at ERROR with its traceback.
"""
import argparse
import inspect
import logging
import os
import signal
import socket
import sys
import threading

import cbor2


def add(a, b):
    """Adds two numbers."""
    return a + b


def greet(name, greeting="Hello"):
    """Greets someone."""
    return f"{greeting}, {name}!"


def fail(message):
    raise ValueError(message)


def echo(value):
    return value


def size(data):
    """Length of a byte string."""
    return len(data)


def kinds(*values):
    """Python type names of the arguments."""
    return [type(v).__name__ for v in values]


def nodoc():
    return None


def unencodable():
    return object()


executed = 0


def counter():
    """How many times this function has run (to prove a probe runs nothing)."""
    global executed
    executed += 1
    return executed


FUNCTIONS = [add, greet, fail, echo, size, kinds, nodoc, unencodable, counter]


def read_request(conn, short_reads):
    """Returns the decoded request, or None if it never became a whole CBOR item."""
    data = b""
    while True:
        chunk = conn.recv(1024 if short_reads else 65536)
        data += chunk
        if short_reads:
            if len(chunk) < 1024:
                break
            continue
        if not chunk:
            break
        try:
            return cbor2.loads(data)
        except cbor2.CBORDecodeEOF:
            continue
    return cbor2.loads(data)


def handle(conn, fn, short_reads, log):
    with conn:
        try:
            request = read_request(conn, short_reads)
        except Exception:
            log.exception("Error while reading the request")
            return
        if not isinstance(request, dict):
            return  # the original closes without a reply
        if request.get("type") == "docstring":
            reply = {"result": fn.__doc__}
        else:
            try:
                bound = inspect.signature(fn).bind(*request.get("args", []), **request.get("kwargs", {}))
                log.debug("Calling %s with %s", fn.__name__, request)
                reply = {"result": fn(*bound.args, **bound.kwargs)}
            except Exception as error:
                log.exception("Error in %s", fn.__name__)
                reply = {"error": str(error)}
        try:
            payload = cbor2.dumps(reply)
        except Exception:
            return  # an unencodable result: closed without a reply, like the original
        try:
            conn.sendall(payload)
        except OSError:
            pass


def logger_for(name, log_dir):
    log = logging.getLogger(name)
    log.setLevel(logging.DEBUG)
    log.propagate = False
    if log_dir:
        handler = logging.FileHandler(os.path.join(log_dir, f"log_{name}.log"))
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s"))
        log.addHandler(handler)
    else:
        log.addHandler(logging.NullHandler())
    return log


def serve(path, fn, short_reads, log):
    if os.path.lexists(path):
        os.unlink(path)
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path)
    server.listen(64)

    def loop():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            threading.Thread(target=handle, args=(conn, fn, short_reads, log), daemon=True).start()

    threading.Thread(target=loop, daemon=True).start()
    return server


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--prefix", default="py_")
    parser.add_argument("--short-reads", action="store_true")
    parser.add_argument("--log-dir")
    options = parser.parse_args()
    paths = []
    for fn in FUNCTIONS:
        name = f"{options.prefix}{fn.__name__}"
        path = os.path.join(options.dir, f"lipcm-{name}.sock")
        serve(path, fn, options.short_reads, logger_for(name, options.log_dir))
        paths.append(path)

    def stop(*_):
        for path in paths:
            try:
                os.unlink(path)
            except FileNotFoundError:
                pass
        os._exit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print("READY", os.getpid(), flush=True)
    while True:
        signal.pause()


if __name__ == "__main__":
    sys.exit(main())
