/**
 * Uploaded profile pictures, the parts the server and the browser share (docs/design.md
 * "Profiles"): what is taken and where a picture is served. Pure: no I/O, no DOM.
 */
import { INLINE_IMAGE_TYPES } from './protocol/schema';

/** Largest picture taken, in bytes (1 MiB): bigger ones get 413. */
export const MAX_AVATAR_BYTES = 1024 * 1024;

/** The types a picture may have (its bytes must match: their magic number is checked). */
export const AVATAR_TYPES = INLINE_IMAGE_TYPES;

/** The route that takes (PUT) and removes (DELETE) the caller's picture. */
export const OWN_AVATAR_PATH = '/api/me/avatar';

/**
 * Where a user's picture of `version` is served. The version names the bytes, so the answer
 * to this URL never changes and is cached for good; a new picture is a new URL.
 */
export function avatarUrl(userId: string, version: string): string {
	return `/api/users/${encodeURIComponent(userId)}/avatar?v=${encodeURIComponent(version)}`;
}
