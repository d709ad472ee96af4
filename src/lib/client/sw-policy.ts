/**
 * What the service worker does with a request (src/service-worker.ts). Pure, so the rules
 * about what may be cached are unit-tested without a browser.
 */
import { isFileId } from '../protocol/schema';

/**
 * Attachments seen or sent here (`GET /api/files/<id>`, with `?thumb=1` or not), kept across
 * versions so that images show offline; dropped on logout.
 */
export const FILES_CACHE = 'parley-files';

export type RequestKind =
	/** Never touched: the network answers or fails (auth, sync, non-GET, other origins). */
	| 'bypass'
	/** A file of this build or of static/: served from the version's precache. */
	| 'asset'
	/** A page load: network first, then the cached copy of that page, then the cached "/". */
	| 'page'
	/** SvelteKit's `__data.json` for client-side navigation: network first, then the cache. */
	| 'data'
	/** An attachment or its thumbnail: network first, then the copy in FILES_CACHE. */
	| 'file';

export interface RequestFacts {
	readonly method: string;
	readonly url: URL;
	/** The service worker's own origin. */
	readonly origin: string;
	/** Request.mode: 'navigate' for page loads. */
	readonly mode: string;
	/** Paths of the precached files (build + static). */
	readonly assets: ReadonlySet<string>;
}

/** Paths whose answers are personal or live and must never come from a cache. */
const NEVER_CACHED = [/^\/api\/auth(\/|$)/, /^\/sync(\/|$)/, /^\/logout(\/|$)/];

export function classifyRequest(facts: RequestFacts): RequestKind {
	const { method, url } = facts;
	if (method !== 'GET' || url.origin !== facts.origin) return 'bypass';
	if (NEVER_CACHED.some((pattern) => pattern.test(url.pathname))) return 'bypass';
	if (facts.assets.has(url.pathname)) return 'asset';
	if (isFileUrl(url)) return 'file';
	if (url.pathname.endsWith('/__data.json')) return 'data';
	if (facts.mode === 'navigate') return 'page';
	return 'bypass';
}

/** `/api/files/<id>` with no query but `thumb=1`: what AttachmentView shows. */
function isFileUrl(url: URL): boolean {
	const match = /^\/api\/files\/([^/]+)$/.exec(url.pathname);
	const query = url.search === '' || url.search === '?thumb=1';
	return match !== null && isFileId(match[1] ?? '') && query;
}

/** Where an attachment is downloaded from (`?thumb=1` added for its thumbnail). */
export function fileUrl(id: string): string {
	return `/api/files/${id}`;
}

/**
 * Fonts are not precached: the emoji font is split into subsets a page downloads only when it
 * draws a character of theirs (megabytes in all). Served from the assets cache once fetched.
 */
export function isPrecached(path: string): boolean {
	return !path.endsWith('.woff2');
}

/** A logout must drop the cached pages: they hold the signed-out user's rooms. */
export function isLogout(method: string, url: URL, origin: string): boolean {
	return (
		method === 'POST' &&
		url.origin === origin &&
		(url.pathname === '/logout' || url.pathname === '/api/auth/logout')
	);
}

/**
 * Only a plain successful same-origin answer is worth keeping: not a redirect (e.g. to
 * /login after the session expired), not an error page.
 */
export function isCacheable(response: {
	readonly ok: boolean;
	readonly status: number;
	readonly redirected: boolean;
	readonly type: string;
}): boolean {
	return response.status === 200 && !response.redirected && response.type === 'basic';
}

/** Messages from pages to the service worker. */
export type ClientToWorkerMessage =
	| { readonly type: 'SKIP_WAITING' }
	/** Store a fresh copy of this same-origin page, e.g. the one open before the worker ran. */
	| { readonly type: 'CACHE_PAGE'; readonly url: string };

export function parseClientMessage(data: unknown): ClientToWorkerMessage | null {
	if (typeof data !== 'object' || data === null) return null;
	const { type, url } = data as { type?: unknown; url?: unknown };
	if (type === 'SKIP_WAITING') return { type };
	if (type === 'CACHE_PAGE' && typeof url === 'string') return { type, url };
	return null;
}
