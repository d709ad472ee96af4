/**
 * The client's address, computed in one place (hooks.server.ts wraps `getClientAddress` with it)
 * for every limit keyed by address. X-Forwarded-For is believed only as far as it was written by
 * TRUSTED_PROXIES: anyone can send the header, so a forged one from a direct client is ignored.
 * (adapter-node's ADDRESS_HEADER/XFF_DEPTH trust the header whoever sends it; main.ts unsets them.)
 */
import { BlockList, isIP } from 'node:net';

/** Which peers are our reverse proxies. */
export interface ProxyList {
	has(address: string): boolean;
}

/** A list of IPs and CIDRs (config's TRUSTED_PROXIES, already validated). */
export function createProxyList(entries: readonly string[]): ProxyList {
	const list = new BlockList();
	for (const entry of entries) {
		const [address = '', prefix] = entry.split('/');
		const type = isIP(address) === 6 ? 'ipv6' : 'ipv4';
		if (prefix === undefined) list.addAddress(address, type);
		else list.addSubnet(address, Number(prefix), type);
	}
	return {
		has(address: string): boolean {
			const version = isIP(address);
			return version !== 0 && list.check(address, version === 6 ? 'ipv6' : 'ipv4');
		}
	};
}

/** `::ffff:10.0.0.1` (an IPv4 peer on a dual-stack socket) is 10.0.0.1: one key per client. */
export function normalizeAddress(address: string): string {
	const trimmed = address.trim();
	const mapped = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i.exec(trimmed);
	return mapped?.[1] ?? trimmed;
}

/**
 * The rightmost hop of `peer` + X-Forwarded-For that is not a trusted proxy: each trusted proxy
 * appended the address it saw, so everything left of the first untrusted hop is the client's
 * own claim. A hop that is not an IP stops the walk at the last proxy (nothing to believe).
 */
export function resolveClientAddress(
	peer: string,
	forwardedFor: string | null,
	proxies: ProxyList
): string {
	let address = normalizeAddress(peer);
	if (!proxies.has(address) || !forwardedFor) return address;
	const hops = forwardedFor.split(',').map(normalizeAddress).reverse();
	for (const hop of hops) {
		if (isIP(hop) === 0) return address;
		address = hop;
		if (!proxies.has(hop)) return hop;
	}
	return address;
}
