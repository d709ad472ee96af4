/**
 * This browser's device keys (docs/design.md, "Device keys"): an Ed25519 signing pair and an
 * X25519 key-agreement pair, made on the first sign-in of a user here and kept in IndexedDB.
 * Where the browser's WebCrypto has the algorithms, the private keys are non-extractable
 * CryptoKeys (script can use them, never read them); elsewhere they are @noble/curves keys,
 * raw bytes in the same store.
 */
import {
	deviceIdOf,
	deviceProofBytes,
	encodeKeyText,
	type PublishedDevice
} from '../protocol/device-keys';
import { keyValueStore } from './key-value-store';

/** A private key: a WebCrypto key where supported, else @noble/curves' raw secret. */
type PrivateKey =
	| { readonly kind: 'webcrypto'; readonly key: CryptoKey }
	| { readonly kind: 'noble'; readonly secret: Uint8Array };

export interface DeviceKeys {
	/**
	 * This device's id: its signing key's (`deviceIdOf`), known before it is registered, so it
	 * signs offline. Devices registered before ids were derived keep the id the server gave.
	 */
	readonly deviceId: string;
	/** Whether the server has the device (registered from this browser, or seen listed). */
	readonly registered: boolean;
	readonly signing: PrivateKey;
	readonly agreement: PrivateKey;
	/** Public keys, base64url. */
	readonly signingKey: string;
	readonly agreementKey: string;
}

const STORE = 'keys';
const KEY = 'device';

export function deviceDatabaseName(userId: string): string {
	return `parley-device:${userId}`;
}

function keyStore(userId: string) {
	return keyValueStore(deviceDatabaseName(userId), STORE);
}

/** What older versions stored: `deviceId` null until registered, no `registered`. */
type StoredKeys = Omit<DeviceKeys, 'deviceId' | 'registered'> & {
	readonly deviceId: string | null;
	readonly registered?: boolean;
};

async function readKeys(userId: string): Promise<DeviceKeys | null> {
	const value = await keyStore(userId).get(KEY);
	// Written only by this module; a missing or foreign value means "no keys yet".
	if (typeof value !== 'object' || value === null || !('signingKey' in value)) return null;
	const stored = value as StoredKeys;
	return {
		...stored,
		deviceId: stored.deviceId ?? deviceIdOf(stored.signingKey),
		registered: stored.registered ?? stored.deviceId !== null
	};
}

async function writeKeys(userId: string, keys: DeviceKeys): Promise<void> {
	await keyStore(userId).put(KEY, keys);
}

/**
 * @noble/curves, for a browser whose WebCrypto lacks Ed25519 or X25519: fetched only there
 * (Chromium, Firefox and Safari have both), so pages go without its code.
 */
export function nobleCurves(): Promise<typeof import('@noble/curves/ed25519.js')> {
	return import('@noble/curves/ed25519.js');
}

async function generatePair(
	algorithm: 'Ed25519' | 'X25519'
): Promise<{ privateKey: PrivateKey; publicKey: string }> {
	const usages: KeyUsage[] = algorithm === 'Ed25519' ? ['sign', 'verify'] : ['deriveBits'];
	try {
		const pair = (await crypto.subtle.generateKey(
			{ name: algorithm },
			false,
			usages
		)) as CryptoKeyPair;
		const raw = new Uint8Array(await crypto.subtle.exportKey('raw', pair.publicKey));
		return {
			privateKey: { kind: 'webcrypto', key: pair.privateKey },
			publicKey: encodeKeyText(raw)
		};
	} catch {
		// This browser's WebCrypto lacks the algorithm: the audited JavaScript implementation.
		const { ed25519, x25519 } = await nobleCurves();
		const curve = algorithm === 'Ed25519' ? ed25519 : x25519;
		const { secretKey, publicKey } = curve.keygen();
		return {
			privateKey: { kind: 'noble', secret: secretKey },
			publicKey: encodeKeyText(publicKey)
		};
	}
}

/** An Ed25519 signature of `data` by this device. */
export async function signWithDevice(keys: DeviceKeys, data: Uint8Array): Promise<Uint8Array> {
	const { signing } = keys;
	if (signing.kind === 'noble') return (await nobleCurves()).ed25519.sign(data, signing.secret);
	return new Uint8Array(await crypto.subtle.sign('Ed25519', signing.key, data as BufferSource));
}

/**
 * This device's X25519 agreement with `publicKey` (32 bytes): the shared secret an encrypted
 * room's key share is sealed under (src/lib/protocol/sender-keys.ts). The private key never
 * leaves its CryptoKey where the browser has one.
 */
export async function agreeWithDevice(
	keys: DeviceKeys,
	publicKey: Uint8Array
): Promise<Uint8Array> {
	const { agreement } = keys;
	if (agreement.kind === 'noble')
		return (await nobleCurves()).x25519.getSharedSecret(agreement.secret, publicKey);
	const peer = await crypto.subtle.importKey(
		'raw',
		publicKey as BufferSource,
		{ name: 'X25519' },
		false,
		[]
	);
	return new Uint8Array(
		await crypto.subtle.deriveBits({ name: 'X25519', public: peer }, agreement.key, 256)
	);
}

/** A label for the devices page: the browser and the platform it runs on. */
export function describeThisBrowser(agent: string): string {
	const browser = /Firefox\//.test(agent)
		? 'Firefox'
		: /Edg\//.test(agent)
			? 'Edge'
			: /Chrom(e|ium)\//.test(agent)
				? 'Chromium'
				: /Safari\//.test(agent)
					? 'Safari'
					: 'Browser';
	const platform = /Android/.test(agent)
		? 'Android'
		: /iPhone|iPad/.test(agent)
			? 'iOS'
			: /Mac OS X/.test(agent)
				? 'macOS'
				: /Windows/.test(agent)
					? 'Windows'
					: /Linux/.test(agent)
						? 'Linux'
						: 'an unknown system';
	return `${browser} on ${platform}`;
}

/**
 * Registers `keys` (POST /api/devices, idempotent: 200 when the server has them already); the
 * device id, or null if the server refused or could not be reached.
 */
async function register(userId: string, keys: DeviceKeys): Promise<string | null> {
	const proof = await signWithDevice(
		keys,
		deviceProofBytes(userId, keys.signingKey, keys.agreementKey)
	);
	const response = await fetch('/api/devices', {
		method: 'POST',
		headers: { 'content-type': 'application/json' },
		body: JSON.stringify({
			name: describeThisBrowser(navigator.userAgent),
			signingKey: keys.signingKey,
			agreementKey: keys.agreementKey,
			proof: encodeKeyText(proof)
		})
	});
	if (response.status !== 201 && response.status !== 200) return null;
	const body = (await response.json()) as { device?: Partial<PublishedDevice> };
	return typeof body.device?.id === 'string' ? body.device.id : null;
}

/** Whether the server no longer lists this device (false when it cannot be asked). */
async function isRemoved(deviceId: string): Promise<boolean> {
	if (!navigator.onLine) return false;
	try {
		const response = await fetch('/api/devices');
		if (response.status !== 200) return false;
		const body = (await response.json()) as { devices?: { id?: unknown }[] };
		return Array.isArray(body.devices) && !body.devices.some((device) => device.id === deviceId);
	} catch {
		return false;
	}
}

/**
 * This browser's keys for `userId`, made and registered on first use. One tab at a time (a Web
 * Lock), so two tabs opened at the first sign-in make one device. Keys made while offline are
 * registered on a later call. Removed from the devices page, a device is not registered again:
 * its keys are replaced by new ones, a new device (contacts see its key change).
 */
export async function ensureDeviceKeys(userId: string): Promise<DeviceKeys> {
	return navigator.locks.request(`parley-device:${userId}`, async () => {
		let keys = await readKeys(userId);
		if (keys?.registered && (await isRemoved(keys.deviceId))) keys = null;
		if (keys === null) {
			const [signing, agreement] = await Promise.all([
				generatePair('Ed25519'),
				generatePair('X25519')
			]);
			keys = {
				deviceId: deviceIdOf(signing.publicKey),
				registered: false,
				signing: signing.privateKey,
				agreement: agreement.privateKey,
				signingKey: signing.publicKey,
				agreementKey: agreement.publicKey
			};
			await writeKeys(userId, keys);
		}
		if (!keys.registered && navigator.onLine) {
			const deviceId = await register(userId, keys).catch(() => null);
			if (deviceId !== null) {
				await writeKeys(userId, (keys = { ...keys, deviceId, registered: true }));
			}
		}
		return keys;
	});
}

const ensured = new Map<string, Promise<DeviceKeys>>();

/**
 * `ensureDeviceKeys` once per page and user (it asks the server whether the device was
 * removed): signing an item must not cost a request. An unregistered result (made offline, or
 * the server refused) is asked for again next time.
 */
export function deviceKeysFor(userId: string): Promise<DeviceKeys> {
	let keys = ensured.get(userId);
	if (keys === undefined) {
		keys = ensureDeviceKeys(userId);
		ensured.set(userId, keys);
		keys.then(
			(result) => {
				if (!result.registered) ensured.delete(userId);
			},
			() => ensured.delete(userId)
		);
	}
	return keys;
}

/**
 * This browser's device id for `userId`, if it has keys (none are made here). Its key's id even
 * before the answer to its registration was stored (a page closed on it): the devices page
 * finds it in the server's list all the same.
 */
export async function thisDeviceId(userId: string): Promise<string | null> {
	return (await readKeys(userId))?.deviceId ?? null;
}

/** Resolves after `ms`, or at once when the browser comes online. */
function onlineOrAfter(ms: number): Promise<void> {
	return new Promise((resolve) => {
		const done = () => {
			clearTimeout(timer);
			removeEventListener('online', done);
			resolve();
		};
		const timer = setTimeout(done, ms);
		addEventListener('online', done);
	});
}

/**
 * Resolves once this browser's device is registered, so what it signed offline (under its
 * key's id) is not sent before the gate can know the key: at once when the local store says
 * so (no request on the way to a room's socket); else after registering, retried whenever the
 * browser comes online. A server that answers and refuses (say, 20 devices already) ends the
 * wait too: the gate's refusal then says why.
 */
export async function deviceRegistered(userId: string): Promise<void> {
	if ((await readKeys(userId).catch(() => null))?.registered) return;
	for (;;) {
		const keys = await deviceKeysFor(userId).catch(() => null);
		if (keys === null || keys.registered) return;
		if (navigator.onLine && (await serverAnswers())) return;
		await onlineOrAfter(5_000);
	}
}

/** Whether the server answers at all (it refused the registration, rather than being away). */
async function serverAnswers(): Promise<boolean> {
	try {
		return (await fetch('/api/devices')).status < 500;
	} catch {
		return false;
	}
}
