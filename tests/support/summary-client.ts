/**
 * A user socket on the summary channel (docs/design.md "Summary channel"), as a browser tab opens
 * it: the session cookie, the server's origin. Keeps every frame and the rooms they describe.
 */
import { WebSocket } from 'ws';
import {
	SUMMARY_PATH,
	parseSummaryFrame,
	type RoomSummary,
	type SummaryFrame
} from '../../src/lib/protocol/summaries';

export interface SummaryClient {
	readonly frames: SummaryFrame[];
	/** The rooms as the frames so far describe them (null before the first snapshot). */
	rooms(): Map<string, RoomSummary> | null;
	/** userId -> online, as the presence frames so far tell it. */
	readonly presence: ReadonlyMap<string, boolean>;
	/** Resolves once `predicate()` holds, re-checked on every frame; rejects at the deadline. */
	waitFor(predicate: () => boolean, what: string, timeoutMs?: number): Promise<void>;
	readonly closed: Promise<{ code: number }>;
	/** Sends a text frame (a delivery acknowledgement, or anything a test needs to send). */
	send(text: string): void;
	close(): void;
}

export function summaryUrl(serverUrl: string): string {
	return `${serverUrl.replace(/^http/, 'ws')}${SUMMARY_PATH}`;
}

export function openSummaries(
	server: { readonly url: string },
	cookie: string | null
): SummaryClient {
	const ws = new WebSocket(summaryUrl(server.url), {
		headers: cookie ? { cookie } : {},
		origin: server.url
	});
	const frames: SummaryFrame[] = [];
	let rooms: Map<string, RoomSummary> | null = null;
	const presence = new Map<string, boolean>();
	const waiters = new Set<() => void>();
	ws.on('message', (data) => {
		const frame = parseSummaryFrame(String(data));
		if (!frame) throw new Error(`not a summary frame: ${String(data)}`);
		frames.push(frame);
		if (frame.type === 'snapshot') rooms = new Map(frame.rooms.map((room) => [room.id, room]));
		else if (frame.type === 'room') rooms?.set(frame.room.id, frame.room);
		else if (frame.type === 'removed') rooms?.delete(frame.roomId);
		else if (frame.type === 'presence') {
			for (const { id, online } of frame.users) presence.set(id, online);
		}
		for (const waiter of [...waiters]) waiter();
	});
	const closed = new Promise<{ code: number }>((resolve) => {
		ws.on('close', (code) => resolve({ code }));
		ws.on('unexpected-response', (_request, response) =>
			resolve({ code: response.statusCode ?? 0 })
		);
		ws.on('error', () => undefined);
	});
	return {
		frames,
		rooms: () => rooms,
		presence,
		closed,
		waitFor(predicate, what, timeoutMs = 10_000) {
			return new Promise((resolve, reject) => {
				const check = (): void => {
					if (!predicate()) return;
					cleanup();
					resolve();
				};
				const timer = setTimeout(() => {
					cleanup();
					reject(new Error(`timed out waiting for ${what}`));
				}, timeoutMs);
				const cleanup = (): void => {
					clearTimeout(timer);
					waiters.delete(check);
				};
				waiters.add(check);
				check();
			});
		},
		send: (text) => ws.send(text),
		close: () => ws.close()
	};
}
