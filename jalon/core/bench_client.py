"""A reader in `make bench`'s throughput: a process of its own that, on each order, asks
for one page again and again for a while, on a kept-alive connection it opens anew every
ten pages, as a browser does from one visit to the next, and sends back how long each
took. (On one connection
for ever, a client stays with the server process that accepted it, and four clients on
two processes measured anything from 0.9 × to 1.9 × one client, as the connections
happened to fall.)

It speaks HTTP/1.1 on a bare socket, as load generators do (wrk, ab): the request's bytes
made once, the answer read to its Content-Length. On two cores shared with the server,
a client's own work is taken from the server's: http.client's parsing took about a third
of the time a kept page takes to serve. Spawned, not forked (forking the benchmark's large
process can fail for want of memory to commit), so nothing here imports Django.
"""

import os
import socket
import time

VISIT = 10  # pages asked for on one connection


def _answer(sock: socket.socket, buffer: bytes) -> tuple[int, bytes]:
    """Read one answer; return its status and what follows it in ``buffer``."""
    while b"\r\n\r\n" not in buffer:
        chunk = sock.recv(65536)
        if not chunk:
            raise ConnectionError("the server closed the connection")
        buffer += chunk
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split()[1])
    length = None
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length is None:
        raise ConnectionError("an answer without Content-Length")
    while len(rest) < length:
        chunk = sock.recv(max(65536, length - len(rest)))
        if not chunk:
            raise ConnectionError("the server closed the connection")
        rest += chunk
    return status, rest[length:]


def read(port: int, path: str, cookie: str, anew: bool, begin: float, end: float) -> list[float]:
    """Ask for ``path`` from ``begin`` to ``end`` (the clock's time, shared by every
    client); made ``anew``: an address of its own each time (a parameter the page ignores),
    so that no page kept by the server serves it. Return how long each page took."""
    headers = f"Host: 127.0.0.1:{port}\r\nCookie: {cookie}\r\nAccept-Language: en\r\n\r\n"
    kept = f"GET {path} HTTP/1.1\r\n{headers}".encode()
    latencies: list[float] = []
    buffer = b""
    sock = None
    while time.time() < begin:
        time.sleep(0.001)
    k = 0
    try:
        while time.time() < end:
            url = f"{path}?anew={os.getpid()}-{k}" if anew else None
            start = time.perf_counter()
            if k % VISIT == 0:  # a new visit: a new connection, timed as the page's
                if sock is not None:
                    sock.close()
                sock = socket.create_connection(("127.0.0.1", port), timeout=120)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                buffer = b""
            k += 1
            sock.sendall(kept if url is None else f"GET {url} HTTP/1.1\r\n{headers}".encode())
            status, buffer = _answer(sock, buffer)
            if status != 200:
                raise ConnectionError(f"the page answered {status}")
            latencies.append(time.perf_counter() - start)
    finally:
        if sock is not None:
            sock.close()
    return latencies


def serve(orders) -> None:
    """Read whenever ``orders`` says (the arguments of `read`), and send back ("done",
    latencies) or ("failed", what); stop at None. One process serves every run of the
    benchmark, so that no run waits for interpreters to start."""
    try:
        orders.send(("ready", None))
        while (order := orders.recv()) is not None:
            try:
                orders.send(("done", read(*order)))
            except OSError as error:
                orders.send(("failed", repr(error)))
    finally:
        orders.close()
