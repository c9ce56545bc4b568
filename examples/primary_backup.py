#!/usr/bin/env python3
"""A replicated key-value node that follows parley's node contract, and is wrong on purpose.

Python 3, standard library only. It shows what a node needs to run under parley in any
language (docs/nodes.md): a peer TCP port, the client HTTP API, a data directory that
survives kill -9, and one outbound connection per peer, dialled at the addresses parley
gives, so the fault proxies carry everything it says.

    npx parley run --node-command \
      'python3 examples/primary_backup.py --id {id} --listen {listen} --api {api} --data {data} {peers}' \
      --algo primary-backup --faults partition

Replication is primary-backup with asynchronous copies, the naive way:

  * the primary is the lowest node id among the nodes this node has heard from in the last
    second (no quorum, no terms, no epochs);
  * the primary applies a write, syncs it to its own disk, acknowledges it, and only then
    sends copies to the backups;
  * every node answers reads from its own copy; writes and compare-and-set at a backup are
    forwarded to the primary.

parley finds each of its flaws: a backup serves stale reads; when a partition cuts the
primary off, the other side picks a primary of its own and both accept writes (split
brain); when the primary crashes, the writes it acknowledged but had not copied yet are
gone from the node that takes over, and when it comes back it serves its old values.
"""

import argparse
import json
import os
import socket
import socketserver
import sys
import threading
import time
from collections import deque
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import unquote

HEARTBEAT_S = 0.1
# A peer not heard from for this long is presumed dead (and may be alive: the flaw).
PEER_TIMEOUT_S = 1.0
FORWARD_TIMEOUT_S = 1.0
MAX_QUEUED = 10_000


def host_port(text):
    host, _, port = text.rpartition(":")
    return host.strip("[]"), int(port)


class Metrics:
    def __init__(self):
        self.lock = threading.Lock()
        self.counts = {"msgsSent": 0, "bytesSent": 0, "fsyncs": 0, "clientRequests": 0, "forwards": 0}

    def add(self, name, n=1):
        with self.lock:
            self.counts[name] += n

    def snapshot(self):
        with self.lock:
            return dict(self.counts)


class PeerLink:
    """One outbound connection to a peer: messages queue here and leave on it, in order."""

    def __init__(self, peer_id, address, metrics):
        self.peer_id = peer_id
        self.address = address
        self.metrics = metrics
        self.queue = deque()
        self.ready = threading.Condition()
        self.connected = False
        threading.Thread(target=self.run, daemon=True).start()

    def send(self, message):
        """Queue a message; False when the link is down (it certainly will not arrive)."""
        with self.ready:
            if not self.connected or len(self.queue) >= MAX_QUEUED:
                return False
            self.queue.append((json.dumps(message) + "\n").encode())
            self.ready.notify()
            return True

    def run(self):
        backoff = 0.05
        while True:
            try:
                sock = socket.create_connection(self.address, timeout=1.0)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                sock.settimeout(None)
            except OSError:
                time.sleep(backoff)
                backoff = min(backoff * 2, 0.5)
                continue
            backoff = 0.05
            with self.ready:
                self.connected = True
                self.queue.clear()
            try:
                while True:
                    with self.ready:
                        while not self.queue:
                            self.ready.wait()
                        batch = b"".join(self.queue)
                        count = len(self.queue)
                        self.queue.clear()
                    sock.sendall(batch)
                    self.metrics.add("msgsSent", count)
                    self.metrics.add("bytesSent", len(batch))
            except OSError:
                pass
            finally:
                with self.ready:
                    self.connected = False
                sock.close()


class Node:
    def __init__(self, node_id, peers, data_dir):
        self.id = node_id
        self.metrics = Metrics()
        self.lock = threading.Lock()
        self.store = {}
        os.makedirs(data_dir, exist_ok=True)
        self.log_path = os.path.join(data_dir, "store.jsonl")
        self.recover()
        self.log = open(self.log_path, "a", encoding="utf-8")
        self.links = {pid: PeerLink(pid, addr, self.metrics) for pid, addr in peers.items()}
        self.last_heard = {pid: float("-inf") for pid in peers}
        self.pending = {}
        self.next_rid = 0
        threading.Thread(target=self.heartbeats, daemon=True).start()

    def recover(self):
        if not os.path.exists(self.log_path):
            return
        with open(self.log_path, encoding="utf-8") as f:
            for line in f:
                try:
                    record = json.loads(line)
                except ValueError:
                    break  # a line torn by kill -9: everything before it was whole
                self.store[record["k"]] = record["v"]

    def persist(self, key, value, sync):
        self.log.write(json.dumps({"k": key, "v": value}) + "\n")
        self.log.flush()
        if sync:
            os.fsync(self.log.fileno())
            self.metrics.add("fsyncs")

    def primary(self):
        now = time.monotonic()
        alive = [pid for pid, t in self.last_heard.items() if now - t < PEER_TIMEOUT_S]
        return min([self.id] + alive)

    def heartbeats(self):
        while True:
            for link in self.links.values():
                link.send({"t": "hb", "from": self.id})
            time.sleep(HEARTBEAT_S)

    # --- peer messages -------------------------------------------------------------------

    def on_message(self, message):
        sender = message.get("from")
        if sender in self.last_heard:
            self.last_heard[sender] = time.monotonic()
        kind = message.get("t")
        if kind == "copy":
            with self.lock:
                self.store[message["k"]] = message["v"]
                self.persist(message["k"], message["v"], sync=False)
        elif kind == "fwd":
            status, body = self.execute(message["op"])
            link = self.links.get(sender)
            if link:
                link.send({"t": "fwd-reply", "from": self.id, "rid": message["rid"], "status": status, "body": body})
        elif kind == "fwd-reply":
            waiter = self.pending.get(message["rid"])
            if waiter:
                waiter["reply"] = (message["status"], message["body"])
                waiter["done"].set()

    # --- client operations ---------------------------------------------------------------

    def execute(self, op):
        """A write or cas: applied here if this node is the primary, else forwarded to it."""
        primary = self.primary()
        if primary != self.id:
            return self.forward(primary, op)
        with self.lock:
            current = self.store.get(op["key"])
            if op["f"] == "cas" and current != op["from"]:
                return 409, {"ok": False, "error": "precondition", "value": current}
            value = op["value"] if op["f"] == "write" else op["to"]
            self.store[op["key"]] = value
            self.persist(op["key"], value, sync=True)
        # Acknowledged before any backup has it: the asynchronous copy.
        for link in self.links.values():
            link.send({"t": "copy", "from": self.id, "k": op["key"], "v": value})
        return 200, {"ok": True}

    def forward(self, primary, op):
        self.metrics.add("forwards")
        with self.lock:
            self.next_rid += 1
            rid = self.next_rid
        waiter = {"done": threading.Event(), "reply": None}
        self.pending[rid] = waiter
        try:
            if not self.links[primary].send({"t": "fwd", "from": self.id, "rid": rid, "op": op}):
                return 503, {"error": f"primary {primary} unreachable"}
            if not waiter["done"].wait(FORWARD_TIMEOUT_S):
                return 504, {"error": "timeout"}
            return waiter["reply"]
        finally:
            self.pending.pop(rid, None)

    def read(self, key):
        with self.lock:
            return self.store.get(key)


def scalar(value):
    return value is None or isinstance(value, (str, int, float, bool))


def make_api(node):
    class Api(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, *args):
            pass

        def reply(self, status, body):
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def read_body(self):
            # Read it whatever the route: bytes left unread would be taken for the next
            # request on this keep-alive connection.
            length = int(self.headers.get("content-length") or 0)
            raw = self.rfile.read(length) if length > 0 else b""
            try:
                parsed = json.loads(raw or b"null")
            except ValueError:
                return None
            return parsed if isinstance(parsed, dict) else None

        def route(self, method):
            node.metrics.add("clientRequests")
            request_body = self.read_body()
            parts = self.path.split("?")[0].split("/")[1:]
            if parts == ["status"] and method == "GET":
                primary = node.primary()
                return self.reply(200, {"id": node.id, "algo": "primary-backup", "role": "leader" if primary == node.id else "follower", "leader": primary})
            if parts == ["metrics"] and method == "GET":
                return self.reply(200, node.metrics.snapshot())
            if parts == ["txn"]:
                if method != "POST":
                    return self.reply(405, {"error": "method not allowed"})
                return self.reply(501, {"error": "transactions are not offered"})
            if len(parts) in (2, 3) and parts[0] == "kv" and parts[1] and (len(parts) == 2 or parts[2] == "cas"):
                key = unquote(parts[1])
                if len(parts) == 3:
                    if method != "POST":
                        return self.reply(405, {"error": "method not allowed"})
                    body = request_body
                    if body is None or "from" not in body or "to" not in body or not scalar(body["from"]) or not scalar(body["to"]):
                        return self.reply(400, {"error": 'expected {"from": scalar, "to": scalar}'})
                    return self.reply(*node.execute({"f": "cas", "key": key, "from": body["from"], "to": body["to"]}))
                if method == "GET":
                    return self.reply(200, {"value": node.read(key)})
                if method == "PUT":
                    body = request_body
                    if body is None or "value" not in body or not scalar(body["value"]):
                        return self.reply(400, {"error": 'expected {"value": scalar}'})
                    return self.reply(*node.execute({"f": "write", "key": key, "value": body["value"]}))
                return self.reply(405, {"error": "method not allowed"})
            return self.reply(404, {"error": "not found"})

        def do_GET(self):
            self.route("GET")

        def do_PUT(self):
            self.route("PUT")

        def do_POST(self):
            self.route("POST")

        def do_DELETE(self):
            self.route("DELETE")

    return Api


def peer_server(node, address):
    class Peer(socketserver.StreamRequestHandler):
        def handle(self):
            for line in self.rfile:
                try:
                    message = json.loads(line)
                except ValueError:
                    continue  # cut mid-message by a fault: drop it, keep the connection
                if isinstance(message, dict):
                    node.on_message(message)

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    return Server(address, Peer)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--id", required=True)
    parser.add_argument("--listen", required=True, help="peer TCP host:port")
    parser.add_argument("--api", required=True, help="client HTTP host:port")
    parser.add_argument("--data", required=True)
    parser.add_argument("--peer", action="append", default=[], help="id=host:port, repeatable")
    args = parser.parse_args()
    peers = {}
    for spec in args.peer:
        pid, _, address = spec.partition("=")
        peers[pid] = host_port(address)

    node = Node(args.id, peers, args.data)
    peers_in = peer_server(node, host_port(args.listen))
    threading.Thread(target=peers_in.serve_forever, daemon=True).start()
    api = ThreadingHTTPServer(host_port(args.api), make_api(node))
    api.daemon_threads = True
    print(f"{args.id} ready: peers on {args.listen}, API on {args.api}, {len(node.store)} keys recovered", file=sys.stderr, flush=True)
    api.serve_forever()


if __name__ == "__main__":
    main()
