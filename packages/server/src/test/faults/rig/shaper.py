#!/usr/bin/env python3
# The fault rig's packet shaper, a user-space stand-in for `tc netem` (this kernel is built without sch_netem):
# forwards every Ethernet frame between two interfaces, each delayed by delay ± jitter ms (uniform, so frames can
# overtake each other as with netem's jitter) and dropped with probability `loss`.
# Usage: shaper.py <if-a> <if-b> <delay-ms> <jitter-ms> <loss 0..1>
import heapq
import random
import select
import socket
import sys
import time

ETH_P_ALL = 0x0003
PACKET_OUTGOING = 4


def open_raw(ifname):
    s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(ETH_P_ALL))
    s.bind((ifname, 0))
    s.setblocking(False)
    return s


def main():
    a, b = open_raw(sys.argv[1]), open_raw(sys.argv[2])
    delay, jitter, loss = float(sys.argv[3]) / 1000, float(sys.argv[4]) / 1000, float(sys.argv[5])
    peer = {a: b, b: a}
    queue = []
    n = 0
    while True:
        timeout = max(0.0, queue[0][0] - time.monotonic()) if queue else 1.0
        readable, _, _ = select.select([a, b], [], [], timeout)
        for s in readable:
            while True:
                try:
                    frame, addr = s.recvfrom(65535)
                except BlockingIOError:
                    break
                if addr[2] == PACKET_OUTGOING or random.random() < loss:
                    continue
                n += 1
                due = time.monotonic() + max(0.0, delay + random.uniform(-jitter, jitter))
                heapq.heappush(queue, (due, n, peer[s], frame))
        now = time.monotonic()
        while queue and queue[0][0] <= now:
            _, _, out, frame = heapq.heappop(queue)
            try:
                out.send(frame)
            except OSError as error:
                print(f"shaper: dropped a frame of {len(frame)} bytes: {error}", file=sys.stderr)


main()
