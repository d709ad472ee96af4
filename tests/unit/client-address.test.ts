import { describe, expect, it } from 'vitest';
import {
	createProxyList,
	normalizeAddress,
	resolveClientAddress
} from '../../src/lib/server/client-address';
import { ConfigError, parseConfig } from '../../src/lib/server/config';

const proxies = createProxyList(['10.0.0.0/8', '192.168.1.5', 'fd00::/8']);

describe('client address', () => {
	it('is the peer itself when the peer is not a trusted proxy, whatever X-Forwarded-For says', () => {
		expect(resolveClientAddress('203.0.113.7', '198.51.100.1', proxies)).toBe('203.0.113.7');
		expect(resolveClientAddress('203.0.113.7', null, createProxyList([]))).toBe('203.0.113.7');
	});

	it('is the rightmost hop that is not a trusted proxy', () => {
		expect(resolveClientAddress('10.0.0.2', '198.51.100.1', proxies)).toBe('198.51.100.1');
		// The client prepended a forged hop; the proxies appended what they saw.
		expect(resolveClientAddress('10.0.0.2', '1.2.3.4, 198.51.100.1, 192.168.1.5', proxies)).toBe(
			'198.51.100.1'
		);
		expect(resolveClientAddress('fd00::1', '2001:db8::9', proxies)).toBe('2001:db8::9');
	});

	it('stops at the last proxy when a hop is not an address or the header is missing', () => {
		expect(resolveClientAddress('10.0.0.2', 'unknown', proxies)).toBe('10.0.0.2');
		expect(resolveClientAddress('10.0.0.2', '10.0.0.3, garbage', proxies)).toBe('10.0.0.2');
		expect(resolveClientAddress('10.0.0.2', null, proxies)).toBe('10.0.0.2');
		expect(resolveClientAddress('10.0.0.2', '10.0.0.3', proxies)).toBe('10.0.0.3');
	});

	it('treats an IPv4-mapped IPv6 peer as its IPv4 address', () => {
		expect(normalizeAddress('::ffff:10.1.2.3')).toBe('10.1.2.3');
		expect(resolveClientAddress('::ffff:10.0.0.2', '198.51.100.1', proxies)).toBe('198.51.100.1');
		expect(resolveClientAddress('::ffff:203.0.113.7', null, proxies)).toBe('203.0.113.7');
	});

	it('reads TRUSTED_PROXIES as a list of IPs and CIDRs, empty when unset, and names a bad entry', () => {
		expect(parseConfig({}).TRUSTED_PROXIES).toEqual([]);
		expect(parseConfig({ TRUSTED_PROXIES: '10.0.0.0/8, ::1' }).TRUSTED_PROXIES).toEqual([
			'10.0.0.0/8',
			'::1'
		]);
		expect(() => parseConfig({ TRUSTED_PROXIES: '10.0.0.0/8,nginx' })).toThrow(ConfigError);
		expect(() => parseConfig({ TRUSTED_PROXIES: 'nginx' })).toThrow(/TRUSTED_PROXIES/);
	});
});
