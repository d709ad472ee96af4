/**
 * Which contacts this user has verified by safety number, and with which keys (docs/design.md,
 * "Safety numbers"). Kept in this browser's IndexedDB (`parley-trust:<viewerId>`, store
 * `contacts`, key: the contact's id), not on the server: a verification vouches for keys as
 * this user saw them, and a server that could write it could vouch for its own keys.
 */
import * as z from 'zod/mini';
import { keySetOf } from '../protocol/safety-number';
import { keyValueStore } from './key-value-store';

/** A contact marked verified: their device signing keys then (sorted), and when. */
export interface VerifiedContact {
	readonly signingKeys: readonly string[];
	readonly verifiedAt: number;
}

/**
 * - `unverified`: never marked verified here.
 * - `verified`: marked verified, with the keys the contact has now.
 * - `changed`: marked verified, but a device was added or removed since: compare again.
 */
export type ContactTrust = 'unverified' | 'verified' | 'changed';

const VerifiedSchema = z.object({
	signingKeys: z.array(z.string()),
	verifiedAt: z.number()
});

function storeOf(viewerId: string) {
	return keyValueStore(`parley-trust:${viewerId}`, 'contacts');
}

export async function readVerified(
	viewerId: string,
	contactId: string
): Promise<VerifiedContact | null> {
	const parsed = VerifiedSchema.safeParse(await storeOf(viewerId).get(contactId));
	return parsed.success ? parsed.data : null;
}

/** Records that the viewer compared the safety number made from these keys of the contact. */
export async function markVerified(
	viewerId: string,
	contactId: string,
	signingKeys: readonly string[]
): Promise<VerifiedContact> {
	const verified = { signingKeys: keySetOf(signingKeys) ?? [], verifiedAt: Date.now() };
	await storeOf(viewerId).put(contactId, verified);
	return verified;
}

/** What the UI says of a contact whose active devices have `signingKeys` now. */
export function trustOf(
	verified: VerifiedContact | null,
	signingKeys: readonly string[]
): ContactTrust {
	if (verified === null) return 'unverified';
	const now = keySetOf(signingKeys) ?? [];
	const then = verified.signingKeys;
	return now.length === then.length && now.every((key, i) => key === then[i])
		? 'verified'
		: 'changed';
}
