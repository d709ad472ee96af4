/**
 * The baseline: a bare `ws` relay that decodes nothing and broadcasts every frame to every
 * other socket. Parley's fan-out is reported as a ratio to it. Run as its own process:
 *   node --import tsx bench/relay.ts <port>
 */
import { createServer } from 'node:http';
import { WebSocketServer, type WebSocket } from 'ws';

const port = Number(process.argv[2] ?? 0);
const server = createServer();
const wss = new WebSocketServer({ server, perMessageDeflate: false });
const sockets = new Set<WebSocket>();

wss.on('connection', (ws) => {
	sockets.add(ws);
	ws.on('message', (data, isBinary) => {
		for (const other of sockets) if (other !== ws) other.send(data, { binary: isBinary });
	});
	ws.on('close', () => sockets.delete(ws));
	ws.on('error', () => undefined);
});

server.listen(port, '127.0.0.1', () => {
	const address = server.address();
	const actual = typeof address === 'object' && address ? address.port : port;
	console.log(JSON.stringify({ msg: 'listening', port: actual }));
});
process.once('SIGTERM', () => process.exit(0));
