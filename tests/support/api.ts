/**
 * A tiny HTTP client for the JSON API that keeps the session cookie, like a browser would.
 */
export interface ApiResponse<T = unknown> {
	readonly status: number;
	readonly body: T;
	readonly headers: Headers;
}

export class ApiClient {
	cookie: string | null = null;
	/** The `parley_device` cookie pair, kept like a browser keeps it (it outlives logouts). */
	device: string | null = null;

	/** `headers`: sent with every request (e.g. X-Forwarded-For, as a proxy would add it). */
	constructor(
		readonly baseUrl: string,
		readonly headers: Readonly<Record<string, string>> = {}
	) {}

	async request<T = unknown>(
		method: string,
		path: string,
		body?: unknown
	): Promise<ApiResponse<T>> {
		const headers: Record<string, string> = { ...this.headers, origin: this.baseUrl };
		if (body !== undefined) headers['content-type'] = 'application/json';
		const cookies = [this.cookie, this.device].filter((pair) => pair !== null);
		if (cookies.length > 0) headers.cookie = cookies.join('; ');
		const response = await fetch(new URL(path, this.baseUrl), {
			method,
			headers,
			body: body === undefined ? undefined : JSON.stringify(body),
			redirect: 'manual'
		});
		const setCookie = response.headers.getSetCookie();
		for (const line of setCookie) {
			const pair = line.split(';')[0] ?? '';
			const cleared = /Max-Age=0|Expires=Thu, 01 Jan 1970/i.test(line);
			if (pair.startsWith('parley_session=')) this.cookie = cleared ? null : pair;
			if (pair.startsWith('parley_device=')) this.device = cleared ? null : pair;
		}
		const text = await response.text();
		let parsed: unknown = text;
		try {
			parsed = text ? JSON.parse(text) : null;
		} catch {
			/* not JSON: keep the text */
		}
		return { status: response.status, body: parsed as T, headers: response.headers };
	}

	get<T = unknown>(path: string): Promise<ApiResponse<T>> {
		return this.request<T>('GET', path);
	}

	post<T = unknown>(path: string, body?: unknown): Promise<ApiResponse<T>> {
		return this.request<T>('POST', path, body);
	}

	delete<T = unknown>(path: string): Promise<ApiResponse<T>> {
		return this.request<T>('DELETE', path);
	}
}

let counter = 0;
/** A username unique within the test run. */
export function uniqueUsername(prefix = 'user'): string {
	counter++;
	return `${prefix}${counter}${Math.random().toString(36).slice(2, 7)}`;
}

/** A client logged in as a user the test registered, with that user's name and id. */
export type RegisteredClient = ApiClient & { username: string; userId: string };

/** Registers a fresh user and returns a client logged in as them. */
export async function registeredClient(
	baseUrl: string,
	username = uniqueUsername(),
	password = 'correct horse battery',
	headers: Readonly<Record<string, string>> = {}
): Promise<RegisteredClient> {
	const client = new ApiClient(baseUrl, headers);
	const response = await client.post<{ id: string; username: string }>('/api/auth/register', {
		username,
		password
	});
	if (response.status !== 201) {
		throw new Error(`register failed: ${response.status} ${JSON.stringify(response.body)}`);
	}
	return Object.assign(client, { username, userId: response.body.id });
}

/**
 * A new private room of `owner` with `members` added, through the API; throws (failing the test)
 * unless the room is created and every member added (201 each).
 */
export async function createPrivateRoom(
	owner: ApiClient,
	name: string,
	members: readonly { username: string }[] = []
): Promise<string> {
	const room = await owner.post<{ id: string }>('/api/rooms', { name, visibility: 'private' });
	if (room.status !== 201) throw new Error(`create room failed: ${room.status}`);
	for (const member of members) {
		const added = await owner.post(`/api/rooms/${room.body.id}/members`, {
			username: member.username
		});
		if (added.status !== 201) throw new Error(`add ${member.username} failed: ${added.status}`);
	}
	return room.body.id;
}

/** What `POST /api/files` answers (the `files` entry of a message). */
export interface UploadedFile {
	readonly id: string;
	readonly name: string;
	readonly type: string;
	readonly size: number;
}

/**
 * Uploads `text` as a text/plain file named `name` to `roomId` as `user` (a registered client
 * of the server at `baseUrl`); throws unless the server answers 201.
 */
export async function uploadTextFile(
	baseUrl: string,
	user: { readonly cookie?: string | null },
	roomId: string,
	name: string,
	text: string
): Promise<UploadedFile> {
	const response = await fetch(new URL(`/api/files?roomId=${roomId}`, baseUrl), {
		method: 'POST',
		headers: {
			origin: baseUrl,
			cookie: user.cookie ?? '',
			'content-type': 'text/plain',
			'x-file-name': encodeURIComponent(name)
		},
		body: new TextEncoder().encode(text)
	});
	if (response.status !== 201) throw new Error(`upload of ${name} answered ${response.status}`);
	return (await response.json()) as UploadedFile;
}
