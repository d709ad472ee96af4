import pino, { type Logger } from 'pino';
import type { Config } from '../src/lib/server/config';

export type { Logger };

/** Structured JSON logs on stdout, one line per event. */
export function createLogger(config: Pick<Config, 'LOG_LEVEL'>): Logger {
	return pino({ level: config.LOG_LEVEL, base: { pid: process.pid } });
}
