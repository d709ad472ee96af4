/**
 * The instance's rate limiters (rate-limit.ts), built once by the composition root
 * (services.ts) from the config. Per instance, like every limiter here: docs/design.md
 * "Accounts and login limits". The JSON API and the form actions both ask these.
 */
import type { Config } from './config';
import { createRateLimiter, type RateLimiter } from './rate-limit';

const HOUR_MS = 60 * 60 * 1000;

export interface Limits {
	/** Failed logins per account, one bucket per origin (rate-limit.ts `loginKey`). */
	readonly login: RateLimiter;
	/** Failed logins per client address, whatever the username: stops password spraying. */
	readonly loginAddress: RateLimiter;
	/** Sign-ups per client address: generous by default, it only stops floods. */
	readonly register: RateLimiter;
	/** New rooms per user and hour (ROOMS_PER_HOUR). */
	readonly rooms: RateLimiter;
	/** New DMs per user and hour (DMS_PER_HOUR); only asked when a DM is really created. */
	readonly dms: RateLimiter;
	/** Profile pictures uploaded per user and hour (AVATARS_PER_HOUR). */
	readonly avatars: RateLimiter;
}

export function createLimits(config: Config): Limits {
	return {
		login: createRateLimiter({
			maxAttempts: config.LOGIN_MAX_ATTEMPTS,
			windowMs: config.LOGIN_WINDOW_SECONDS * 1000
		}),
		loginAddress: createRateLimiter({
			maxAttempts: config.LOGIN_MAX_FAILURES_PER_ADDRESS,
			windowMs: config.LOGIN_ADDRESS_WINDOW_SECONDS * 1000
		}),
		register: createRateLimiter({
			maxAttempts: config.REGISTER_MAX_PER_WINDOW,
			windowMs: config.REGISTER_WINDOW_SECONDS * 1000
		}),
		rooms: createRateLimiter({ maxAttempts: config.ROOMS_PER_HOUR, windowMs: HOUR_MS }),
		dms: createRateLimiter({ maxAttempts: config.DMS_PER_HOUR, windowMs: HOUR_MS }),
		avatars: createRateLimiter({ maxAttempts: config.AVATARS_PER_HOUR, windowMs: HOUR_MS })
	};
}
