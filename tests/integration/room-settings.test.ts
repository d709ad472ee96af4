/**
 * Room settings with the real program (startServer, after a build): the owner renames a room,
 * sets its topic and archives it through PATCH /api/rooms/:id; another member's summary socket
 * gets the new name at once, and the gate of the archived room refuses new messages.
 */
import { describe, expect, it } from 'vitest';
import { ApiClient, createPrivateRoom } from '../support/api';
import { signingClient } from '../support/device';
import { useLiveServer } from '../support/live-server';

const live = useLiveServer();
const { summaries } = live;
const member = live.synced;

describe('PATCH /api/rooms/:id', () => {
	it('lets the owner rename, set a topic and archive; refuses others and bad input', async () => {
		const [alice, bob] = await Promise.all([
			signingClient(live.server.url),
			signingClient(live.server.url)
		]);
		const roomId = await createPrivateRoom(alice, 'Plans', [bob]);
		const path = `/api/rooms/${roomId}`;

		expect(
			(await new ApiClient(live.server.url).request('PATCH', path, { name: 'x' })).status
		).toBe(401);
		const byMember = await bob.request('PATCH', path, { name: 'Mine now' });
		expect(byMember.status).toBe(403);
		expect(byMember.body).toEqual({ error: expect.any(String) });
		expect((await alice.request('PATCH', '/api/rooms/nosuchroom', { name: 'x' })).status).toBe(404);
		for (const body of [
			{},
			{ name: '' },
			{ name: 'a\u0007bell' },
			{ topic: 'x'.repeat(251) },
			{ archived: 'yes' },
			{ owner: bob.userId },
			['name']
		]) {
			const refused = await alice.request<{ error: string }>('PATCH', path, body);
			expect(refused.status, JSON.stringify(body)).toBe(400);
			expect(typeof refused.body.error).toBe('string');
		}
		// Nothing of the refused requests changed the room.
		const members = await bob.get<{ members: unknown[] }>(`/api/rooms/${roomId}/members`);
		expect(members.status).toBe(200);

		const renamed = await alice.request('PATCH', path, {
			name: '  Summer plans ',
			topic: 'Where we go in July'
		});
		expect(renamed.status).toBe(200);
		expect(renamed.body).toEqual({
			id: roomId,
			name: 'Summer plans',
			visibility: 'private',
			topic: 'Where we go in July',
			archived: false
		});
		const archived = await alice.request('PATCH', path, { archived: true });
		expect(archived.body).toMatchObject({ name: 'Summer plans', archived: true });
		const reopened = await alice.request('PATCH', path, { archived: false });
		expect(reopened.body).toMatchObject({ archived: false });
	});

	it('refuses DMs: they have no owner and keep their names', async () => {
		const [alice, bob] = await Promise.all([
			signingClient(live.server.url),
			signingClient(live.server.url)
		]);
		const dm = await alice.post<{ id: string }>('/api/dms', { username: bob.username });
		const renamed = await alice.request('PATCH', `/api/rooms/${dm.body.id}`, { name: 'Ours' });
		expect(renamed.status).toBe(403);
	});

	it('sends members a fresh summary with the new name, and the archived room refuses messages', async () => {
		const [alice, bob] = await Promise.all([
			signingClient(live.server.url),
			signingClient(live.server.url)
		]);
		const roomId = await createPrivateRoom(alice, 'Before', [bob]);
		const feed = summaries(bob);
		await feed.waitFor(() => feed.rooms()?.get(roomId)?.name === 'Before', 'the first name');
		const bobInRoom = await member(bob, roomId);
		bobInRoom.send('still open');
		await bobInRoom.waitForStored(10_000);

		await alice.request('PATCH', `/api/rooms/${roomId}`, { name: 'After', topic: 'New topic' });
		await feed.waitFor(() => feed.rooms()?.get(roomId)?.name === 'After', 'the new name');
		expect(feed.rooms()?.get(roomId)).toMatchObject({ topic: 'New topic', archived: false });

		await alice.request('PATCH', `/api/rooms/${roomId}`, { archived: true });
		await feed.waitFor(() => feed.rooms()?.get(roomId)?.archived === true, 'archived');
		const late = bobInRoom.send('too late');
		await bobInRoom.waitFor(
			() => bobInRoom.denied.some((reason) => reason.includes('the room is archived')),
			10_000,
			'the refusal'
		);
		// A fresh client sees the room without the refused message.
		const aliceInRoom = await member(alice, roomId);
		expect(aliceInRoom.messages().map((m) => m.text)).toEqual(['still open']);
		expect(aliceInRoom.messages().some((m) => m.id === late.id)).toBe(false);
	});
});
