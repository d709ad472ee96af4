import { listDevices } from '$lib/server/devices';
import { readChosenId, signedIn } from '$lib/server/form-actions';
import { fail } from '@sveltejs/kit';
import type { Actions, PageServerLoad } from './$types';

export const load: PageServerLoad = async ({ locals }) => {
	const user = signedIn(locals.user);
	return {
		userId: user.id,
		devices: await listDevices(locals.services.storage.devices, user.id)
	};
};

export const actions = {
	remove: async ({ request, locals }) => {
		const user = signedIn(locals.user);
		const chosen = await readChosenId(request, 'deviceId', 'remove', 'Choose a device.');
		if (!chosen.ok) return chosen.failure;
		const removed = await locals.services.storage.devices.remove(user.id, chosen.id, Date.now());
		if (!removed)
			return fail(404, { action: 'remove' as const, message: 'No such device.', fields: {} });
		return { action: 'remove' as const };
	}
} satisfies Actions;
