/**
 * The page side of the service worker: notices a new version waiting to take over and, when
 * the user accepts, lets it take over and reloads once it controls the page. Also asks the
 * worker to keep a copy of pages it did not see load (the first one, client-side navigations).
 */
import type { ClientToWorkerMessage } from './sw-policy';

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
