/**
 * The shipped deployment (docker-compose.yml, deploy/nginx.conf) agrees with the program's
 * configuration: instances listen where nginx and the health check look, and /metrics stays
 * off the public port.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { YAML11_SCHEMA, load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createProxyList } from '../../src/lib/server/client-address';
import { parseConfig } from '../../src/lib/server/config';

const ROOT = join(import.meta.dirname, '../..');

const ServiceSchema = z.object({
	image: z.string().optional(),
	volumes: z.array(z.string()).optional(),
	depends_on: z.record(z.string(), z.object({ condition: z.string() })).optional(),
	environment: z.record(z.string(), z.string()).optional(),
	ports: z.array(z.string()).optional(),
	healthcheck: z.object({ test: z.array(z.string()) }).optional()
});
const ComposeSchema = z.object({
	services: z.record(z.string(), ServiceSchema),
	volumes: z.record(z.string(), z.null()).optional(),
	networks: z
		.object({
			default: z.object({
				ipam: z.object({ config: z.array(z.object({ subnet: z.string() })) })
			})
		})
		.optional()
});

// YAML 1.1, as Compose reads it: `<<: *parley` merges the shared service definition.
const compose = ComposeSchema.parse(
	load(readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8'), { schema: YAML11_SCHEMA })
);
const nginx = readFileSync(join(ROOT, 'deploy/nginx.conf'), 'utf8');
const instances = Object.entries(compose.services).filter(([name]) => name.startsWith('parley'));

describe('docker-compose.yml', () => {
	it('runs at least two Parley instances whose environment is a valid configuration', () => {
		expect(instances.length).toBeGreaterThanOrEqual(2);
		for (const [, service] of instances) {
			expect(service.environment?.REDIS_URL).toMatch(/^redis:\/\//);
			expect(() => parseConfig(service.environment ?? {})).not.toThrow();
		}
	});

	it('runs three instances with nothing shared on disk: each its own DATA_DIR volume', () => {
		expect(instances.length).toBe(3);
		const owners = new Map<string, string>();
		for (const [name, service] of instances) {
			const config = parseConfig(service.environment ?? {});
			const mounts = (service.volumes ?? []).map((mount) => mount.split(':'));
			const data = mounts.find(([, target]) => target === config.DATA_DIR);
			expect(data, `${name} mounts a volume on DATA_DIR`).toBeDefined();
			for (const [source] of mounts) {
				expect(owners.get(source ?? ''), `${source} shared by ${name}`).toBeUndefined();
				owners.set(source ?? '', name);
			}
			expect(Object.keys(compose.volumes ?? {})).toContain(data?.[0]);
		}
	});

	it('stores in the PostgreSQL service and waits for it and Redis to be healthy', () => {
		const postgres = compose.services.postgres;
		expect(postgres?.image).toMatch(/^postgres:/);
		const env = postgres?.environment ?? {};
		for (const [name, service] of instances) {
			const url = new URL(service.environment?.DATABASE_URL ?? '', 'invalid://');
			expect(url.protocol, name).toBe('postgres:');
			expect(url.hostname).toBe('postgres');
			expect(decodeURIComponent(url.username)).toBe(env.POSTGRES_USER);
			expect(decodeURIComponent(url.password)).toBe(env.POSTGRES_PASSWORD);
			expect(url.pathname).toBe(`/${env.POSTGRES_DB}`);
			expect(new URL(service.environment?.REDIS_URL ?? '').hostname).toBe('redis');
			expect(service.depends_on?.postgres?.condition).toBe('service_healthy');
			expect(service.depends_on?.redis?.condition).toBe('service_healthy');
		}
	});

	it('has nginx pass WebSocket upgrades on /sync/', () => {
		const sync = /location \/sync\/ \{([^}]*)\}/.exec(nginx)?.[1] ?? '';
		expect(sync).toMatch(/proxy_set_header Upgrade \$http_upgrade;/);
		expect(sync).toMatch(/proxy_set_header Connection \$connection_upgrade;/);
		expect(nginx).toMatch(/map \$http_upgrade \$connection_upgrade \{\s*default upgrade;/);
	});

	it('has nginx send traffic to each instance on its PORT, and the health check ask there', () => {
		for (const [name, service] of instances) {
			const config = parseConfig(service.environment ?? {});
			expect(nginx).toContain(`server ${name}:${config.PORT} `);
			expect(service.healthcheck?.test.join(' ')).toContain(`127.0.0.1:${config.PORT}/healthz`);
		}
	});

	it('serves metrics on a separate port that is neither published nor proxied', () => {
		const published = Object.values(compose.services).flatMap((service) => service.ports ?? []);
		for (const [name, service] of instances) {
			const config = parseConfig(service.environment ?? {});
			expect(config.METRICS_PORT, name).toBeDefined();
			expect(config.METRICS_PORT).not.toBe(config.PORT);
			expect(published.some((port) => port.endsWith(`:${config.METRICS_PORT}`))).toBe(false);
			expect(nginx).not.toContain(`${name}:${config.METRICS_PORT}`);
			expect(service.ports).toBeUndefined();
		}
		// The public port answers 404 for /metrics before any instance sees the request.
		expect(nginx).toMatch(/location = \/metrics \{\s*return 404;\s*\}/);
	});

	it('trusts X-Forwarded-For from the compose network, where nginx sets it, and nothing else', () => {
		const subnet = compose.networks?.default.ipam.config[0]?.subnet;
		const prefix = /^(\d+\.\d+\.\d+)\.0\/24$/.exec(subnet ?? '')?.[1];
		expect(prefix, 'a fixed /24 subnet for the default network').toBeDefined();
		for (const [name, service] of instances) {
			const config = parseConfig(service.environment ?? {});
			const trusted = createProxyList(config.TRUSTED_PROXIES);
			expect(trusted.has(`${prefix}.2`), name).toBe(true);
			expect(trusted.has(`${prefix}.254`), name).toBe(true);
			expect(trusted.has('203.0.113.7'), name).toBe(false);
		}
		expect(nginx).toMatch(/^\s*proxy_set_header X-Forwarded-For \$proxy_add_x_forwarded_for;$/m);
	});
});
