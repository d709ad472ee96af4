/**
 * What the service worker does with a request (src/service-worker.ts). Pure, so the rules
 * about what may be cached are unit-tested without a browser.
 */

export type RequestKind =
	/** Never touched: the network answers or fails (auth, sync, non-GET, other origins). */
	| 'bypass'
	/** A file of this build or of static/: served from the version's precache. */
	| 'asset'
	/** A page load: network first, then the cached copy of that page, then the cached "/". */
	| 'page'
	/** SvelteKit's `__data.json` for client-side navigation: network first, then the cache. */
	| 'data';

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
	if (url.pathname.endsWith('/__data.json')) return 'data';
	if (facts.mode === 'navigate') return 'page';
	return 'bypass';
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
