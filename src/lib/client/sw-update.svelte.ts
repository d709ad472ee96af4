/**
 * The page side of the service worker: registers it once the page's first view is complete,
 * notices a new version waiting to take over and, when the user accepts, lets it take over and
 * reloads once it controls the page. Also asks the worker to keep a copy of pages it did not
 * see load (the first one, client-side navigations).
 */
import type { ClientToWorkerMessage } from './sw-policy';

/** The longest a page may hold the worker's registration back after `load`, in ms. */
export const HOLD_MAX_MS = 10_000;

export interface RegistrationHooks {
	/** Resolves once the document's `load` event has fired. */
	loaded(): Promise<void>;
	/** Resolves in the main thread's next idle period. */
	idle(): Promise<void>;
	/** Resolves after `ms`. */
	wait(ms: number): Promise<void>;
}

/**
 * When to register the service worker. Not at `load`, as SvelteKit does by itself: installing
 * precaches the version's ~80 files, and on a first visit that ran beside the page's own work
 * (device registration, the room's sync and its first render) and held the first open of a
 * room back by about a third (docs/design.md, "Service worker"). A page with work after `load`
 * holds the registration back (`hold`) until its first view is complete, at most HOLD_MAX_MS.
 */
export class DeferredRegistration {
	#held = 0;
	#unheld: (() => void) | null = null;

	/** Holds the registration back until the returned function is called (once counts). */
	hold(): () => void {
		this.#held += 1;
		let released = false;
		return () => {
			if (released) return;
			released = true;
			this.#held -= 1;
			if (this.#held === 0) this.#unheld?.();
		};
	}

	/** Resolves after `load`, once no hold is left (or HOLD_MAX_MS), in an idle period. */
	async settled(hooks: RegistrationHooks): Promise<void> {
		await hooks.loaded();
		if (this.#held > 0) {
			await Promise.race([
				new Promise<void>((resolve) => (this.#unheld = resolve)),
				hooks.wait(HOLD_MAX_MS)
			]);
			this.#unheld = null;
		}
		await hooks.idle();
	}
}

/** The one of this page (the root layout registers through it, pages hold it). */
export const workerRegistration = new DeferredRegistration();

const browserHooks: RegistrationHooks = {
	loaded: () =>
		new Promise((resolve) => {
			if (document.readyState === 'complete') resolve();
			else addEventListener('load', () => resolve(), { once: true });
		}),
	idle: () =>
		new Promise((resolve) => {
			if ('requestIdleCallback' in window) requestIdleCallback(() => resolve(), { timeout: 1_000 });
			else setTimeout(resolve, 0);
		}),
	wait: (ms) => new Promise((resolve) => setTimeout(resolve, ms))
};

/** Registers `/service-worker.js` once the page has settled (svelte.config.js turns Kit's off). */
export async function registerServiceWorker(type: WorkerType): Promise<void> {
	if (!('serviceWorker' in navigator)) return;
	await workerRegistration.settled(browserHooks);
	try {
		await navigator.serviceWorker.register('/service-worker.js', { type });
	} catch (error) {
		// The app works without it, only not offline: say why for whoever debugs.
		console.warn('The service worker could not be registered:', error);
	}
}

/** A new worker has installed while an older one controls the page: that is an update. */
export function isUpdateWaiting(
	registration: Pick<ServiceWorkerRegistration, 'waiting'>,
	hasController: boolean
): boolean {
	return registration.waiting !== null && hasController;
}

export class ServiceWorkerUpdates {
	/** True when a new version is installed and waits for the user's go. */
	available = $state(false);

	#registration: ServiceWorkerRegistration | null = null;
	#cleanups: Array<() => void> = [];

	/** Starts watching once a worker is active (never in a browser without service workers). */
	async start(): Promise<void> {
		if (!('serviceWorker' in navigator)) return;
		const container = navigator.serviceWorker;
		const registration = await container.ready;
		this.#registration = registration;
		const check = (): void => {
			this.available = isUpdateWaiting(registration, container.controller !== null);
		};
		const onUpdateFound = (): void => {
			const installing = registration.installing;
			installing?.addEventListener('statechange', check);
		};
		registration.addEventListener('updatefound', onUpdateFound);
		this.#cleanups.push(() => registration.removeEventListener('updatefound', onUpdateFound));
		check();
	}

	/** Hands over to the waiting worker, then reloads when it controls this page. */
	apply(): void {
		const waiting = this.#registration?.waiting;
		if (!waiting) {
			location.reload();
			return;
		}
		navigator.serviceWorker.addEventListener('controllerchange', () => location.reload(), {
			once: true
		});
		const message: ClientToWorkerMessage = { type: 'SKIP_WAITING' };
		waiting.postMessage(message);
	}

	destroy(): void {
		for (const cleanup of this.#cleanups.splice(0)) cleanup();
	}
}

/** Asks the active worker to store a fresh copy of this page for offline starts. */
export async function cachePageForOffline(url: string): Promise<void> {
	if (!('serviceWorker' in navigator)) return;
	const registration = await navigator.serviceWorker.ready;
	const message: ClientToWorkerMessage = { type: 'CACHE_PAGE', url };
	registration.active?.postMessage(message);
}
