/**
 * The Redis Cluster hash slot of a key or shard channel (the cluster spec: CRC16-XMODEM of the
 * key, or of its `{hash tag}` when it has a non-empty one, modulo 16384), so that the bus knows
 * which master carries a room's channel.
 */
export const CLUSTER_SLOTS = 16_384;

const CRC16_TABLE = (() => {
	const table = new Uint16Array(256);
	for (let byte = 0; byte < 256; byte++) {
		let crc = byte << 8;
		for (let bit = 0; bit < 8; bit++) crc = crc & 0x8000 ? (crc << 1) ^ 0x1021 : crc << 1;
		table[byte] = crc & 0xffff;
	}
	return table;
})();

function crc16(bytes: Uint8Array): number {
	let crc = 0;
	for (const byte of bytes)
		crc = ((crc << 8) ^ (CRC16_TABLE[((crc >> 8) ^ byte) & 0xff] ?? 0)) & 0xffff;
	return crc;
}

const utf8 = new TextEncoder();

export function clusterSlot(key: string): number {
	let bytes = utf8.encode(key);
	const open = bytes.indexOf(0x7b); // '{'
	if (open !== -1) {
		const close = bytes.indexOf(0x7d, open + 1); // '}'
		if (close > open + 1) bytes = bytes.subarray(open + 1, close);
	}
	return crc16(bytes) % CLUSTER_SLOTS;
}
