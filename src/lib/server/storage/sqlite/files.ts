/** `storage.files` on SQLite: uploads' metadata (table files). */
import { toStoredFile, type FileRow } from '../rows';
import type { FileStorage } from '../types';
import type { Db } from './db';

type FileRowOfUser = FileRow & { is_member: number };

export function sqliteFiles(db: Db): FileStorage {
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
