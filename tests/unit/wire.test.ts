import { describe, expect, it } from 'vitest';
import {
	ACCESS_LOST_CLOSE_CODES,
	CloseCode,
	MIN_CLIENT_PROTOCOL_VERSION,
	PROTOCOL_VERSION,
	isClientVersionSupported,
	parseProtocolVersion
} from '../../src/lib/protocol/wire';

const params = (query: string): URLSearchParams => new URLSearchParams(query);

describe('the wire contract', () => {
	it('reads the protocol version as one plain decimal number, and none for a stock client', () => {
		expect(parseProtocolVersion(params(''))).toBeUndefined();
		expect(parseProtocolVersion(params('epoch=3'))).toBeUndefined();
		expect(parseProtocolVersion(params('v=1'))).toBe(1);
		expect(parseProtocolVersion(params('v=12'))).toBe(12);
		for (const bad of ['v=', 'v=-1', 'v=1e3', 'v=%201', 'v=0x1', 'v=1&v=1', 'v=1234567']) {
			expect(parseProtocolVersion(params(bad)), bad).toBeNull();
		}
	});

	it('serves stock clients and every version from the minimum on, and nothing older', () => {
		expect(isClientVersionSupported(undefined)).toBe(true);
		expect(isClientVersionSupported(PROTOCOL_VERSION)).toBe(true);
		expect(isClientVersionSupported(MIN_CLIENT_PROTOCOL_VERSION)).toBe(true);
		expect(isClientVersionSupported(MIN_CLIENT_PROTOCOL_VERSION - 1)).toBe(false);
		expect(PROTOCOL_VERSION).toBeGreaterThanOrEqual(MIN_CLIENT_PROTOCOL_VERSION);
	});

	it('keeps every close code distinct, and the codes that end access among them', () => {
		const codes = Object.values(CloseCode);
		expect(new Set(codes).size).toBe(codes.length);
		for (const code of ACCESS_LOST_CLOSE_CODES) expect(codes).toContain(code);
		// y-websocket does not reconnect after 4400–4499: an outdated tab must not loop.
		expect(CloseCode.CLIENT_OUTDATED).toBeGreaterThanOrEqual(4400);
		expect(CloseCode.CLIENT_OUTDATED).toBeLessThan(4500);
	});
});
