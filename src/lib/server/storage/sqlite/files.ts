/** `storage.files` on SQLite: uploads' metadata (table files). */
import { toStoredFile, type FileRow } from '../rows';
import type { FileStorage, UnreferencedFiles } from '../types';
import { cachedStatement, type Db } from './db';

type FileRowOfUser = FileRow & { is_member: number };

/** Whether an upload or a user's picture names these bytes. */
const NAMES_CONTENT = `SELECT EXISTS (SELECT 1 FROM files WHERE sha256 = ?)
	OR EXISTS (SELECT 1 FROM users WHERE avatar_sha256 = ?) AS named`;

export function sqliteFiles(db: Db): FileStorage {
	const namesContent = (sha256: string): boolean =>
		cachedStatement<[string, string], { named: number }>(db, NAMES_CONTENT).get(sha256, sha256)
			?.named === 1;
	const deleteUnreferenced = db.transaction((createdBefore: number): UnreferencedFiles => {
		const rows = db
			.prepare(
				`DELETE FROM files
				 WHERE created_at < ? AND NOT EXISTS (SELECT 1 FROM file_refs r WHERE r.file_id = files.id)
				 RETURNING sha256`
			)
			.all(createdBefore) as { sha256: string }[];
		const retired = db
			.prepare('DELETE FROM retired_avatars WHERE retired_at < ? RETURNING sha256')
			.all(createdBefore) as { sha256: string }[];
		const hashes = [...new Set([...rows, ...retired].map((row) => row.sha256))];
		return {
			deleted: rows.length,
			orphaned: hashes.filter((sha256) => !namesContent(sha256))
		};
	});
	return {
		async record(file) {
			db.prepare(
				`INSERT INTO files (id, sha256, room_id, uploader_id, name, type, size, created_at)
				 VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
			).run(
				file.id,
				file.sha256,
				file.roomId,
				file.uploaderId,
				file.name,
				file.type,
				file.size,
				file.createdAt
			);
		},
		async deleteUnreferenced(createdBefore) {
			return deleteUnreferenced(createdBefore);
		},
		async hasContent(sha256) {
			return namesContent(sha256);
		},
		async getForUser(fileId, userId) {
			const row = db
				.prepare(
					`SELECT f.*, EXISTS (
						SELECT 1 FROM memberships m WHERE m.room_id = f.room_id AND m.user_id = ?
					 ) AS is_member
					 FROM files f WHERE f.id = ?`
				)
				.get(userId, fileId) as FileRowOfUser | undefined;
			if (!row) return { ok: false, reason: 'file-not-found' };
			if (row.is_member !== 1) return { ok: false, reason: 'not-a-member' };
			return { ok: true, file: toStoredFile(row) };
		}
	};
}
