import type { RequestWithServices, Services } from '$lib/server/services';
import type { Session, User } from '$lib/server/session';

declare global {
	namespace App {
		interface Error {
			message: string;
		}
		interface Locals {
			user: User | null;
			session: Session | null;
			/** Built once by the composition root (src/lib/server/services.ts); set by hooks.server.ts. */
			services: Services;
		}
		/** adapter-node's platform: the Node request, carrying the services in production. */
		interface Platform {
			req?: RequestWithServices;
		}
	}
}

export {};
