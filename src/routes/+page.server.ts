import { fail, redirect } from '@sveltejs/kit';
import { failAction, readChosenId, signedIn } from '$lib/server/form-actions';
import { joinRoom } from '$lib/server/memberships';
import { createRoom, listPublicRooms, listUserRooms } from '$lib/server/rooms';
import { CreateRoomSchema, parseInput } from '$lib/server/schemas';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => {
	const user = signedIn(locals.user);
	const { rooms } = locals.services.storage;
	return {
		rooms: await listUserRooms(rooms, user.id),
		publicRooms: await listPublicRooms(rooms, user.id),
		// The client keeps the newer of this list and its saved copy (a cached page is older).
		loadedAt: Date.now()
	};
};

export const actions = {
	create: async ({ request, locals }) => {
		const user = signedIn(locals.user);
		const form = await request.formData();
		const name = form.get('name');
		const visibility = form.get('visibility');
		const encrypted = form.get('encrypted') === 'on';
		const values = {
			name: typeof name === 'string' ? name : '',
			visibility: visibility === 'public' ? 'public' : 'private',
			encrypted
		};
		const parsed = parseInput(CreateRoomSchema, { name, visibility, encrypted });
		if (!parsed.ok) {
			return fail(400, {
				action: 'create' as const,
				message: parsed.message,
				fields: parsed.fields,
				values
			});
		}
		const verdict = locals.services.limits.rooms.consume(user.id);
		if (!verdict.allowed) {
			return fail(429, {
				action: 'create' as const,
				message: 'You created many rooms recently. Try again later.',
				fields: {} as Record<string, string>,
				values
			});
		}
		const room = await createRoom(
			locals.services.storage.rooms,
			user.id,
			parsed.data.name,
			parsed.data.visibility,
			Date.now(),
			parsed.data.encrypted ?? false
		);
		redirect(303, `/rooms/${room.id}`);
	},
	join: async ({ request, locals }) => {
		const user = signedIn(locals.user);
		const roomId = await readChosenId(request, 'roomId', 'join', 'Choose a room to join.');
		if (!roomId.ok) return roomId.failure;
		const result = await joinRoom(locals.services.storage.rooms, roomId.id, user.id);
		if (!result.ok) return failAction('join', result.reason);
		redirect(303, `/rooms/${result.value.id}`);
	}
} satisfies Actions;
