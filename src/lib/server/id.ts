import { encodeBase32LowerCaseNoPadding } from '@oslojs/encoding';

/** A random, URL-safe id with 120 bits of entropy (24 base32 characters). */
export function generateId(): string {
	const bytes = new Uint8Array(15);
	crypto.getRandomValues(bytes);
	return encodeBase32LowerCaseNoPadding(bytes);
}
