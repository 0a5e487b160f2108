#!/usr/bin/env python3
"""Keeps a mockmx control API busy while an SMTP load runs, as a test suite watching the host would:
WAITERS long-polls of `/api/v1/wait` held open at all times (each re-issued when it returns) and one client
listing a page of messages in a loop. Runs until SIGTERM, then prints
`lists=N waits=N errors=N secs=S client_cpu_pct=P` (P: its own CPU as a share of one core).

  apibusy.py http://127.0.0.1:PORT [--waiters 100] [--page 50]
"""
import argparse
import asyncio
import signal
import sys
import time


async def get(host, port, path):
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(("GET %s HTTP/1.1\r\nHost: %s\r\nConnection: close\r\n\r\n" % (path, host)).encode())
        await writer.drain()
        status = (await reader.readline()).split()
        await reader.read()   # to the end: Connection: close
        return int(status[1]) if len(status) > 1 else 0
    finally:
        writer.close()


async def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("url")
    p.add_argument("--waiters", type=int, default=100)
    p.add_argument("--page", type=int, default=50)
    a = p.parse_args()
    host, port = a.url.split("//", 1)[1].rstrip("/").rsplit(":", 1)
    port = int(port)
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    counts = {"lists": 0, "waits": 0, "errors": 0}

    async def waiter():
        while not stop.is_set():
            try:
                # a count no load reaches: the poll is held until its timeout
                status = await get(host, port, "/api/v1/wait?messages=1000000000&timeout=5s")
                counts["waits" if status in (200, 408) else "errors"] += 1
            except OSError:
                counts["errors"] += 1
                await asyncio.sleep(0.05)

    async def lister():
        while not stop.is_set():
            try:
                status = await get(host, port, "/api/v1/messages?limit=%d" % a.page)
                counts["lists" if status == 200 else "errors"] += 1
            except OSError:
                counts["errors"] += 1
                await asyncio.sleep(0.05)

    started = time.monotonic()
    tasks = [asyncio.create_task(waiter()) for _ in range(a.waiters)] + [asyncio.create_task(lister())]
    print("apibusy: started", flush=True)
    await stop.wait()
    for t in tasks:
        t.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    elapsed = time.monotonic() - started
    # The client's own CPU, as a share of one core: on a small machine it competes with the load for the cores.
    print("lists=%d waits=%d errors=%d secs=%.1f client_cpu_pct=%.0f" % (
        counts["lists"], counts["waits"], counts["errors"], elapsed, 100 * time.process_time() / elapsed), flush=True)


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
