#!/usr/bin/python3
"""Random nested Python values sent to a TypeScript echo, both ways a Python
program can reach it (docs/PROTOCOL.md): the one-shot protocol of the Python
original, and native frames (preamble, length-prefixed CBOR) with a client
written from the protocol's "minimal Python client". Values hold bytes keys,
tuples, sets, floats (-0.0, nan, inf), bignums and tags 0/1/2/3/258, plus
typed arrays (RFC 8746), Errors (tag 27), undefined and an unknown tag.

    python3 lip_values.py --dir D --count N --seed S

For every value: the echo must return it as docs/PROTOCOL.md says (`expected`),
and the TypeScript side must have seen the same JavaScript value on both paths
(its `shape` function describes what it received). Prints one JSON line:
{"one-shot": {"checked": n, "mismatches": [...]}, "native": {...}, "shapes": {...}}.
"""
import argparse
import datetime
import json
import math
import os
import random
import socket
import struct
import sys

import cbor2

UTC = datetime.timezone.utc
MAX_SAFE = 2**53 - 1


# ---------------------------------------------------------------- the two ways in

def one_shot(path, request):
    conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    conn.connect(path)
    conn.sendall(cbor2.dumps(request))
    conn.shutdown(socket.SHUT_WR)
    reply = bytearray()
    while True:
        chunk = conn.recv(65536)
        if not chunk:
            break
        reply += chunk
    conn.close()
    reply = cbor2.loads(bytes(reply), tag_hook=read_tag)
    if "error" in reply:
        raise ValueError(reply["error"])
    return reply["result"]


def read_tag(decoder, tag):
    # Tag 259 (a JavaScript Map) is a dict to Python; any other unknown tag stays a CBORTag.
    if tag.tag == 259:
        return tag.value
    return tag


class NativeClient:
    """One connection, many calls: [1, id, fn, args, None, None] out, Result or Error back."""

    def __init__(self, path):
        self.conn = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.conn.connect(path)
        self.conn.sendall(b"LIP\x01")
        self.buffer = b""
        self.next_id = 1

    def frame(self):
        while True:
            if len(self.buffer) >= 4:
                (n,) = struct.unpack(">I", self.buffer[:4])
                if len(self.buffer) >= 4 + n:
                    body, self.buffer = self.buffer[4:4 + n], self.buffer[4 + n:]
                    return cbor2.loads(body, tag_hook=read_tag)
            chunk = self.conn.recv(65536)
            if not chunk:
                raise ConnectionError("the server closed the connection")
            self.buffer += chunk

    def call(self, fn, *args):
        call_id = self.next_id
        self.next_id += 1
        body = cbor2.dumps([1, call_id, fn, list(args), None, None])
        self.conn.sendall(struct.pack(">I", len(body)) + body)
        while True:
            message = self.frame()
            if message[0] == 0:  # Hello
                continue
            if message[1] != call_id:
                raise AssertionError(f"reply for {message[1]}, expected {call_id}")
            if message[0] == 2:
                return message[2]
            if message[0] == 3:
                raise ValueError(message[2]["message"])


# ---------------------------------------------------------------- random values

INTS = [0, 1, -1, 23, 24, 255, 256, -257, 2**31, 2**32 - 1, 2**32, -(2**32), -(2**32) - 1, 2**40, -(2**40),
        MAX_SAFE, -MAX_SAFE, 2**53, 2**63, 2**64 - 1, 2**64, -(2**64), -(2**64) - 1, 2**100, -(2**100)]
FLOATS = [0.0, -0.0, 0.5, -1.5, 1.0, 2.0**40, 1e300, 5e-324, float("inf"), float("-inf"), float("nan"), 3.141592653589793]
ERROR_NAMES = ["ValueError", "KeyError", "RangeError", "Error"]


def random_datetime(rng):
    # Millisecond precision: JavaScript Dates have no finer.
    ms = rng.randrange(-(2**40), 2**42)
    return datetime.datetime(1970, 1, 1, tzinfo=UTC) + datetime.timedelta(milliseconds=ms)


def leaf(rng):
    kind = rng.randrange(17)
    if kind == 0:
        return rng.choice(INTS)
    if kind == 1:
        return rng.randrange(-(2**70), 2**70)
    if kind == 2:
        return rng.choice(FLOATS)
    if kind == 3:
        return rng.uniform(-1e6, 1e6)
    if kind == 4:
        return "".join(rng.choice("ab é中\n\"") for _ in range(rng.randrange(6)))
    if kind == 5:
        return rng.choice([True, False, None])
    if kind == 6:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(6)))
    if kind == 7:
        return random_datetime(rng)  # tag 0 (an ISO string), cbor2's default
    if kind == 8:
        return cbor2.CBORTag(1, rng.randrange(-(2**30), 2**32) + rng.randrange(1000) / 1000)  # tag 1
    if kind == 9:
        floats = [rng.choice([0.5, -0.0, 2.0, 1e-3, float("inf")]) for _ in range(rng.randrange(4))]
        return cbor2.CBORTag(86, struct.pack(f"<{len(floats)}d", *floats))  # a Float64Array
    if kind == 10:
        ints = [rng.randrange(-(2**31), 2**31) for _ in range(rng.randrange(4))]
        return cbor2.CBORTag(78, struct.pack(f"<{len(ints)}i", *ints))  # an Int32Array
    if kind == 11:
        fields = {"code": rng.choice(["E_X", 42]), "detail": rng.choice([None, [1, 2], {"k": b"v"}])}
        return cbor2.CBORTag(27, [rng.choice(ERROR_NAMES), "went wrong", fields])  # an Error
    if kind == 12:
        return cbor2.undefined
    if kind == 13:
        return cbor2.CBORTag(1000, "unknown tag")
    if kind == 14:
        return frozenset(rng.choice(INTS[:8]) for _ in range(rng.randrange(3)))
    if kind == 15:
        return tuple(leaf(rng) for _ in range(rng.randrange(3)))
    return rng.randrange(-1000, 1000)


def hashable(rng):
    kind = rng.randrange(6)
    if kind == 0:
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 4)))
    if kind == 1:
        return tuple(rng.choice(INTS[:10]) for _ in range(rng.randrange(1, 3)))
    if kind == 2:
        return rng.choice(INTS)
    if kind == 3:
        return frozenset({rng.randrange(5)})
    if kind == 4:
        return ("nested", (1, b"x"))
    return "text" + str(rng.randrange(100))


def value(rng, depth=0):
    if depth >= 3 or rng.random() < 0.4:
        return leaf(rng)
    kind = rng.randrange(6)
    if kind == 0:
        return [value(rng, depth + 1) for _ in range(rng.randrange(4))]
    if kind == 1:
        return tuple(value(rng, depth + 1) for _ in range(rng.randrange(4)))
    if kind == 2:
        return {"k" + str(i): value(rng, depth + 1) for i in range(rng.randrange(4))}
    if kind == 3:
        return {hashable(rng): value(rng, depth + 1) for _ in range(rng.randrange(1, 4))}
    if kind == 4:
        return {rng.choice(INTS[:12]) for _ in range(rng.randrange(4))}
    return {"mixed": [value(rng, depth + 1)], b"bytes key": (1, 2), (1, "t"): {1, 2}}


# ---------------------------------------------------------------- what comes back

def expected(v, mode):
    """The value docs/PROTOCOL.md says comes back from a TypeScript echo."""
    if v is cbor2.undefined:
        return None if mode == "one-shot" else cbor2.undefined
    if isinstance(v, bool) or v is None or isinstance(v, (str, bytes, int)):
        return v
    if isinstance(v, float):
        # JavaScript has one number type: an integral float within ±(2^53−1) comes back as an int, but -0.0 stays.
        if v == v and v.is_integer() and abs(v) <= MAX_SAFE and not (v == 0 and math.copysign(1, v) < 0):
            return int(v)
        return v
    if isinstance(v, datetime.datetime):
        return v.astimezone(UTC)
    if isinstance(v, (list, tuple)):
        return [expected(x, mode) for x in v]
    if isinstance(v, (set, frozenset)):
        return {expected_key(x) for x in v}
    if isinstance(v, dict):
        return {expected_key(k): expected(x, mode) for k, x in v.items()}
    if isinstance(v, cbor2.CBORTag):
        if v.tag == 1:
            return datetime.datetime.fromtimestamp(round(v.value * 1000) / 1000, UTC)
        if v.tag in (78, 86) and mode == "one-shot":
            # Typed arrays reach Python's one-shot side as lists of numbers.
            count = len(v.value) // (8 if v.tag == 86 else 4)
            return [expected(x, mode) for x in struct.unpack(f"<{count}{'d' if v.tag == 86 else 'i'}", v.value)]
        if v.tag == 27:
            name, message, fields = v.value
            return cbor2.CBORTag(27, [name, message, {k: expected(x, mode) for k, x in fields.items()}])
        return cbor2.CBORTag(v.tag, expected(v.value, mode))
    raise TypeError(f"no expectation for {v!r}")


def expected_key(k):
    if isinstance(k, float) and k == k and k.is_integer():
        return int(k)
    if isinstance(k, (list, tuple)):
        return tuple(expected_key(x) for x in k)
    if isinstance(k, frozenset):
        return frozenset(expected_key(x) for x in k)
    return k


def same(a, b):
    """Strict equality: types matter (1 is not 1.0 nor True), nan equals nan, -0.0 is not 0.0."""
    if isinstance(b, float):
        if not isinstance(a, float):
            return False
        if b != b:
            return a != a
        return a == b and math.copysign(1, a) == math.copysign(1, b)
    if isinstance(b, bool) or isinstance(a, bool):
        return type(a) is type(b) and a == b
    if isinstance(b, int):
        return type(a) is int and a == b
    if isinstance(b, list):
        return isinstance(a, list) and len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(b, dict):
        return isinstance(a, dict) and len(a) == len(b) and all(k in a and same(a[k], x) for k, x in b.items())
    if isinstance(b, (set, frozenset)):
        return isinstance(a, (set, frozenset)) and set(a) == set(b)
    if isinstance(b, cbor2.CBORTag):
        return isinstance(a, cbor2.CBORTag) and a.tag == b.tag and same(a.value, b.value)
    if b is cbor2.undefined:
        return a is cbor2.undefined
    return type(a) is type(b) and a == b


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--dir", required=True)
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    echo_path = os.path.join(options.dir, "lipcm-echo.sock")
    shape_path = os.path.join(options.dir, "lipcm-shape.sock")
    native_echo = NativeClient(echo_path)
    native_shape = NativeClient(shape_path)
    report = {mode: {"checked": 0, "mismatches": []} for mode in ("one-shot", "native")}
    report["shapes"] = {"checked": 0, "mismatches": []}
    for _ in range(options.count):
        v = value(rng)
        for mode in ("one-shot", "native"):
            try:
                back = one_shot(echo_path, {"args": [v], "kwargs": {}}) if mode == "one-shot" else native_echo.call("echo", v)
                ok = same(back, expected(v, mode))
            except Exception as error:  # noqa: BLE001 - reported, not raised
                back, ok = f"{type(error).__name__}: {error}", False
            report[mode]["checked"] += 1
            if not ok and len(report[mode]["mismatches"]) < 5:
                report[mode]["mismatches"].append({"sent": repr(v), "got": repr(back), "expected": repr(expected(v, mode))})
        # What TypeScript received must not depend on the way in.
        shapes = [one_shot(shape_path, {"args": [v], "kwargs": {}}), native_shape.call("shape", v)]
        report["shapes"]["checked"] += 1
        if shapes[0] != shapes[1] and len(report["shapes"]["mismatches"]) < 5:
            report["shapes"]["mismatches"].append({"sent": repr(v), "one-shot": shapes[0], "native": shapes[1]})
    print(json.dumps(report), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
