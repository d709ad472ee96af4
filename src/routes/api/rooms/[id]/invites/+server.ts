import { json } from '@sveltejs/kit';
import { membershipError, readJsonBody, requireApiUser } from '$lib/server/http';
import { createInvite, inviteUrl, listActiveInvites, type Invite } from '$lib/server/invites';
import { CreateInviteSchema } from '$lib/server/schemas';
import type { RequestHandler } from './$types';

interface InviteBody {
	readonly id: string;
	readonly createdAt: string;
	readonly expiresAt: string;
	readonly maxUses: number | null;
	readonly uses: number;
}

function describeInvite(invite: Invite): InviteBody {
	return {
		id: invite.id,
		createdAt: new Date(invite.createdAt).toISOString(),
		expiresAt: new Date(invite.expiresAt).toISOString(),
		maxUses: invite.maxUses,
		uses: invite.uses
	};
}

/** The room's active invites (owner only). Tokens are not stored, so no URLs here. */
export const GET: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const result = await listActiveInvites(
		event.locals.services.storage.rooms,
		event.params.id,
		auth.user.id
	);
	if (!result.ok) return membershipError(result.reason);
	return json({ invites: result.value.map(describeInvite) });
};

export const POST: RequestHandler = async (event) => {
	const auth = requireApiUser(event);
	if (!auth.ok) return auth.response;
	const body = await readJsonBody(event.request, CreateInviteSchema, { emptyAs: {} });
	if (!body.ok) return body.response;
	const result = await createInvite(
		event.locals.services.storage.rooms,
		event.params.id,
		auth.user.id,
		body.data
	);
	if (!result.ok) return membershipError(result.reason);
	const { invite, token } = result.value;
	return json(
		{
			...describeInvite(invite),
			token,
			url: inviteUrl(event.locals.services.config.ORIGIN, token)
		},
		{ status: 201 }
	);
};
