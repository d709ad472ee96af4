/**
 * An encrypted room's attachment, opened for display (docs/design.md, "Encrypted rooms",
 * files; the cryptography is src/lib/protocol/file-crypto.ts): the ciphertext is downloaded
 * from `GET /api/files/<id>` (through the service worker, which keeps it in the files cache, so
 * it opens offline too), its SHA-256 checked, decrypted, and shown from a blob URL.
 *
 * A blob URL is of our origin: its type is the file's only for one of the four inline image
 * types whose bytes are that image, else `application/octet-stream`, so opening one can never
 * run markup as a page of ours.
 */
import { decryptFile, ENCRYPTED_FILE_TYPE, type FileKey } from '../protocol/file-crypto';
import { isInlineImage, sniffImageType } from '../protocol/schema';
import { fileUrl } from './sw-policy';

export type OpenedAttachment =
	/** Decrypted: `url` is a blob URL the caller revokes (`URL.revokeObjectURL`) when done. */
	| { readonly kind: 'opened'; readonly url: string; readonly image: boolean }
	/** The bytes are not the sender's (hash), fail authentication, or the key is malformed. */
	| { readonly kind: 'undecryptable' }
	/** The server no longer serves it (403, 404). */
	| { readonly kind: 'gone' }
	/** No network and no copy kept here, or the server failed: worth trying again. */
	| { readonly kind: 'unreachable' };

export async function openEncryptedAttachment(file: FileKey): Promise<OpenedAttachment> {
	let response: Response;
	try {
		response = await fetch(fileUrl(file.id));
	} catch {
		return { kind: 'unreachable' };
	}
	if (response.status === 403 || response.status === 404) return { kind: 'gone' };
	if (!response.ok) return { kind: 'unreachable' };
	let upload: Uint8Array<ArrayBuffer>;
	try {
		upload = new Uint8Array(await response.arrayBuffer());
	} catch {
		return { kind: 'unreachable' };
	}
	const opened = await decryptFile(upload, file);
	if (!opened.ok) return { kind: 'undecryptable' };
	const image = isInlineImage(file.type) && sniffImageType(opened.plaintext) === file.type;
	const blob = new Blob([opened.plaintext], { type: image ? file.type : ENCRYPTED_FILE_TYPE });
	return { kind: 'opened', url: URL.createObjectURL(blob), image };
}
