#!/usr/bin/env python3
"""A TCP proxy in front of PostgreSQL that loses the answer to a batch's COMMIT.

Usage: cut_at_commit.py UPSTREAM_HOST UPSTREAM_PORT CUTS [--hold] [--any]

Listens on 127.0.0.1 (a free port, printed as the first line of standard output) and passes every connection through
to the upstream server. On a connection that has ended an item with batch_item_end() (a batch of the commit queue
holding several writes, with or without a savepoint per write), the first CUTS times it sends COMMIT the proxy passes
the COMMIT on, lets the server finish it, throws its answer away and closes the connection: the client cannot know
whether the batch committed, which is what a failover or a network cut at that moment does. With --hold it keeps
the connection open instead and passes nothing more either way, as a peer that vanished without a word (a machine
lost, a network partition) does: no answer ever comes and no end of the connection either. With --any it cuts at
any transaction's COMMIT, not only a batch's (a read's or a sealer round's). Runs until killed; used by the Swift
tests and the drills.
"""
import socket
import sys
import threading
import time

host, port, cuts = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
hold = "--hold" in sys.argv[4:]
any_commit = "--any" in sys.argv[4:]
lock = threading.Lock()


def take_cut():
    global cuts
    with lock:
        if cuts <= 0:
            return False
        cuts -= 1
        return True


def close(*sockets):
    for sock in sockets:
        try:
            sock.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass


def serve(client):
    upstream = socket.create_connection((host, port))
    state = {"batch": False, "cut": False}

    def to_client():
        try:
            while True:
                data = upstream.recv(65536)
                if not data:
                    break
                if state["cut"]:
                    continue
                client.sendall(data)
        except OSError:
            pass
        finally:
            close(client, upstream)

    threading.Thread(target=to_client, daemon=True).start()
    try:
        while True:
            data = client.recv(65536)
            if not data:
                break
            if b"batch_item_end" in data:
                state["batch"] = True
            if (state["batch"] or any_commit) and b"COMMIT" in data and take_cut():
                state["cut"] = True
                upstream.sendall(data)
                if hold:
                    # Swallow whatever the client sends from now on, until it gives up and closes.
                    while client.recv(65536):
                        pass
                else:
                    time.sleep(0.5)
                break
            if b"COMMIT" in data:
                state["batch"] = False
            upstream.sendall(data)
    except OSError:
        pass
    finally:
        close(client, upstream)
        client.close()
        upstream.close()


listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind(("127.0.0.1", 0))
listener.listen(64)
print(listener.getsockname()[1], flush=True)
while True:
    connection, _ = listener.accept()
    threading.Thread(target=serve, args=(connection,), daemon=True).start()
