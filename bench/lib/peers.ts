/**
 * The reference servers the issue compares Parley with, each one process started for a
 * scenario in the same run (devDependencies): the y-websocket reference server
 * (`@y/websocket-server`, memory only, no auth) and Hocuspocus with SQLite
 * (bench/peers/hocuspocus.mjs). Both take any room name and no cookie.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ROOT, freePort } from '../../tests/support/server';

export type PeerKind = 'y-websocket' | 'hocuspocus';

export interface PeerHandle {
	readonly kind: PeerKind;
	readonly pid: number;
	/** The socket URL of a room. */
	roomUrl(roomId: string): string;
	stop(): Promise<void>;
}

const require = createRequire(import.meta.url);

function command(kind: PeerKind, port: number, dataFile: string): string[] {
	if (kind === 'y-websocket') {
		const pkg = require.resolve('@y/websocket-server/package.json');
		return [join(pkg, '..', 'src', 'server.js')];
	}
	return [join(ROOT, 'bench', 'peers', 'hocuspocus.mjs'), String(port), dataFile];
}

/** Starts a reference server on a free port; `dataFile` is Hocuspocus's SQLite file. */
export async function startPeer(kind: PeerKind, dataFile: string): Promise<PeerHandle> {
	const port = await freePort();
	const child: ChildProcess = spawn(process.execPath, command(kind, port, dataFile), {
		cwd: ROOT,
		env: { ...process.env, HOST: '127.0.0.1', PORT: String(port) },
		stdio: ['ignore', 'pipe', 'inherit']
	});
	await new Promise<void>((ready, fail) => {
		child.stdout?.on('data', (chunk: Buffer) => {
			const text = chunk.toString();
			if (text.includes('listening') || text.includes('running at')) ready();
		});
		child.once('exit', (code) => fail(new Error(`${kind} exited (${code})`)));
	});
	return {
		kind,
		pid: child.pid ?? 0,
		// Hocuspocus takes the document's name in every frame; the path is not read.
		roomUrl: (roomId) => `ws://127.0.0.1:${port}/${kind === 'y-websocket' ? roomId : ''}`,
		async stop() {
			if (child.exitCode !== null) return;
			const exited = new Promise<void>((done) => child.once('exit', () => done()));
			child.kill('SIGTERM');
			setTimeout(() => child.kill('SIGKILL'), 5_000).unref();
			await exited;
		}
	};
}
