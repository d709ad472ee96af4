/**
 * The Redis bus's connections ("links"), one per topology, behind one small interface so that
 * bus-redis.ts (envelopes, handlers, resync, stats) is the same for both:
 *
 * - `singleRedisLink` (REDIS_URL): one connection publishes, one subscribes (SUBSCRIBE) to the
 *   control channel and every loaded room's channel.
 * - `clusterLink` (REDIS_CLUSTER_NODES): a Redis Cluster. Room channels go through sharded
 *   pub/sub (SPUBLISH/SSUBSCRIBE, Redis 7): a room's traffic only touches the shard that owns
 *   its channel's slot. Publishing goes through an ioredis `Cluster` (it routes SPUBLISH by
 *   slot and follows MOVED); the control channel is plain PUBLISH/SUBSCRIBE, which the cluster
 *   bus broadcasts to every node. Shard subscriptions are ours, one connection per master, and
 *   not ioredis' `shardedSubscribers`: a shard's connection coming back must re-SSUBSCRIBE its
 *   rooms and only then tell the rooms to read back what they missed (resync), which needs to
 *   know when the subscriptions took effect.
 */
import { Cluster, Redis } from 'ioredis';
import { clusterSlot } from './cluster-slot';
import type { Logger } from './logger';

/** Reconnect backoff: doubles from the first delay up to the cap. */
const RECONNECT_FIRST_DELAY_MS = 50;
const RECONNECT_MAX_DELAY_MS = 1000;
/** A refused SSUBSCRIBE (CLUSTERDOWN while a shard is away, MOVED) is retried this often. */
const SUBSCRIBE_RETRY_MS = 500;

export function reconnectDelayMs(attempt: number): number {
	return Math.min(
		RECONNECT_FIRST_DELAY_MS * 2 ** Math.min(attempt - 1, 16),
		RECONNECT_MAX_DELAY_MS
	);
}

/** What a link tells the bus. */
export interface LinkEvents {
	roomMessage(channel: string, payload: Buffer): void;
	controlMessage(payload: Buffer): void;
	/**
	 * Subscriptions took effect: 'all' after a connection came back (anything it carried may be
	 * missed: read everything back), or these new room channels (only their rooms read back).
	 */
	subscribed(scope: 'all' | readonly string[]): void;
}

export interface BusLink {
	/** 'ready' when a publish can go now; otherwise why not (dropped, caught up later). */
	publishStatus(): string;
	publishRoom(channel: string, payload: Buffer): Promise<unknown>;
	publishControl(payload: Buffer): Promise<unknown>;
	subscribeRoom(channel: string): void;
	unsubscribeRoom(channel: string): void;
	/** Resolves once publishing works and the control channel is subscribed (start-up). */
	readonly ready: Promise<void>;
	isConnected(): boolean;
	close(): Promise<void>;
}

/** What a subscription reads back once it takes effect (LinkEvents.subscribed). */
type Resync = 'all' | 'these' | 'none';

export interface LinkOptions {
	readonly controlChannel: string;
	readonly log: Logger;
	readonly events: LinkEvents;
}

const connectionOptions = {
	// We queue nothing: a message that cannot go now is caught up from the room log later.
	enableOfflineQueue: false,
	maxRetriesPerRequest: 0,
	// We re-subscribe ourselves, so that resync runs after the subscriptions are back.
	autoResubscribe: false,
	retryStrategy: reconnectDelayMs
};

/** Logs an outage once per connection, not on every failed reconnect attempt. */
function watchConnection(
	name: string,
	connection: Redis | Cluster,
	log: Logger,
	isClosed: () => boolean
): void {
	let down = false;
	connection.on('error', (error: Error) => {
		if (!down) log.warn({ connection: name, err: error.message }, 'redis connection error');
		down = true;
	});
	connection.on('close', () => {
		if (!down && !isClosed()) log.warn({ connection: name }, 'redis connection lost');
		down = true;
	});
	connection.on('ready', () => {
		if (down) log.info({ connection: name }, 'redis connection back');
		down = false;
	});
}

function readyOnce(connection: Redis | Cluster): Promise<void> {
	return new Promise((resolve) => {
		if (connection.status === 'ready') resolve();
		else connection.once('ready', () => resolve());
	});
}

async function closeConnection(connection: Redis | Cluster): Promise<void> {
	if (connection.status === 'ready') {
		try {
			await connection.quit();
			return;
		} catch {
			/* fall through: the connection is gone anyway */
		}
	}
	connection.disconnect();
}

/** One Redis (REDIS_URL): today's bus, unchanged. */
export function singleRedisLink(url: string, options: LinkOptions): BusLink {
	const { controlChannel, log, events } = options;
	const publisher = new Redis(url, { ...connectionOptions, connectionName: 'parley-pub' });
	const subscriber = new Redis(url, { ...connectionOptions, connectionName: 'parley-sub' });
	const rooms = new Set<string>();
	let closed = false;
	let controlSubscribed: () => void = () => {};
	const controlReady = new Promise<void>((resolve) => (controlSubscribed = resolve));
	watchConnection('publisher', publisher, log, () => closed);
	watchConnection('subscriber', subscriber, log, () => closed);

	/**
	 * Subscribes and then (if `resync`) resyncs: whatever was published between the room's load
	 * from the room log (or the connection's loss) and the subscription taking effect is read back.
	 */
	function sendSubscribe(channels: string[], resync: Resync): void {
		if (channels.length === 0 || subscriber.status !== 'ready') return;
		subscriber.subscribe(...channels).then(
			() => {
				if (channels.includes(controlChannel)) controlSubscribed();
				if (resync === 'all') events.subscribed('all');
				else if (resync === 'these') events.subscribed(channels);
			},
			(error: unknown) => {
				// The connection dropped meanwhile; its 'ready' handler subscribes again.
				log.debug({ err: error, channels: channels.length }, 'subscribe failed');
			}
		);
	}

	let subscriberWasReady = false;
	subscriber.on('ready', () => {
		// The first connection with no room loaded has nothing to read back; a reconnect does.
		sendSubscribe(
			[controlChannel, ...rooms],
			rooms.size > 0 || subscriberWasReady ? 'all' : 'none'
		);
		subscriberWasReady = true;
	});
	subscriber.on('messageBuffer', (channelBytes: Buffer, payload: Buffer) => {
		const channel = channelBytes.toString('utf8');
		if (channel === controlChannel) events.controlMessage(payload);
		else events.roomMessage(channel, payload);
	});

	return {
		ready: Promise.all([readyOnce(publisher), controlReady]).then(() => undefined),
		publishStatus: () => publisher.status,
		publishRoom: (channel, payload) => publisher.publish(channel, payload),
		publishControl: (payload) => publisher.publish(controlChannel, payload),
		subscribeRoom(channel) {
			rooms.add(channel);
			sendSubscribe([channel], 'these');
		},
		unsubscribeRoom(channel) {
			rooms.delete(channel);
			if (subscriber.status === 'ready' && !closed) {
				subscriber.unsubscribe(channel).catch((error: unknown) => {
					log.debug({ err: error, channel }, 'unsubscribe failed');
				});
			}
		},
		isConnected: () => publisher.status === 'ready' && subscriber.status === 'ready',
		async close() {
			closed = true;
			await Promise.all([publisher, subscriber].map(closeConnection));
		}
	};
}

/** A cluster node as `host:port` (REDIS_CLUSTER_NODES' entries, ioredis' node keys). */
export interface ClusterNode {
	readonly host: string;
	readonly port: number;
}

/** One master's sharded subscriptions: its own connection, re-SSUBSCRIBEd when it comes back. */
class ShardSubscriber {
	readonly channels = new Set<string>();
	readonly connection: Redis;
	#retry: NodeJS.Timeout | null = null;
	#wasReady = false;
	#closed = false;

	constructor(
		readonly nodeKey: string,
		node: ClusterNode,
		private readonly options: LinkOptions & { readonly onMoved: () => void }
	) {
		this.connection = new Redis({
			...connectionOptions,
			host: node.host,
			port: node.port,
			connectionName: 'parley-ssub'
		});
		watchConnection(`shard ${nodeKey}`, this.connection, options.log, () => this.#closed);
		this.connection.on('ready', () => {
			// A connection back: whatever this shard carried meanwhile is read back once
			// its rooms are subscribed again.
			this.#subscribe(
				[...this.channels],
				this.channels.size > 0 || this.#wasReady ? 'all' : 'none'
			);
			this.#wasReady = true;
		});
		this.connection.on('smessageBuffer', (channel: Buffer, payload: Buffer) => {
			options.events.roomMessage(channel.toString('utf8'), payload);
		});
	}

	add(channel: string): void {
		this.channels.add(channel);
		this.#subscribe([channel], 'these');
	}

	remove(channel: string): void {
		if (!this.channels.delete(channel)) return;
		if (this.connection.status !== 'ready' || this.#closed) return;
		this.connection.sunsubscribe(channel).catch((error: unknown) => {
			this.options.log.debug({ err: error, channel }, 'sunsubscribe failed');
		});
	}

	/** One SSUBSCRIBE per channel: several in one command must share a slot. */
	#subscribe(channels: readonly string[], resync: Resync): void {
		if (channels.length === 0 || this.connection.status !== 'ready' || this.#closed) return;
		void Promise.allSettled(channels.map((channel) => this.connection.ssubscribe(channel))).then(
			(results) => {
				const failed = channels.filter(
					(channel, i) => results[i]?.status === 'rejected' && this.channels.has(channel)
				);
				const subscribed = channels.filter((channel) => !failed.includes(channel));
				if (subscribed.length > 0 && resync === 'all') this.options.events.subscribed('all');
				else if (subscribed.length > 0 && resync === 'these') {
					this.options.events.subscribed(subscribed);
				}
				if (failed.length === 0) return;
				const reasons = results.flatMap((result) =>
					result.status === 'rejected' ? [String(result.reason)] : []
				);
				this.options.log.debug(
					{ node: this.nodeKey, failed: failed.length, reasons },
					'ssubscribe refused'
				);
				if (reasons.some((reason) => reason.includes('MOVED'))) this.options.onMoved();
				this.#retryLater(failed, resync);
			}
		);
	}

	#retryLater(channels: readonly string[], resync: Resync): void {
		if (this.#retry || this.#closed) return;
		this.#retry = setTimeout(() => {
			this.#retry = null;
			this.#subscribe(
				channels.filter((channel) => this.channels.has(channel)),
				resync
			);
		}, SUBSCRIBE_RETRY_MS);
	}

	isReady(): boolean {
		return this.connection.status === 'ready';
	}

	async close(): Promise<void> {
		this.#closed = true;
		if (this.#retry) clearTimeout(this.#retry);
		await closeConnection(this.connection);
	}
}

function parseNodeKey(nodeKey: string): ClusterNode {
	const colon = nodeKey.lastIndexOf(':');
	return { host: nodeKey.slice(0, colon), port: Number(nodeKey.slice(colon + 1)) };
}

/** Asks a node for CLUSTER INFO on a fresh connection that never retries; why not, if not ok. */
async function clusterNodeProblem(node: ClusterNode): Promise<string | null> {
	const probe = new Redis({
		host: node.host,
		port: node.port,
		lazyConnect: true,
		enableOfflineQueue: false,
		maxRetriesPerRequest: 0,
		retryStrategy: () => null,
		connectTimeout: 2_000
	});
	probe.on('error', () => {});
	try {
		await probe.connect();
		const info = String(await probe.call('CLUSTER', 'INFO'));
		return info.includes('cluster_state:ok') ? null : 'cluster_state is not ok';
	} catch (error) {
		return error instanceof Error ? error.message : String(error);
	} finally {
		probe.disconnect();
	}
}

/**
 * Resolves once every listed node answers and says cluster_state:ok. Until then the instance
 * stays unready (/readyz 503) and says which node of REDIS_CLUSTER_NODES is the problem: a
 * node missing from the list's cluster is never silently skipped.
 */
async function untilEveryNodeIsOk(
	nodes: readonly ClusterNode[],
	log: Logger,
	isClosed: () => boolean
): Promise<void> {
	for (let attempt = 1; !isClosed(); attempt++) {
		const problems = await Promise.all(nodes.map(clusterNodeProblem));
		const bad = nodes.flatMap((node, i) =>
			problems[i] ? [`${node.host}:${node.port}: ${problems[i]}`] : []
		);
		if (bad.length === 0) return;
		// The first failure and then every ~10 s: loud enough to be found, not a flood.
		if (attempt === 1 || attempt % 10 === 0) {
			log.error({ nodes: bad }, `REDIS_CLUSTER_NODES: not ready, retrying: ${bad.join('; ')}`);
		}
		await new Promise((resolve) => setTimeout(resolve, RECONNECT_MAX_DELAY_MS));
	}
}

/** A Redis Cluster (REDIS_CLUSTER_NODES): sharded room channels, a cluster-wide control channel. */
export function clusterLink(nodes: readonly ClusterNode[], options: LinkOptions): BusLink {
	const { controlChannel, log, events } = options;
	const cluster = new Cluster(
		nodes.map(({ host, port }) => ({ host, port })),
		{
			enableOfflineQueue: false,
			clusterRetryStrategy: reconnectDelayMs,
			// Follow a failover or a reshard soon: the shard subscribers follow these slots.
			slotsRefreshInterval: 2_000,
			redisOptions: { ...connectionOptions, autoResubscribe: true, connectionName: 'parley-pub' }
		}
	);
	let closed = false;
	watchConnection('cluster', cluster, log, () => closed);
	/** Wanted room channels and the master each is subscribed on (null: slots not known yet). */
	const assigned = new Map<string, ShardSubscriber | null>();
	const shards = new Map<string, ShardSubscriber>();

	function shardFor(channel: string): ShardSubscriber | null {
		const nodeKey = cluster.slots[clusterSlot(channel)]?.[0];
		if (!nodeKey) return null;
		let shard = shards.get(nodeKey);
		if (!shard) {
			shard = new ShardSubscriber(nodeKey, parseNodeKey(nodeKey), {
				...options,
				onMoved: () => cluster.refreshSlotsCache()
			});
			shards.set(nodeKey, shard);
		}
		return shard;
	}

	/** Puts every wanted channel on the master that owns its slot now (start-up, failover, reshard). */
	function reconcile(): void {
		if (closed) return;
		for (const [channel, current] of assigned) {
			const owner = shardFor(channel);
			if (owner === current) continue;
			current?.remove(channel);
			owner?.add(channel);
			assigned.set(channel, owner);
		}
	}
	cluster.on('refresh', reconcile);

	// The control channel: plain SUBSCRIBE, on the Cluster's own subscriber connection (ioredis
	// moves it to another node and re-subscribes if its node goes away).
	cluster.on('messageBuffer', (channel: Buffer, payload: Buffer) => {
		if (channel.toString('utf8') === controlChannel) events.controlMessage(payload);
	});
	const controlReady = (async () => {
		for (let attempt = 1; !closed; attempt++) {
			try {
				await readyOnce(cluster);
				await cluster.subscribe(controlChannel);
				return;
			} catch (error) {
				log.debug({ err: error }, 'control subscribe failed');
				await new Promise((resolve) => setTimeout(resolve, reconnectDelayMs(attempt)));
			}
		}
	})();

	return {
		ready: Promise.all([
			readyOnce(cluster),
			controlReady,
			untilEveryNodeIsOk(nodes, log, () => closed)
		]).then(() => undefined),
		publishStatus: () => cluster.status,
		publishRoom: (channel, payload) => cluster.spublish(channel, payload),
		publishControl: (payload) => cluster.publish(controlChannel, payload),
		subscribeRoom(channel) {
			const shard = shardFor(channel);
			assigned.set(channel, shard);
			shard?.add(channel);
		},
		unsubscribeRoom(channel) {
			assigned.get(channel)?.remove(channel);
			assigned.delete(channel);
		},
		isConnected() {
			if (cluster.status !== 'ready') return false;
			for (const shard of assigned.values()) if (!shard?.isReady()) return false;
			return true;
		},
		async close() {
			closed = true;
			cluster.off('refresh', reconcile);
			await Promise.all([...shards.values()].map((shard) => shard.close()));
			await closeConnection(cluster);
		}
	};
}
