/**
 * The WebSocket upgrade of the summary channel, `GET /sync/_summaries` (docs/design.md "Summary
 * channel"): the same checks as a room's upgrade but membership (Origin 403, session cookie 401,
 * MAX_CONNECTIONS_PER_USER 429, draining 503), then the socket is handed to the feed. The
 * client sends only delivery acknowledgements (`delivered`), the room whose members' presence it
 * shows (`watch`) and the room it has open (`open`): any other frame closes with 4400.
 */
import type { IncomingMessage } from 'node:http';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData } from 'ws';
import type { Config } from '../src/lib/server/config';
import { MAX_ACKED_ROOMS, SUMMARY_PATH, parseClientFrame } from '../src/lib/protocol/summaries';
import { CloseCode } from '../src/lib/protocol/wire';
import type { Logger } from './logger';
import type { SummaryFeed } from './summary-feed';
import type { TurnPacer } from './turn-pacer';
import {
	answerUpgrade,
	authenticateUpgrade,
	countOpenSocket,
	holdUpgradeSocket,
	refuse,
	type SyncAccess,
	type UpgradeUser
} from './upgrade';

export interface SummaryUpgrade {
	/** Handles the upgrade if its path is the summary channel's; returns false otherwise. */
	handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
	stopAccepting(): void;
	close(): void;
}

/** An acknowledgement naming every room a user may hold (ids and message ids, JSON). */
const MAX_ACK_BYTES = 64 + MAX_ACKED_ROOMS * 160;

function rawText(data: RawData): string {
	if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
	return Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data).toString('utf8');
}

function isSummaryPath(url: string | undefined): boolean {
	try {
		return new URL(url ?? '/', 'http://localhost').pathname === SUMMARY_PATH;
	} catch {
		return false;
	}
}

export function createSummaryUpgrade(deps: {
	readonly access: Pick<SyncAccess, 'verifySession'>;
	readonly config: Pick<Config, 'ORIGIN' | 'MAX_CONNECTIONS_PER_USER'>;
	readonly feed: SummaryFeed;
	readonly log: Logger;
	/** Checks upgrades a few per event-loop turn, with the rooms' (turn-pacer.ts). */
	readonly upgrades: Pick<TurnPacer, 'enqueue'>;
}): SummaryUpgrade {
	const { access, config, feed, log, upgrades } = deps;
	const wss = new WebSocketServer({
		noServer: true,
		perMessageDeflate: false,
		maxPayload: MAX_ACK_BYTES
	});
	const openPerUser = new Map<string, number>();
	let accepting = true;

	function accept(request: IncomingMessage, socket: Duplex, head: Buffer, user: UpgradeUser): void {
		countOpenSocket(openPerUser, user.userId, socket);
		wss.handleUpgrade(request, socket, head, (ws) => {
			const connection = feed.connect({
				...user,
				send: (text) => {
					if (ws.readyState === ws.OPEN) ws.send(text);
				},
				close: (code, reason) => ws.close(code, reason)
			});
			ws.on('message', (data, isBinary) => {
				const frame = isBinary ? null : parseClientFrame(rawText(data));
				if (frame?.type === 'delivered') connection.acknowledge(frame);
				else if (frame?.type === 'watch') connection.watch(frame.roomId);
				else if (frame?.type === 'open') connection.open(frame.roomId);
				else ws.close(CloseCode.MALFORMED_MESSAGE, 'not a client frame');
			});
			ws.once('close', () => connection.leave());
			ws.on('error', (error) => log.warn({ err: error }, 'summary socket error'));
		});
	}

	return {
		handleUpgrade(request, socket, head) {
			if (!isSummaryPath(request.url)) return false;
			holdUpgradeSocket(socket);
			if (!accepting) {
				refuse(socket, 503, 'shutting down');
				return true;
			}
			const answer = (): void =>
				answerUpgrade(socket, () => authenticateUpgrade(request, access, config), {
					accepting: () => accepting,
					openPerUser,
					maxPerUser: config.MAX_CONNECTIONS_PER_USER,
					accept: (user) => accept(request, socket, head, user),
					failed: (error) => log.error({ err: error }, 'summary upgrade check failed')
				});
			upgrades.enqueue(answer, 1);
			return true;
		},
		stopAccepting() {
			accepting = false;
		},
		close() {
			for (const ws of wss.clients) ws.terminate();
			wss.close();
		}
	};
}
