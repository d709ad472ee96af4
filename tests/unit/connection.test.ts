import { describe, expect, it } from 'vitest';
import { connectionStatusOf, type ConnectionFacts } from '../../src/lib/client/connection';

const synced: ConnectionFacts = {
	browserOnline: true,
	accessLost: false,
	connected: true,
	synced: true,
	shouldConnect: true,
	failedSinceLastSync: false
};

describe('connectionStatusOf', () => {
	it('is online when the socket is open and synced', () => {
		expect(connectionStatusOf(synced)).toBe('online');
	});

	it('is offline whenever the browser is offline, even with an open socket', () => {
		expect(connectionStatusOf({ ...synced, browserOnline: false })).toBe('offline');
	});

	it('is offline once the server closed the room for this user', () => {
		expect(connectionStatusOf({ ...synced, accessLost: true })).toBe('offline');
	});

	it('is connecting on the first attempt and while the open socket has not synced yet', () => {
		const first = { ...synced, connected: false, synced: false };
		expect(connectionStatusOf(first)).toBe('connecting');
		expect(connectionStatusOf({ ...synced, synced: false })).toBe('connecting');
	});

	it('stays offline across retries after a failed connection', () => {
		const retrying = { ...synced, connected: false, synced: false, failedSinceLastSync: true };
		expect(connectionStatusOf(retrying)).toBe('offline');
	});

	it('is offline when the provider has given up reconnecting', () => {
		const stopped = { ...synced, connected: false, synced: false, shouldConnect: false };
		expect(connectionStatusOf(stopped)).toBe('offline');
	});
});

describe('connectionStatusOf with a server that stays away', () => {
	const failing: ConnectionFacts = {
		...synced,
		connected: false,
		synced: false,
		failedSinceLastSync: true
	};

	it('says offline for the first seconds of failures, then server unreachable', () => {
		expect(connectionStatusOf({ ...failing, failingForMs: 1_000 })).toBe('offline');
		expect(connectionStatusOf({ ...failing, failingForMs: 5_001 })).toBe('unreachable');
	});

	it('says offline, not unreachable, when the browser itself has no network', () => {
		expect(connectionStatusOf({ ...failing, browserOnline: false, failingForMs: 60_000 })).toBe(
			'offline'
		);
	});

	it('says offline when the provider gave up for good, however long ago', () => {
		expect(connectionStatusOf({ ...failing, shouldConnect: false, failingForMs: 60_000 })).toBe(
			'offline'
		);
	});
});
