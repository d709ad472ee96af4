/** Where a room's channel lives on a Redis Cluster, and how REDIS_CLUSTER_NODES is read. */
import { describe, expect, it } from 'vitest';
import { ConfigError, parseConfig } from '../../src/lib/server/config';
import { CLUSTER_SLOTS, clusterSlot } from '../../sync-server/cluster-slot';

describe('clusterSlot', () => {
	it('matches the cluster spec’s CRC16 vectors', () => {
		expect(clusterSlot('123456789')).toBe(0x31c3);
		expect(clusterSlot('foo')).toBe(12182);
		expect(clusterSlot('')).toBe(0);
	});

	it('hashes only a non-empty {hash tag}', () => {
		expect(clusterSlot('{user1000}.following')).toBe(clusterSlot('user1000'));
		expect(clusterSlot('foo{}{bar}')).not.toBe(clusterSlot('bar'));
		expect(clusterSlot('foo{{bar}}zap')).toBe(clusterSlot('{bar'));
	});

	it('spreads room channels over every part of the slot range', () => {
		const slots = Array.from({ length: 3000 }, (_, i) => clusterSlot(`parley:room:${i}`));
		expect(Math.min(...slots)).toBeGreaterThanOrEqual(0);
		expect(Math.max(...slots)).toBeLessThan(CLUSTER_SLOTS);
		const thirds = [0, 1, 2].map(
			(third) => slots.filter((slot) => Math.floor((slot * 3) / CLUSTER_SLOTS) === third).length
		);
		for (const count of thirds) expect(count).toBeGreaterThan(800);
	});
});

describe('REDIS_CLUSTER_NODES', () => {
	it('reads comma-separated host:port entries', () => {
		const config = parseConfig({ REDIS_CLUSTER_NODES: ' redis-1:6379, 10.0.0.2:7000,,' });
		expect(config.REDIS_CLUSTER_NODES).toEqual([
			{ host: 'redis-1', port: 6379 },
			{ host: '10.0.0.2', port: 7000 }
		]);
		expect(parseConfig({}).REDIS_CLUSTER_NODES).toBeUndefined();
	});

	it('refuses a malformed entry, naming the variable', () => {
		for (const bad of [
			'redis-1',
			'redis-1:',
			':6379',
			'redis-1:0',
			'redis-1:70000',
			'a b:1',
			','
		]) {
			expect(() => parseConfig({ REDIS_CLUSTER_NODES: bad }), bad).toThrow(ConfigError);
			expect(() => parseConfig({ REDIS_CLUSTER_NODES: bad }), bad).toThrow(/REDIS_CLUSTER_NODES/);
		}
	});

	it('refuses REDIS_URL and REDIS_CLUSTER_NODES together', () => {
		expect(() =>
			parseConfig({ REDIS_URL: 'redis://r:6379', REDIS_CLUSTER_NODES: 'r:6379' })
		).toThrow(/REDIS_CLUSTER_NODES: set REDIS_URL .* or REDIS_CLUSTER_NODES .*, not both/);
	});
});
