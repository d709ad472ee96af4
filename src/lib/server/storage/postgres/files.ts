/** `storage.files` on PostgreSQL: uploads' metadata (table files). */
import { toStoredFile, type FileRow } from '../rows';
import type { FileStorage } from '../types';
import type { Sql } from './db';

type FileRowOfUser = FileRow & { is_member: boolean };

export function postgresFiles(sql: Sql): FileStorage {
	return {
		async record(file) {
			await sql`INSERT INTO files (id, sha256, room_id, uploader_id, name, type, size, created_at)
				VALUES (${file.id}, ${file.sha256}, ${file.roomId}, ${file.uploaderId}, ${file.name},
					${file.type}, ${file.size}, ${file.createdAt})`;
		},
		async deleteUnreferenced(createdBefore) {
			return sql.begin(async (tx) => {
				const rows = await tx<{ sha256: string }[]>`DELETE FROM files
					WHERE created_at < ${createdBefore}
						AND NOT EXISTS (SELECT 1 FROM file_refs r WHERE r.file_id = files.id)
					RETURNING sha256`;
				const retired = await tx<{ sha256: string }[]>`DELETE FROM retired_avatars
					WHERE retired_at < ${createdBefore} RETURNING sha256`;
				const hashes = [...new Set([...rows, ...retired].map((row) => row.sha256))];
				const named = await tx<{ sha256: string }[]>`SELECT sha256 FROM files
					WHERE sha256 = ANY(${hashes}::text[])
					UNION SELECT avatar_sha256 FROM users WHERE avatar_sha256 = ANY(${hashes}::text[])`;
				const still = new Set(named.map((row) => row.sha256));
				return {
					deleted: rows.length,
					orphaned: hashes.filter((sha256) => !still.has(sha256))
				};
			});
		},
		async hasContent(sha256) {
			const [row] = await sql<{ named: boolean }[]>`SELECT
				EXISTS (SELECT 1 FROM files WHERE sha256 = ${sha256})
				OR EXISTS (SELECT 1 FROM users WHERE avatar_sha256 = ${sha256}) AS named`;
			return row?.named === true;
		},
		async getForUser(fileId, userId) {
			const [row] = await sql<FileRowOfUser[]>`SELECT f.*, EXISTS (
					SELECT 1 FROM memberships m WHERE m.room_id = f.room_id AND m.user_id = ${userId}
				) AS is_member
				FROM files f WHERE f.id = ${fileId}`;
			if (!row) return { ok: false, reason: 'file-not-found' };
			if (!row.is_member) return { ok: false, reason: 'not-a-member' };
			return { ok: true, file: toStoredFile(row) };
		}
	};
}
