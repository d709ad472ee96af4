/**
 * Attachments and search through the HTTP API of the real program (startServer) after a build.
 * The search tests index with the indexer directly on the server's own SQLite file, to test the
 * API's rules (membership, removal) apart from the sync path; search-indexing.test.ts covers a
 * message going through the sync server into the index.
 */
import { createHash } from 'node:crypto';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as Y from 'yjs';
import { createSqliteStorage } from '../../src/lib/server/storage/sqlite';
import { databaseFile, openDatabase, type Db } from '../../src/lib/server/storage/sqlite/db';
import { createSearchIndexer, type SearchIndexer } from '../../sync-server/search-indexer';
import { registeredClient } from '../support/api';
import { signingClient } from '../support/device';
import { startServer, type ServerHandle } from '../support/server';

type User = Awaited<ReturnType<typeof registeredClient>>;

/** Small, so the 413 tests stay fast and below adapter-node's own 512K default. */
const MAX_UPLOAD_BYTES = 64 * 1024;
const PNG = Uint8Array.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13, 73, 72]);
const JPEG = Uint8Array.from([0xff, 0xd8, 0xff, 0xe0, 0, 16, 74, 70, 73, 70]);

let server: ServerHandle;
let owner: User;
let member: User;
let outsider: User;
let roomId: string;

beforeAll(async () => {
	server = await startServer({ env: { MAX_UPLOAD_BYTES: String(MAX_UPLOAD_BYTES) } });
	[owner, member, outsider] = await Promise.all([
		signingClient(server.url),
		signingClient(server.url),
		signingClient(server.url)
	]);
	roomId = await createRoom(owner, 'Shared');
	await addMember(owner, roomId, member.username);
});

afterAll(async () => {
	await server?.dispose();
});

async function createRoom(user: User, name: string): Promise<string> {
	const response = await user.post<{ id: string }>('/api/rooms', { name, visibility: 'private' });
	expect(response.status).toBe(201);
	return response.body.id;
}

async function addMember(user: User, room: string, username: string): Promise<void> {
	const response = await user.post(`/api/rooms/${room}/members`, { username });
	expect(response.status).toBe(201);
}

function headersOf(user: User | null, extra: Record<string, string>): Record<string, string> {
	const headers: Record<string, string> = { origin: server.url, ...extra };
	if (user?.cookie) headers.cookie = user.cookie;
	return headers;
}

interface Upload {
	readonly status: number;
	readonly body: { id?: string; name?: string; type?: string; size?: number; error?: string };
}

async function upload(
	user: User | null,
	bytes: Uint8Array | ReadableStream<Uint8Array>,
	options: { type?: string; name?: string; room?: string } = {}
): Promise<Upload> {
	const response = await fetch(new URL(`/api/files?roomId=${options.room ?? roomId}`, server.url), {
		method: 'POST',
		headers: headersOf(user, {
			'content-type': options.type ?? 'application/octet-stream',
			'x-file-name': encodeURIComponent(options.name ?? 'notes.bin')
		}),
		body: bytes,
		...(bytes instanceof ReadableStream ? { duplex: 'half' } : {})
	} as RequestInit);
	return { status: response.status, body: (await response.json()) as Upload['body'] };
}

function download(user: User, fileId: string, extra: Record<string, string> = {}) {
	return fetch(new URL(`/api/files/${fileId}`, server.url), { headers: headersOf(user, extra) });
}

function randomBytes(size: number): Uint8Array {
	const bytes = new Uint8Array(size);
	for (let i = 0; i < size; i += 65536) crypto.getRandomValues(bytes.subarray(i, i + 65536));
	return bytes;
}

describe('uploading and downloading files', () => {
	it('gives a member the bytes another member uploaded, unchanged, as a download', async () => {
		const bytes = randomBytes(40_000);
		const uploaded = await upload(owner, bytes, {
			name: 'résumé (final).pdf',
			type: 'application/pdf'
		});
		expect(uploaded.status).toBe(201);
		expect(uploaded.body).toEqual({
			id: expect.any(String),
			name: 'résumé (final).pdf',
			type: 'application/pdf',
			size: 40_000
		});

		const response = await download(member, uploaded.body.id!);
		expect(response.status).toBe(200);
		expect(Buffer.from(await response.arrayBuffer())).toEqual(Buffer.from(bytes));
		const sha = createHash('sha256').update(bytes).digest('hex');
		expect(Object.fromEntries(response.headers)).toMatchObject({
			'content-type': 'application/pdf',
			'content-length': '40000',
			'x-content-type-options': 'nosniff',
			etag: `"${sha}"`,
			'cache-control': expect.stringContaining('private'),
			'content-disposition': expect.stringMatching(
				/^attachment; .*filename\*=UTF-8''r%C3%A9sum%C3%A9/
			)
		});

		const revalidated = await download(member, uploaded.body.id!, { 'if-none-match': `"${sha}"` });
		expect(revalidated.status).toBe(304);
	});

	it('serves a real PNG inline and stores the same content once', async () => {
		const first = await upload(owner, PNG, { type: 'image/png', name: 'a.png' });
		const second = await upload(member, PNG, { type: 'image/png', name: 'b.png' });
		expect([first.status, second.status]).toEqual([201, 201]);
		expect(first.body.id).not.toBe(second.body.id);
		const response = await download(owner, second.body.id!);
		expect(response.headers.get('content-disposition')).toMatch(/^inline; filename="b.png"/);
		expect(response.headers.get('content-type')).toBe('image/png');
		// Magic bytes only, no image: no thumbnail, and a JSON error rather than broken bytes.
		const thumb = await fetch(new URL(`/api/files/${second.body.id}?thumb=1`, server.url), {
			headers: headersOf(owner, {})
		});
		expect(thumb.status).toBe(404);
		expect(await thumb.json()).toEqual({ error: expect.any(String) });

		const sha = createHash('sha256').update(PNG).digest('hex');
		expect(readdirSync(join(server.dataDir, 'files', sha.slice(0, 2)))).toEqual([sha]);
	});

	it('answers a real thumbnail: WebP, at most 480 px a side, made once', async () => {
		const photo = await sharp({
			create: { width: 2000, height: 1000, channels: 3, background: { r: 200, g: 80, b: 40 } }
		})
			.png()
			.toBuffer();
		const uploaded = await upload(owner, photo, { type: 'image/png', name: 'wide.png' });
		expect(uploaded.status).toBe(201);
		const thumb = await fetch(new URL(`/api/files/${uploaded.body.id}?thumb=1`, server.url), {
			headers: headersOf(member, {})
		});
		expect(thumb.status).toBe(200);
		expect(thumb.headers.get('content-type')).toBe('image/webp');
		const bytes = Buffer.from(await thumb.arrayBuffer());
		expect(await sharp(bytes).metadata()).toMatchObject({
			format: 'webp',
			width: 480,
			height: 240
		});
		const sha = createHash('sha256').update(photo).digest('hex');
		expect(thumb.headers.get('etag')).toBe(`"${sha}-thumb"`);
		expect(readdirSync(join(server.dataDir, 'files', 'thumbs', sha.slice(0, 2)))).toEqual([
			`${sha}.webp`
		]);
		const again = await fetch(new URL(`/api/files/${uploaded.body.id}?thumb=1`, server.url), {
			headers: headersOf(member, { 'if-none-match': `"${sha}-thumb"` })
		});
		expect(again.status).toBe(304);
	});

	it('refuses the file to someone outside its room with 403', async () => {
		const uploaded = await upload(owner, new TextEncoder().encode('private notes'));
		expect(uploaded.status).toBe(201);
		const response = await download(outsider, uploaded.body.id!);
		expect(response.status).toBe(403);
		expect(await response.json()).toEqual({ error: expect.any(String) });
	});

	it('answers 404 for an unknown file and 401 without a session', async () => {
		expect((await download(owner, 'nosuchfile')).status).toBe(404);
		const anonymous = await fetch(new URL('/api/files/nosuchfile', server.url));
		expect(anonymous.status).toBe(401);
	});

	it('lets only members upload into a room', async () => {
		expect((await upload(outsider, new Uint8Array([1, 2, 3]))).status).toBe(403);
		expect((await upload(null, new Uint8Array([1, 2, 3]))).status).toBe(401);
		expect((await upload(owner, new Uint8Array([1]), { room: 'nosuchroom' })).status).toBe(404);
	});

	it('refuses a file over MAX_UPLOAD_BYTES with 413, declared or streamed', async () => {
		const tooBig = randomBytes(MAX_UPLOAD_BYTES + 1);
		const declared = await upload(owner, tooBig);
		expect(declared.status).toBe(413);

		// No Content-Length: the limit is found while the body streams in.
		const chunks = [tooBig.subarray(0, 40_000), tooBig.subarray(40_000)];
		const streamed = await upload(
			owner,
			new ReadableStream<Uint8Array>({
				pull(controller) {
					const chunk = chunks.shift();
					if (chunk) controller.enqueue(chunk);
					else controller.close();
				}
			})
		);
		expect(streamed.status).toBe(413);
		expect(readdirSync(join(server.dataDir, 'files', 'tmp'))).toEqual([]);

		// Exactly the limit is fine.
		expect((await upload(owner, tooBig.subarray(0, MAX_UPLOAD_BYTES))).status).toBe(201);
	});

	it('refuses an image whose bytes are not of its declared type, and HTML and SVG', async () => {
		const mislabelled = await upload(owner, JPEG, { type: 'image/png', name: 'fake.png' });
		expect(mislabelled.status).toBe(400);
		expect(mislabelled.body.error).toMatch(/image\/png/);
		const html = new TextEncoder().encode('<script>alert(1)</script>');
		expect((await upload(owner, html, { type: 'text/html' })).status).toBe(400);
		expect((await upload(owner, html, { type: 'image/svg+xml' })).status).toBe(400);
		const exe = new TextEncoder().encode('MZ\x90\x00 pretend program');
		expect((await upload(owner, exe, { type: 'application/pdf' })).status).toBe(400);
	});

	it('refuses an upload without a usable name or type', async () => {
		const noName = await fetch(new URL(`/api/files?roomId=${roomId}`, server.url), {
			method: 'POST',
			headers: headersOf(owner, { 'content-type': 'text/plain' }),
			body: 'x'
		});
		expect(noName.status).toBe(400);
		expect((await upload(owner, new Uint8Array([1]), { type: 'nonsense' })).status).toBe(400);
	});
});

describe('searching messages', () => {
	let db: Db;
	let indexer: SearchIndexer;

	beforeAll(() => {
		db = openDatabase(databaseFile(server.dataDir));
		indexer = createSearchIndexer(createSqliteStorage(db).search, {
			onError: (error) => {
				throw error;
			}
		});
	});

	afterAll(() => {
		db?.close();
	});

	/** Writes messages into a room document and indexes its updates as one committed batch. */
	async function commitMessages(
		room: string,
		author: User,
		texts: readonly string[],
		at: number = Date.now()
	): Promise<string[]> {
		const doc = new Y.Doc();
		const updates: Uint8Array[] = [];
		doc.on('update', (update: Uint8Array) => updates.push(update));
		const ids = texts.map((text, index) => {
			const id = crypto.randomUUID();
			doc.getArray('messages').push([{ id, author: author.userId, text, ts: at + index }]);
			return id;
		});
		await indexer.indexCommitted(updates.map((data) => ({ roomId: room, data })));
		return ids;
	}

	interface SearchBody {
		results: {
			roomId: string;
			roomName: string;
			messageId: string;
			author: string;
			authorName: string;
			text: string;
			snippet: string;
			ts: number;
		}[];
	}

	it('finds messages in the user’s rooms with room and author names, newest first', async () => {
		const room = await createRoom(owner, 'Kitchen');
		await addMember(owner, room, member.username);
		const [older, newer] = await commitMessages(room, owner, [
			'the zucchini bread is ready',
			'more zucchini tomorrow'
		]);
		const response = await member.get<SearchBody>('/api/search?q=zucch');
		expect(response.status).toBe(200);
		expect(response.body.results.map((result) => result.messageId)).toEqual([newer, older]);
		expect(response.body.results[0]).toEqual({
			roomId: room,
			roomName: 'Kitchen',
			messageId: newer,
			author: owner.userId,
			authorName: owner.username,
			text: 'more zucchini tomorrow',
			snippet: 'more zucchini tomorrow',
			ts: expect.any(Number)
		});
	});

	it('never returns messages from rooms the user is not in, and stops after removal', async () => {
		const room = await createRoom(owner, 'Vault');
		await addMember(owner, room, member.username);
		await commitMessages(room, owner, ['the quokka password is hunter2']);
		expect((await outsider.get<SearchBody>('/api/search?q=quokka')).body.results).toEqual([]);
		expect((await member.get<SearchBody>('/api/search?q=quokka')).body.results).toHaveLength(1);

		const removed = await owner.delete(`/api/rooms/${room}/members/${member.userId}`);
		expect(removed.status).toBe(204);
		expect((await member.get<SearchBody>('/api/search?q=quokka')).body.results).toEqual([]);
	});

	it('narrows results by room, author and time range, and refuses bad filters', async () => {
		const porch = await createRoom(owner, 'Porch');
		const shed = await createRoom(owner, 'Shed');
		await addMember(owner, porch, member.username);
		await addMember(owner, shed, member.username);
		const day = 86_400_000;
		const shedTs = Date.now() - day;
		const [porchByOwner] = await commitMessages(
			porch,
			owner,
			['rhubarb crumble'],
			shedTs - 2 * day
		);
		const [porchByMember] = await commitMessages(porch, member, ['rhubarb pie'], shedTs - day);
		const [shedByOwner] = await commitMessages(shed, owner, ['rhubarb seeds'], shedTs);
		const ids = async (filters: string): Promise<string[]> => {
			const response = await member.get<SearchBody>(`/api/search?q=rhubarb${filters}`);
			expect(response.status).toBe(200);
			return response.body.results.map((result) => result.messageId).sort();
		};
		const sorted = (...list: (string | undefined)[]): string[] => (list as string[]).sort();
		expect(await ids('')).toEqual(sorted(porchByOwner, porchByMember, shedByOwner));
		expect(await ids(`&room=${porch}`)).toEqual(sorted(porchByOwner, porchByMember));
		expect(await ids(`&author=${owner.username}`)).toEqual(sorted(porchByOwner, shedByOwner));
		expect(await ids(`&room=${porch}&author=${member.username}`)).toEqual([porchByMember]);
		expect(await ids('&author=nobody_here')).toEqual([]);
		expect(await ids(`&from=${shedTs}`)).toEqual([shedByOwner]);
		expect(await ids(`&to=${shedTs}`)).toEqual(sorted(porchByOwner, porchByMember));
		expect(await ids(`&from=${shedTs - day}&to=${shedTs}`)).toEqual([porchByMember]);
		expect(await ids(`&from=${shedTs + 1}&to=${shedTs + day}`)).toEqual([]);
		// A room filter is no way into a room the caller is not in.
		expect((await outsider.get<SearchBody>(`/api/search?q=rhubarb&room=${porch}`)).body).toEqual({
			results: []
		});

		for (const bad of [
			'&room=NOT%20AN%20ID',
			'&author=',
			'&from=yesterday',
			'&to=-5',
			`&from=${shedTs}&to=${shedTs}`,
			'&limit=1000'
		]) {
			const response = await member.get<{ error: string }>(`/api/search?q=rhubarb${bad}`);
			expect(response.status, bad).toBe(400);
			expect(typeof response.body.error, bad).toBe('string');
		}
	});

	it('answers 400 for an empty query and treats search syntax as plain words', async () => {
		expect((await member.get('/api/search?q=')).status).toBe(400);
		expect((await member.get('/api/search?q=%22%20%22')).status).toBe(400);
		expect((await member.get('/api/search?q=x&limit=0')).status).toBe(400);
		const hostile = await member.get<SearchBody>(
			`/api/search?q=${encodeURIComponent('zucchini OR NEAR( col:x ^*')}`
		);
		expect(hostile.status).toBe(200);
		expect(hostile.body.results).toEqual([]);
	});

	it('answers 401 without a session', async () => {
		const response = await fetch(new URL('/api/search?q=zucchini', server.url));
		expect(response.status).toBe(401);
	});
});
