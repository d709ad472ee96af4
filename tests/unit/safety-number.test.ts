import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
	SAFETY_NUMBER_ITERATIONS,
	fingerprintDigits,
	safetyNumber,
	safetyNumberGroups
} from '../../src/lib/protocol/safety-number';
import { makeDeviceKeys } from '../support/device';

/** The derivation again with Node's SHA-512, written from the design's formula. */
function reference(userId: string, keys: string[]): string {
	const raw = Buffer.concat([...keys].sort().map((key) => Buffer.from(key, 'base64url')));
	let digest = createHash('sha512')
		.update(Buffer.concat([Buffer.from([0, 0]), raw, Buffer.from(userId, 'utf8')]))
		.digest();
	for (let i = 0; i < SAFETY_NUMBER_ITERATIONS; i++) {
		digest = createHash('sha512')
			.update(Buffer.concat([digest, raw]))
			.digest();
	}
	let digits = '';
	for (let chunk = 0; chunk < 6; chunk++) {
		const value = digest.readUIntBE(chunk * 5, 5);
		digits += String(value % 100_000).padStart(5, '0');
	}
	return digits;
}

describe('safety numbers', () => {
	const alice = { userId: 'alice-id', signingKeys: [makeDeviceKeys().signingKey] };
	const bob = {
		userId: 'bob-id',
		signingKeys: [makeDeviceKeys().signingKey, makeDeviceKeys().signingKey]
	};

	it('gives both users the same 60 digits, whoever computes it', () => {
		const number = safetyNumber(alice, bob);
		expect(number).toMatch(/^\d{60}$/);
		expect(safetyNumber(bob, alice)).toBe(number);
		expect(safetyNumberGroups(number ?? '')).toHaveLength(12);
	});

	it('follows Signal’s iterated SHA-512 over the sorted device keys and the user id', () => {
		expect(fingerprintDigits(bob)).toBe(reference(bob.userId, [...bob.signingKeys]));
		const reversed = { ...bob, signingKeys: [...bob.signingKeys].reverse() };
		expect(fingerprintDigits(reversed)).toBe(fingerprintDigits(bob));
	});

	it('changes when a device is added or removed, and for another user with the same keys', () => {
		const before = safetyNumber(alice, bob);
		const added = { ...bob, signingKeys: [...bob.signingKeys, makeDeviceKeys().signingKey] };
		expect(safetyNumber(alice, added)).not.toBe(before);
		const removed = { ...bob, signingKeys: bob.signingKeys.slice(1) };
		expect(safetyNumber(alice, removed)).not.toBe(before);
		expect(fingerprintDigits({ ...bob, userId: 'mallory-id' })).not.toBe(fingerprintDigits(bob));
	});

	it('has no number for a user without devices or with a malformed key', () => {
		expect(safetyNumber(alice, { userId: 'bob-id', signingKeys: [] })).toBeNull();
		expect(safetyNumber(alice, { userId: 'bob-id', signingKeys: ['not a key'] })).toBeNull();
	});
});
