/**
 * How many rooms and DMs one user may create per hour (ROOMS_PER_HOUR, DMS_PER_HOUR), per
 * instance like every limiter in rate-limit.ts. The JSON API and the form actions both ask here.
 */
import { getConfig } from './config';
import { lazyLimiter, type RateLimitVerdict } from './rate-limit';

const HOUR_MS = 60 * 60 * 1000;

const getRoomLimiter = lazyLimiter(() => ({
	maxAttempts: getConfig().ROOMS_PER_HOUR,
	windowMs: HOUR_MS
}));

const getDmLimiter = lazyLimiter(() => ({
	maxAttempts: getConfig().DMS_PER_HOUR,
	windowMs: HOUR_MS
}));

/** Counts one new room of `userId`. */
export function admitRoomCreation(userId: string): RateLimitVerdict {
	return getRoomLimiter().consume(userId);
}

/** Counts one new DM of `userId`; only asked when a DM is really created (dms.ts). */
export function admitDmCreation(userId: string): RateLimitVerdict {
	return getDmLimiter().consume(userId);
}
