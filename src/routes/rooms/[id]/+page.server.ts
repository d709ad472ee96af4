import { error, redirect } from '@sveltejs/kit';
import { getConfig } from '$lib/server/config';
import { getDb } from '$lib/server/db';
import { getMembership, getRoom } from '$lib/server/rooms';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = ({ locals, params, url }) => {
	const user = locals.user;
	if (!user) {
		redirect(303, `/login?redirectTo=${encodeURIComponent(url.pathname + url.search)}`);
	}
	const db = getDb();
	const room = getRoom(db, params.id);
	if (!room) error(404, 'Room not found');
	if (getMembership(db, room.id, user.id) === null) {
		error(403, 'You are not a member of this room');
	}
	return {
		room: { id: room.id, name: room.name, visibility: room.visibility, epoch: room.epoch },
		user: { id: user.id, username: user.username },
		maxMessageChars: getConfig().MAX_MESSAGE_CHARS,
		maxUploadBytes: getConfig().MAX_UPLOAD_BYTES
	};
};
