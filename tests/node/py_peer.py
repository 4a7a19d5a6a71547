#!/usr/bin/python3
"""A python3-websockets peer for the SharpCat tests (Debian's python3-websockets, loopback only).

  client-echo URL FILE        send FILE in 64 KiB messages while reading the echo; close when all came back
  server-sink FILE OUT        serve one connection on 127.0.0.1 (port printed first), write what it receives to OUT
  server-source FILE          serve one connection, send FILE in 64 KiB messages, then close with 1000
  client-sink URL OUT         connect, write what comes to OUT until the server closes

Each prints one "close CODE REASON" line (the close the peer saw) and exits 0, or prints the error and exits 1.
"""
import asyncio, os, ssl, sys, websockets

CHUNK = 64 * 1024
LIMITS = dict(max_size=None, max_queue=64, compression=None)
# wss:// URLs trust the test CA named by WS_CAFILE.
if os.environ.get('WS_CAFILE'):
    CLIENT = dict(LIMITS, ssl=ssl.create_default_context(cafile=os.environ['WS_CAFILE']))
else:
    CLIENT = LIMITS


def chunks(data):
    for i in range(0, len(data), CHUNK):
        yield data[i:i + CHUNK]


async def client_echo(url, path):
    data = open(path, 'rb').read()
    async with websockets.connect(url, **CLIENT) as ws:
        async def send():
            for c in chunks(data):
                await ws.send(c)
        sender = asyncio.ensure_future(send())
        got = bytearray()
        while len(got) < len(data):
            m = await ws.recv()
            got += m if isinstance(m, bytes) else m.encode()
        await sender
        if bytes(got) != data:
            raise SystemExit('echo differs from what was sent')
        print(f'echoed {len(got)}', flush=True)
        await ws.close(1000, 'all echoed')
        print(f'close {ws.close_code} {ws.close_reason}', flush=True)


async def serve(handler):
    done = asyncio.get_running_loop().create_future()

    async def wrapped(ws, *_):
        try:
            await handler(ws)
            print(f'close {ws.close_code} {ws.close_reason}', flush=True)
            done.set_result(None)
        except Exception as e:  # reported, and the test fails on the exit status
            done.set_exception(e)

    async with websockets.serve(wrapped, '127.0.0.1', 0, **LIMITS) as server:
        print(f'port {server.sockets[0].getsockname()[1]}', flush=True)
        await done


async def sink(ws, out):
    with open(out, 'wb') as f:
        try:
            async for m in ws:
                f.write(m if isinstance(m, bytes) else m.encode())
        except websockets.ConnectionClosedOK:
            pass


async def source(ws, path):
    for c in chunks(open(path, 'rb').read()):
        await ws.send(c)
    await ws.close(1000, 'all sent')


async def client_sink(url, out):
    async with websockets.connect(url, **CLIENT) as ws:
        await sink(ws, out)
    print(f'close {ws.close_code} {ws.close_reason}', flush=True)


async def main(mode, args):
    if mode == 'client-echo':
        await client_echo(*args)
    elif mode == 'server-sink':
        await serve(lambda ws: sink(ws, args[0]))
    elif mode == 'server-source':
        await serve(lambda ws: source(ws, args[0]))
    elif mode == 'client-sink':
        await client_sink(*args)
    else:
        raise SystemExit(f'unknown mode {mode}')


try:
    asyncio.run(asyncio.wait_for(main(sys.argv[1], sys.argv[2:]), 120))
except websockets.ConnectionClosedError as e:
    print(f'error: connection closed: {e}', flush=True)
    sys.exit(1)
