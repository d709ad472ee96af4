/**
 * One real program for a test file (startServer, after a build), with the sockets its tests
 * open closed after each test: user sockets on the summary channel and synced room clients.
 * Call at the top of the file; it registers the vitest hooks.
 */
import { afterAll, afterEach, beforeAll } from 'vitest';
import type { RegisteredClient } from './api';
import { startServer, type ServerHandle } from './server';
import { openSummaries, type SummaryClient } from './summary-client';
import { connectAs, type SyncClient } from './sync-client';

export interface LiveServer {
	/** The running program (set once `beforeAll` has run). */
	readonly server: ServerHandle;
	/** A user socket of `user`, closed after the test. */
	summaries(user: RegisteredClient): SummaryClient;
	/** `user`'s room client, synced; destroyed after the test. */
	synced(user: RegisteredClient, roomId: string): Promise<SyncClient>;
}

export function useLiveServer(): LiveServer {
	let handle: ServerHandle | undefined;
	const open: SummaryClient[] = [];
	const clients: SyncClient[] = [];
	beforeAll(async () => {
		handle = await startServer();
	});
	afterAll(async () => {
		await handle?.dispose();
	});
	afterEach(() => {
		for (const client of open.splice(0)) client.close();
		for (const client of clients.splice(0)) client.destroy();
	});
	const live: LiveServer = {
		get server(): ServerHandle {
			if (!handle) throw new Error('the server starts in beforeAll');
			return handle;
		},
		summaries(user) {
			const client = openSummaries(live.server, user.cookie);
			open.push(client);
			return client;
		},
		async synced(user, roomId) {
			const client = connectAs(user, live.server, roomId);
			clients.push(client);
			await client.waitFor(() => client.provider.synced, 10_000, 'synced');
			return client;
		}
	};
	return live;
}
