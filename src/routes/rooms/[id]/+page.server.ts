import { error, redirect } from '@sveltejs/kit';
import type { PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals, params, url }) => {
	const user = locals.user;
	if (!user) {
		redirect(303, `/login?redirectTo=${encodeURIComponent(url.pathname + url.search)}`);
	}
	const { config, storage } = locals.services;
	const room = await storage.rooms.get(params.id);
	if (!room) error(404, 'Room not found');
	if ((await storage.rooms.membership(room.id, user.id)) === null) {
		error(403, 'You are not a member of this room');
	}
	return {
		room: {
			id: room.id,
			name: room.name,
			visibility: room.visibility,
			kind: room.kind,
			epoch: room.epoch,
			topic: room.topic,
			archived: room.archivedAt !== null,
			encrypted: room.encrypted
		},
		user: { id: user.id, username: user.username },
		maxMessageChars: config.MAX_MESSAGE_CHARS,
		maxUploadBytes: config.MAX_UPLOAD_BYTES
	};
};
