/**
 * Spawns a throw-away Redis Cluster: three masters (`redis-server --cluster-enabled yes`, no
 * replicas, no persistence but the cluster's own nodes.conf) on free ports in a temp dir, joined
 * with `redis-cli --cluster create`. A master can be killed (-9) and restarted on its port: it
 * comes back with its node id and its slots from nodes.conf, as a rebooted shard does.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { spawnRedisServer } from './redis';
import { makeTempDir } from './server';
import { waitFor } from './wait';

export interface RedisClusterHandle {
	readonly ports: readonly number[];
	/** `127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3`: the REDIS_CLUSTER_NODES value. */
	readonly nodes: string;
	/** SIGKILL (kill -9) master `index`, then wait for its exit. */
	kill(index: number): Promise<void>;
	/** Starts master `index` again on its port and waits until the cluster says ok. */
	restart(index: number): Promise<void>;
	/** The master that serves `slot` (CLUSTER SHARDS' view from the first live node). */
	masterOfSlot(slot: number): Promise<number>;
	/** Stops every master and deletes the temp dir. */
	stop(): Promise<void>;
	/** Everything the servers and redis-cli printed, for failure messages. */
	readonly output: string[];
}

const CLUSTER_OK_TIMEOUT_MS = 30_000;
/** The cluster bus listens on the data port + 10000 (Redis' fixed offset). */
const BUS_PORT_OFFSET = 10_000;
/**
 * Short, so that a 3 s outage makes the other masters mark the dead one failed and refuse
 * commands cluster-wide (cluster_state:fail): the hardest case for the bus to heal from.
 */
const NODE_TIMEOUT_MS = 2_000;

function portIsFree(port: number): Promise<boolean> {
	return new Promise((answer) => {
		const probe = createServer();
		probe.unref();
		probe.once('error', () => answer(false));
		probe.listen(port, '127.0.0.1', () => probe.close(() => answer(true)));
	});
}

/** A port P with P and P+10000 free (the data port and the cluster bus port). */
async function freeClusterPort(taken: ReadonlySet<number>): Promise<number> {
	for (let attempt = 0; attempt < 200; attempt++) {
		const port = 20_000 + Math.floor(Math.random() * 30_000);
		if (taken.has(port) || taken.has(port + BUS_PORT_OFFSET)) continue;
		if ((await portIsFree(port)) && (await portIsFree(port + BUS_PORT_OFFSET))) return port;
	}
	throw new Error('no free port pair for a cluster node');
}

function waitForExit(child: ChildProcess): Promise<void> {
	if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
	return new Promise((done) => child.once('exit', () => done()));
}

function spawnNode(port: number, dir: string, output: string[]): Promise<ChildProcess> {
	return spawnRedisServer(
		[
			'--port',
			String(port),
			'--bind',
			'127.0.0.1',
			'--cluster-enabled',
			'yes',
			'--cluster-config-file',
			join(dir, `nodes-${port}.conf`),
			'--cluster-node-timeout',
			String(NODE_TIMEOUT_MS),
			'--dir',
			dir,
			'--save',
			'',
			'--appendonly',
			'no'
		],
		output
	);
}

function run(command: string, args: string[], output: string[]): Promise<void> {
	return new Promise((done, fail) => {
		const child = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'] });
		child.stdout.on('data', (chunk: Buffer) => output.push(chunk.toString()));
		child.stderr.on('data', (chunk: Buffer) => output.push(chunk.toString()));
		child.once('error', fail);
		child.once('exit', (code) =>
			code === 0
				? done()
				: fail(new Error(`${command} exited ${code}:\n${output.slice(-20).join('')}`))
		);
	});
}

/** Asks one node for a reply, with a fresh connection that never retries. */
async function ask(port: number, ...command: [string, ...string[]]): Promise<unknown> {
	const client = new Redis({
		port,
		host: '127.0.0.1',
		lazyConnect: true,
		maxRetriesPerRequest: 0,
		retryStrategy: () => null
	});
	client.on('error', () => {});
	try {
		await client.connect();
		return await client.call(...command);
	} finally {
		client.disconnect();
	}
}

async function clusterOk(port: number): Promise<boolean> {
	try {
		return String(await ask(port, 'CLUSTER', 'INFO')).includes('cluster_state:ok');
	} catch {
		return false;
	}
}

export async function startRedisCluster(): Promise<RedisClusterHandle> {
	const dir = makeTempDir('parley-redis-cluster-');
	const output: string[] = [];
	const ports: number[] = [];
	for (let i = 0; i < 3; i++) ports.push(await freeClusterPort(new Set(ports)));
	const children: ChildProcess[] = await Promise.all(
		ports.map((port) => spawnNode(port, dir, output))
	);
	const allOk = async (): Promise<boolean> =>
		(await Promise.all(ports.map(clusterOk))).every(Boolean);
	try {
		await run(
			'redis-cli',
			[
				'--cluster',
				'create',
				...ports.map((port) => `127.0.0.1:${port}`),
				'--cluster-replicas',
				'0',
				'--cluster-yes'
			],
			output
		);
		await waitFor('the Redis Cluster to say ok', allOk, CLUSTER_OK_TIMEOUT_MS, 100);
	} catch (error) {
		for (const child of children) child.kill('SIGKILL');
		rmSync(dir, { recursive: true, force: true });
		throw error;
	}

	function child(index: number): ChildProcess {
		const found = children[index];
		if (!found) throw new Error(`no master #${index}`);
		return found;
	}

	return {
		ports,
		nodes: ports.map((port) => `127.0.0.1:${port}`).join(','),
		output,
		async kill(index) {
			const node = child(index);
			if (node.exitCode === null && node.signalCode === null) node.kill('SIGKILL');
			await waitForExit(node);
		},
		async restart(index) {
			const node = child(index);
			if (node.exitCode === null && node.signalCode === null) {
				node.kill('SIGKILL');
				await waitForExit(node);
			}
			children[index] = await spawnNode(ports[index] as number, dir, output);
			await waitFor('the Redis Cluster to say ok again', allOk, CLUSTER_OK_TIMEOUT_MS, 100);
		},
		async masterOfSlot(slot) {
			for (const port of ports) {
				try {
					const ranges = (await ask(port, 'CLUSTER', 'SLOTS')) as [
						number,
						number,
						[string, number]
					][];
					const range = ranges.find(([from, to]) => from <= slot && slot <= to);
					if (range) return ports.indexOf(Number(range[2][1]));
				} catch {
					/* that node is down: ask the next */
				}
			}
			throw new Error(`no live master knows slot ${slot}`);
		},
		async stop() {
			for (const node of children) {
				if (node.exitCode === null && node.signalCode === null) node.kill('SIGKILL');
			}
			await Promise.all(children.map(waitForExit));
			rmSync(dir, { recursive: true, force: true });
		}
	};
}
