import { error, fail, redirect } from '@sveltejs/kit';
import { getDb } from '$lib/server/db';
import { describeFailure } from '$lib/server/http';
import { joinRoom } from '$lib/server/memberships';
import { createRoom, listPublicRooms, listUserRooms } from '$lib/server/rooms';
import { CreateRoomSchema, parseInput } from '$lib/server/schemas';
import type { User } from '$lib/server/session';
import type { Actions, PageServerLoad } from './$types';

/** Typed so every failure shape has the same `fields` type for the page. */
function noFields(): Record<string, string> {
	return {};
}

/** hooks.server.ts already sends signed-out visitors to /login; this only narrows the type. */
function signedIn(user: User | null): User {
	if (!user) error(401, 'You are not logged in.');
	return user;
}

export const load: PageServerLoad = ({ locals }) => {
	const user = signedIn(locals.user);
	const db = getDb();
	return {
		rooms: listUserRooms(db, user.id),
		publicRooms: listPublicRooms(db, user.id),
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
		const values = {
			name: typeof name === 'string' ? name : '',
			visibility: visibility === 'public' ? 'public' : 'private'
		};
		const parsed = parseInput(CreateRoomSchema, { name, visibility });
		if (!parsed.ok) {
			return fail(400, {
				action: 'create' as const,
				message: parsed.message,
				fields: parsed.fields,
				values
			});
		}
		const room = createRoom(getDb(), user.id, parsed.data.name, parsed.data.visibility);
		redirect(303, `/rooms/${room.id}`);
	},
	join: async ({ request, locals }) => {
		const user = signedIn(locals.user);
		const roomId = (await request.formData()).get('roomId');
		if (typeof roomId !== 'string' || roomId === '') {
			return fail(400, {
				action: 'join' as const,
				message: 'Choose a room to join.',
				fields: noFields()
			});
		}
		const result = joinRoom(getDb(), roomId, user.id);
		if (!result.ok) {
			const { status, message } = describeFailure(result.reason);
			return fail(status, { action: 'join' as const, message, fields: noFields() });
		}
		redirect(303, `/rooms/${result.value.id}`);
	}
} satisfies Actions;
