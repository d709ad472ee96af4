/// <reference types="@sveltejs/kit" />
/// <reference no-default-lib="true"/>
/// <reference lib="esnext" />
/// <reference lib="webworker" />
/**
 * Parley's service worker: the app opens without a network. The build and static files are
 * precached per version; pages and their data are network first with the last good copy as
 * fallback. Auth, sync and every non-GET request pass through untouched. A new version waits
 * until the user accepts the "Update available" prompt (SKIP_WAITING), so one tab never mixes
 * two versions' files.
 */
import { build, files, version } from '$service-worker';
import {
	FILES_CACHE,
	classifyRequest,
	isCacheable,
	isLogout,
	isPrecached,
	parseClientMessage
} from '$lib/client/sw-policy';

const sw = self as unknown as ServiceWorkerGlobalScope;

const ASSETS_CACHE = `parley-assets-${version}`;
/** Pages embed the version's asset names, so they are kept per version too. */
const PAGES_CACHE = `parley-pages-${version}`;
const ASSETS = [...build, ...files];
const ASSET_PATHS = new Set(ASSETS);
const PRECACHE = ASSETS.filter(isPrecached);
/** How long a page or data request may take before the cached copy answers instead. */
const NETWORK_TIMEOUT_MS = 3_000;
/**
 * A page's cached copy is renewed at most this often. Copying costs the tab: the body then
 * streams through this worker's JavaScript (a tee) instead of straight from the network, which
 * held a 200-room page's last byte back by ~150-250 ms. Within the interval a navigation is
 * passed through untouched; the copy it would have made is at most this much older.
 */
const PAGE_COPY_EVERY_MS = 60_000;
/** When each page's copy was last stored, by URL (lost when the worker stops: it copies again). */
const pageCopiedAt = new Map<string, number>();

/**
 * A rule of the Static Routing API (Chromium 123+; `InstallEvent.addRoutes`, not yet in
 * TypeScript's lib): requests matching `condition` are answered by `source` without running
 * this worker's fetch handler.
 */
interface RouterRule {
	readonly condition: { readonly urlPattern: string };
	readonly source: { readonly cacheName: string };
}
type RoutingInstallEvent = ExtendableEvent & {
	addRoutes?: (rules: readonly RouterRule[]) => Promise<void>;
};

/**
 * The version's scripts and styles come straight from its precache, before and without this
 * worker's JavaScript (each request otherwise waits for the worker and one `fetch` event: tens
 * of them per page); a miss goes to the network. Elsewhere, the fetch handler answers the same.
 */
function routeAssetsToPrecache(event: RoutingInstallEvent): void {
	const rules = ['js', 'css'].map((ext) => ({
		condition: { urlPattern: `/_app/immutable/*.${ext}` },
		source: { cacheName: ASSETS_CACHE }
	}));
	event.addRoutes?.(rules).catch(() => {
		// An older router (no `cacheName`): the fetch handler serves them.
	});
}

sw.addEventListener('install', (event) => {
	routeAssetsToPrecache(event);
	event.waitUntil(
		(async () => {
			const cache = await caches.open(ASSETS_CACHE);
			await cache.addAll(PRECACHE);
			// The home page as a shell for pages never visited (best effort: signed out is fine).
			await refreshPage(new Request('/', { credentials: 'same-origin' }));
		})()
	);
	// No skipWaiting() here: the page asks for it when the user accepts the update.
});

sw.addEventListener('activate', (event) => {
	event.waitUntil(
		(async () => {
			const old = (await caches.keys()).filter(
				(key) =>
					key.startsWith('parley-') &&
					key !== ASSETS_CACHE &&
					key !== PAGES_CACHE &&
					key !== FILES_CACHE
			);
			// Pages cached by the previous version point at its assets: fetch them again.
			const oldPages = old.filter((key) => key.startsWith('parley-pages-'));
			for (const key of oldPages) {
				const cache = await caches.open(key);
				await Promise.all((await cache.keys()).map((request) => refreshPage(request)));
			}
			await Promise.all(old.map((key) => caches.delete(key)));
			// Navigations start their request while the worker starts (answered network first).
			await sw.registration.navigationPreload?.enable();
			// The first install controls the open tabs at once, so they work offline from now on.
			await sw.clients.claim();
		})()
	);
});

sw.addEventListener('message', (event) => {
	const message = parseClientMessage(event.data);
	if (message === null) return;
	if (message.type === 'SKIP_WAITING') {
		void sw.skipWaiting();
		return;
	}
	const url = new URL(message.url, sw.location.origin);
	if (url.origin !== sw.location.origin) return;
	event.waitUntil(refreshPage(new Request(url, { credentials: 'same-origin' })));
});

sw.addEventListener('fetch', (event) => {
	const request = event.request;
	const url = new URL(request.url);
	if (isLogout(request.method, url, sw.location.origin)) {
		pageCopiedAt.clear();
		event.waitUntil(Promise.all([caches.delete(PAGES_CACHE), caches.delete(FILES_CACHE)]));
		return;
	}
	const kind = classifyRequest({
		method: request.method,
		url,
		origin: sw.location.origin,
		mode: request.mode,
		assets: ASSET_PATHS
	});
	if (kind === 'asset') {
		event.respondWith(fromAssets(request));
	} else if (kind === 'file') {
		event.respondWith(fileFromNetworkOrCache(request));
	} else if (kind === 'page' || kind === 'data') {
		const preload = request.mode === 'navigate' ? event.preloadResponse : undefined;
		const { response, stored } = networkFirst(request, kind === 'page', preload);
		event.respondWith(response);
		// Answered from the cache after a timeout, the network copy still lands in the cache:
		// the worker must live until it does (it may be stopped once the response is given).
		event.waitUntil(stored);
	}
});

/** The precache, or the network (kept for next time: fonts are fetched on first use). */
async function fromAssets(request: Request): Promise<Response> {
	const cached = await caches.match(request, { cacheName: ASSETS_CACHE });
	if (cached) return cached;
	const response = await fetch(request);
	if (isCacheable(response)) {
		await (await caches.open(ASSETS_CACHE)).put(request, response.clone());
	}
	return response;
}

/**
 * An attachment: the server decides who may read it (its answer is revalidated every time), so
 * the network comes first; the copy kept from the last answer (or from sending it, see
 * uploads.svelte.ts) answers when the network fails. A thumbnail never kept falls back to the
 * file itself: an image sent from here is kept whole.
 */
async function fileFromNetworkOrCache(request: Request): Promise<Response> {
	const cache = await caches.open(FILES_CACHE);
	try {
		const response = await fetch(request);
		if (isCacheable(response)) await cache.put(request.url, response.clone());
		else if (response.status === 403 || response.status === 404) await cache.delete(request.url);
		return response;
	} catch (error) {
		const url = new URL(request.url);
		const cached =
			(await cache.match(url.href, { ignoreVary: true })) ??
			(url.search === '?thumb=1'
				? await cache.match(url.origin + url.pathname, { ignoreVary: true })
				: undefined);
		if (cached) return cached;
		throw error;
	}
}

async function refreshPage(request: Request): Promise<void> {
	try {
		const response = await fetch(request);
		if (!isCacheable(response)) return;
		await (await caches.open(PAGES_CACHE)).put(request, response);
		pageCopiedAt.set(request.url, Date.now());
	} catch {
		// Offline: keep the copy we have.
	}
}

/**
 * The network's answer (a navigation's preloaded one when there is one), or after
 * NETWORK_TIMEOUT_MS the cached copy; `stored` settles once the network's answer (late or not)
 * is in the cache, or has failed. The page streams to the tab as it arrives: its copy is written
 * to the cache beside it, not before it (that held every page back by a whole body and a write),
 * and a page copied less than PAGE_COPY_EVERY_MS ago is not copied again.
 */
function networkFirst(
	request: Request,
	isPage: boolean,
	preload?: Promise<Response | undefined>
): { response: Promise<Response>; stored: Promise<void> } {
	const copiedAt = isPage ? pageCopiedAt.get(request.url) : undefined;
	const copyDue = copiedAt === undefined || Date.now() - copiedAt >= PAGE_COPY_EVERY_MS;
	const arrived = (async () => {
		const response = (await preload?.catch(() => undefined)) ?? (await fetch(request));
		return { response, copy: copyDue && isCacheable(response) ? response.clone() : null };
	})();
	// Answered from the cache after a timeout, a late failure is nobody's business.
	const stored = arrived.then(
		async ({ copy }) => {
			if (!copy) return;
			const cache = await caches.open(PAGES_CACHE);
			await cache.put(request, copy).then(
				() => {
					if (isPage) pageCopiedAt.set(request.url, Date.now());
				},
				() => undefined
			);
		},
		() => undefined
	);
	const network = arrived.then(({ response }) => response);
	return { response: cachedAfterTimeout(request, network, isPage), stored };
}

async function cachedAfterTimeout(
	request: Request,
	network: Promise<Response>,
	isPage: boolean
): Promise<Response> {
	const cache = await caches.open(PAGES_CACHE);
	try {
		return await withTimeout(network, NETWORK_TIMEOUT_MS);
	} catch {
		// Copies stored by CACHE_PAGE were fetched with other headers than a navigation: ignore
		// Vary. Data requests carry varying `x-sveltekit-invalidated` queries: the path matters.
		const cached =
			(await cache.match(request, { ignoreVary: true })) ??
			(await cache.match(request, { ignoreVary: true, ignoreSearch: true }));
		if (cached) return cached;
		if (isPage) {
			const shell = await cache.match('/', { ignoreVary: true });
			if (shell) return shell;
		}
		// Neither network nor a copy: let the slow request finish (or fail) after all.
		return network;
	}
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
	return new Promise((resolve, reject) => {
		const timer = setTimeout(() => reject(new Error('network timeout')), ms);
		promise.then(
			(value) => {
				clearTimeout(timer);
				resolve(value);
			},
			(error: unknown) => {
				clearTimeout(timer);
				reject(error instanceof Error ? error : new Error(String(error)));
			}
		);
	});
}
