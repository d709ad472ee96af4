/**
 * Uploaded profile pictures (docs/design.md "Profiles"): the bytes go to the blob store like
 * attachments' (services.blobs), checked by the same helpers (files.ts); the user's row names
 * them (`accounts.setAvatar`), and garbage collection (file-gc.ts) frees replaced ones.
 */
import { AVATAR_TYPES, MAX_AVATAR_BYTES } from '../avatar-images';
import { checkUploadType, normalizeType } from './files';
import type { BlobStore } from './storage/blobs';
import type { AccountStorage, Profile, StoredAvatar } from './storage/types';

/** Hex digits of the bytes' SHA-256 in a picture's version (64 bits: its URLs stay short). */
const VERSION_HEX_DIGITS = 16;

/** A picture's version: it names its bytes, so a URL carrying it always answers the same. */
export function avatarVersionOf(sha256: string): string {
	return sha256.slice(0, VERSION_HEX_DIGITS);
}

export type AvatarUpload =
	| { readonly ok: true; readonly profile: Profile }
	| { readonly ok: false; readonly status: 400 | 404 | 413 | 415; readonly message: string };

function refused(status: 400 | 404 | 413 | 415, message: string): AvatarUpload {
	return { ok: false, status, message };
}

const TOO_LARGE = `A picture has at most ${MAX_AVATAR_BYTES / 1024 / 1024} MB.`;

/**
 * Stores `body` as the user's picture: one of AVATAR_TYPES (declared in `contentType`, and the
 * bytes' magic number must match), at most MAX_AVATAR_BYTES. Refused bytes never become
 * readable and the user's picture stays as it was.
 */
export async function storeAvatar(
	deps: { readonly accounts: AccountStorage; readonly blobs: BlobStore },
	userId: string,
	contentType: string | null,
	body: ReadableStream<Uint8Array> | null,
	now: number = Date.now()
): Promise<AvatarUpload> {
	const declared = normalizeType(contentType);
	if (!declared || !(AVATAR_TYPES as readonly string[]).includes(declared)) {
		return refused(415, 'A picture must be a PNG, JPEG, WebP or GIF image.');
	}
	if (!body) return refused(400, 'The picture is empty.');
	const received = await deps.blobs.put(body, MAX_AVATAR_BYTES);
	if (!received.ok) return refused(413, TOO_LARGE);
	const { blob } = received;
	const verdict = checkUploadType(declared, blob.head);
	if (blob.size === 0 || !verdict.ok) {
		await blob.discard();
		return refused(
			400,
			blob.size === 0 ? 'The picture is empty.' : `The picture is not ${declared}.`
		);
	}
	await blob.commit();
	const avatar: StoredAvatar = {
		sha256: blob.sha256,
		type: declared,
		version: avatarVersionOf(blob.sha256)
	};
	const profile = await deps.accounts.setAvatar(userId, avatar, now);
	return profile ? { ok: true, profile } : refused(404, 'No such user.');
}
