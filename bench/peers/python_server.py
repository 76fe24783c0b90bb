"""The Python original's one-shot protocol: one CBOR map per connection, one reply, close.

Serves add(a, b) on argv[1]. Prints "READY <epoch ms before bind>". Exits when
stdin closes (the parent benchmark process went away) or on SIGTERM.
"""
import os
import signal
import socket
import sys
import threading
import time

import cbor2

path = sys.argv[1]
t0 = time.time() * 1000


def stop(*_):
    try:
        os.unlink(path)
    except OSError:
        pass
    os._exit(0)


signal.signal(signal.SIGTERM, stop)
threading.Thread(target=lambda: (sys.stdin.read(), stop()), daemon=True).start()

server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
server.bind(path)
server.listen(128)
print(f"READY {t0}", flush=True)

while True:
    conn, _ = server.accept()
    try:
        # Like the original: read until a short read.
        data = b""
        while True:
            chunk = conn.recv(1024)
            data += chunk
            if len(chunk) < 1024:
                break
        request = cbor2.loads(data)
        args = request.get("args", [])
        conn.sendall(cbor2.dumps({"result": args[0] + args[1]}))
    except Exception as error:  # noqa: BLE001 - the original answers any failure this way
        try:
            conn.sendall(cbor2.dumps({"error": str(error)}))
        except OSError:
            pass
    finally:
        conn.close()
