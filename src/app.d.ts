import type { Session, User } from '$lib/server/session';

declare global {
	namespace App {
		interface Error {
			message: string;
		}
		interface Locals {
			user: User | null;
			session: Session | null;
		}
	}
}

export {};
