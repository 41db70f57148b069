"""The FastAGI router over real sockets: routing, parameters, the health probe, and junk connections."""

from __future__ import annotations

import asyncio

from centralita.telephony.fastagi import FastAgiServer, probe


async def _serve(server: FastAgiServer) -> int:
    await server.start("127.0.0.1", 0)
    return server._server.sockets[0].getsockname()[1]


async def test_routes_a_request_and_speaks_agi():
    seen = {}
    server = FastAgiServer()

    @server.route("ivr/entry")
    async def entry(call):
        seen["params"], seen["caller"] = call.params, call.caller
        seen["var"] = await call.get_variable("CENTRALITA_FLOW")
        await call.set_variable("CENTRALITA_QUEUE", 'a "quoted" value')

    port = await _serve(server)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"agi_network: yes\nagi_network_script: ivr/entry?flow=demo\nagi_callerid: 5551234\n\n")
    await writer.drain()
    assert await reader.readline() == b"GET VARIABLE CENTRALITA_FLOW\n"
    writer.write(b"200 result=1 (demo)\n")
    await writer.drain()
    assert await reader.readline() == b'SET VARIABLE CENTRALITA_QUEUE "a \\"quoted\\" value"\n'
    writer.write(b"200 result=1\n")
    await writer.drain()
    assert await reader.read() == b""  # the server hangs up when the script ends
    writer.close()
    await server.stop()
    assert seen == {"params": {"flow": "demo"}, "caller": "5551234", "var": "demo"}


async def test_probe_and_connections_closed_early_do_not_hang_the_server():
    server = FastAgiServer()
    port = await _serve(server)
    for _ in range(3):  # panoramisk's own handler would spin forever on each of these
        _, writer = await asyncio.open_connection("127.0.0.1", port)
        writer.write(b"agi_network: yes\n")
        writer.close()
    assert await probe("127.0.0.1", port)
    await server.stop()
    assert not await probe("127.0.0.1", port, timeout=0.5)


async def test_a_failing_script_does_not_take_the_server_down():
    server = FastAgiServer()

    @server.route("boom")
    async def boom(call):
        raise RuntimeError("bug in a script")

    port = await _serve(server)
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    writer.write(b"agi_network_script: boom\n\n")
    await writer.drain()
    assert await reader.read() == b""
    assert await probe("127.0.0.1", port)
    await server.stop()
