/**
 * The one place that reads `process.env`. Everything else imports `config` (or calls
 * `parseConfig` in tests). A bad value names its variable; the entry prints that and exits 1.
 */
import { z } from 'zod';

const port = z.coerce.number().int().min(0).max(65535);
const positiveInt = z.coerce.number().int().positive();

/** `a, b,,c` → ['a', 'b', 'c']: a comma-separated variable's entries, trimmed, empty ones dropped. */
function splitCommaList(value: string): string[] {
	return value
		.split(',')
		.map((entry) => entry.trim())
		.filter(Boolean);
}

const EnvFields = z.object({
	/** HTTP + WebSocket port. */
	PORT: port.default(3000),
	/** Interface to bind. */
	HOST: z.string().min(1).default('0.0.0.0'),
	/**
	 * Port of the separate listener that serves GET /metrics (Prometheus) and nothing else;
	 * the app port never serves it. Unset: metrics are not served.
	 */
	METRICS_PORT: port.optional(),
	/** Interface the metrics listener binds; loopback unless the scraper is on another host. */
	METRICS_HOST: z.string().min(1).default('127.0.0.1'),
	/** SQLite database and uploaded files live here. */
	DATA_DIR: z.string().min(1).default('./data'),
	/**
	 * Unset: SQLite in DATA_DIR (one host). postgres://user:password@host:port/database: every
	 * record in PostgreSQL (docs/design.md "Storage"), so instances share no disk.
	 */
	DATABASE_URL: z
		.string()
		.regex(/^postgres(ql)?:\/\//, 'must start with postgres:// or postgresql://')
		.refine((value) => URL.canParse(value), 'is not a valid URL')
		.optional(),
	/**
	 * Where uploaded files' bytes live: `local` (DATA_DIR/files, one host) or `postgres` (in the
	 * DATABASE_URL database, chunked, so any instance serves any file with no shared disk).
	 * Default: `postgres` when DATABASE_URL is set, else `local`.
	 */
	BLOB_STORE: z.enum(['local', 'postgres']).optional(),
	/** Unset: in-process bus (one instance). Set: instances share rooms through Redis. */
	REDIS_URL: z
		.string()
		.regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
		.optional(),
	/**
	 * Set instead of REDIS_URL for a Redis Cluster (Redis 7+): comma-separated `host:port` of
	 * its masters (some suffice to discover the rest; every one listed must answer before the
	 * instance is ready). Room channels then use sharded pub/sub (docs/design.md "Scaling out").
	 */
	REDIS_CLUSTER_NODES: z
		.string()
		.transform(splitCommaList)
		.pipe(
			z
				.array(
					z
						.string()
						.regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, 'each entry must be host:port')
						.transform((entry) => {
							const colon = entry.lastIndexOf(':');
							return { host: entry.slice(0, colon), port: Number(entry.slice(colon + 1)) };
						})
						.pipe(z.object({ host: z.string(), port: z.number().int().min(1).max(65535) }))
				)
				.min(1, 'at least one host:port')
		)
		.optional(),
	/**
	 * SQLite's synchronous setting for the WAL. `normal` (default): a commit survives a crash of
	 * the process, not a power loss or kernel panic (the last commits may roll back). `full`:
	 * every commit is fsynced before STORED, so it survives those too, at a cost per group
	 * commit (bench scenario `durability`).
	 */
	SQLITE_SYNCHRONOUS: z.enum(['normal', 'full']).default('normal'),
	/** Public origin, e.g. https://chat.example.com. Defaults to http://localhost:PORT. */
	ORIGIN: z.url().optional(),
	/** Log level for the JSON logs. */
	LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
	/** Largest WebSocket frame the sync server accepts, in bytes. */
	MAX_FRAME_BYTES: positiveInt.default(256 * 1024),
	/** Longest message text, in characters. */
	MAX_MESSAGE_CHARS: positiveInt.default(4000),
	/** Sustained updates per second per connection (token bucket refill rate). */
	UPDATES_PER_SECOND: positiveInt.default(20),
	/** Token bucket size: how many updates a connection may send in a burst. */
	UPDATES_BURST: positiveInt.default(60),
	/**
	 * Per-user budget on each instance, shared by all of the user's sockets: refill rate in
	 * bytes-equivalents per second (bytes in and out, plus a weight per frame and per message
	 * created; docs/design.md gate rule 6). A user over it is paced, not refused.
	 */
	USER_BUDGET_BYTES_PER_SECOND: positiveInt.default(2_000_000),
	/** Size of that budget: what a user may spend at once after a quiet spell, in bytes. */
	USER_BUDGET_BURST_BYTES: positiveInt.default(16_000_000),
	/**
	 * Messages one update may create (relayed ones, when healing, not counted). A stock client
	 * re-sends its whole offline backlog as one sync step 2, which MAX_FRAME_BYTES already caps
	 * below this for any real message (~130 bytes or more each).
	 */
	MAX_MESSAGES_PER_UPDATE: positiveInt.default(2_000),
	/**
	 * A connection's sync step 1 is answered at most once per this many ms; one sooner is refused
	 * (rule 6). A stock client sends one per connection. 0: no minimum.
	 */
	SYNC_STEP1_MIN_INTERVAL_MS: z.coerce.number().int().min(0).default(1_000),
	/** Awareness states a connection may publish per second (typing, presence): refill rate. */
	AWARENESS_UPDATES_PER_SECOND: positiveInt.default(10),
	/**
	 * Awareness (presence) changes of a room within this window go out as one frame per socket,
	 * in ms (0: each at once). Typing indicators arrive up to this much later.
	 */
	AWARENESS_BATCH_MS: z.coerce.number().int().min(0).default(100),
	/** Awareness token bucket size per connection. */
	AWARENESS_BURST: positiveInt.default(30),
	/** Open sync connections per user, across all rooms, per instance. */
	MAX_CONNECTIONS_PER_USER: positiveInt.default(50),
	/** Compact a room's update log into a snapshot once it holds this many updates. */
	COMPACT_AFTER_UPDATES: positiveInt.default(500),
	/**
	 * Seal a room's head once its `messages` hold this many: they move into read-only history
	 * segments and a fresh head starts (docs/design.md "History segments").
	 */
	SEAL_AFTER_MESSAGES: positiveInt.default(5_000),
	/**
	 * A room's head is sealed at most once per this many ms (from the previous seal's
	 * `sealed_at`): a flood of messages cannot make every member reconnect at will. 0: no minimum.
	 */
	SEAL_MIN_INTERVAL_MS: z.coerce.number().int().min(0).default(600_000),
	/**
	 * Gate rule 7 (docs/design.md "Signed items"): 1 (the default: every browser signs) refuses
	 * unsigned new messages, changes, reactions and read marks; 0 admits them unsigned, for a
	 * deployment whose bots do not sign yet. A signature that is there is always checked, and
	 * items stored before signatures stay readable either way.
	 */
	REQUIRE_SIGNATURES: z
		.enum(['0', '1'])
		.default('1')
		.transform((value) => value === '1'),
	/** Unload a room from memory after this long without connections, in ms. */
	ROOM_IDLE_UNLOAD_MS: positiveInt.default(30_000),
	/**
	 * A loaded room whose document nobody used for this long (no update, no sync) keeps it as
	 * encoded bytes only, and rebuilds it on the next use, in ms (docs/design.md "Sync server").
	 */
	ROOM_SLEEP_MS: positiveInt.default(30_000),
	/** Sessions expire after this long without use, in days. */
	SESSION_INACTIVITY_DAYS: positiveInt.default(30),
	/**
	 * Failed logins allowed per account in LOGIN_WINDOW_SECONDS, counted apart for each known
	 * device, each known address and everyone else: a stranger's guesses slow down strangers
	 * only, never the owner on a device or address they logged in from before.
	 */
	LOGIN_MAX_ATTEMPTS: positiveInt.default(10),
	LOGIN_WINDOW_SECONDS: positiveInt.default(60),
	/** Failed logins per client address across all usernames (password spraying) … */
	LOGIN_MAX_FAILURES_PER_ADDRESS: positiveInt.default(50),
	/** … in this window. */
	LOGIN_ADDRESS_WINDOW_SECONDS: positiveInt.default(900),
	/**
	 * Reverse proxies whose X-Forwarded-For is believed: comma-separated IPs or CIDRs. The client
	 * address is the rightmost hop that is not one of them. Unset: trust none, use the peer.
	 */
	TRUSTED_PROXIES: z
		.string()
		.transform(splitCommaList)
		.pipe(z.array(z.union([z.ipv4(), z.ipv6(), z.cidrv4(), z.cidrv6()])))
		.default([]),
	/** Accounts created per client address in REGISTER_WINDOW_SECONDS. */
	REGISTER_MAX_PER_WINDOW: positiveInt.default(100),
	REGISTER_WINDOW_SECONDS: positiveInt.default(600),
	/** Rooms one user may create per hour; then 429. */
	ROOMS_PER_HOUR: positiveInt.default(20),
	/** New DMs one user may start per hour (reopening an existing one is free); then 429. */
	DMS_PER_HOUR: positiveInt.default(30),
	/** Profile pictures one user may upload per hour (PUT /api/me/avatar); then 429. */
	AVATARS_PER_HOUR: positiveInt.default(30),
	/**
	 * Largest uploaded file, in bytes (25 MiB). Enforced while the body streams to disk; the
	 * entry must also raise adapter-node's BODY_SIZE_LIMIT (512K by default) to at least this.
	 */
	MAX_UPLOAD_BYTES: positiveInt.default(25 * 1024 * 1024),
	/**
	 * An upload no stored message names is deleted once this old (7 days): long enough for a
	 * message whose files were uploaded before its device went offline to reach the server.
	 */
	FILE_GC_GRACE_MS: positiveInt.default(7 * 24 * 60 * 60 * 1000),
	/** How often garbage collection of uploads runs (1 h). */
	FILE_GC_INTERVAL_MS: positiveInt.default(60 * 60 * 1000)
});

const EnvSchema = EnvFields.superRefine((env, context) => {
	if (env.BLOB_STORE === 'postgres' && env.DATABASE_URL === undefined) {
		context.addIssue({
			code: 'custom',
			path: ['BLOB_STORE'],
			message: 'postgres needs DATABASE_URL (the database the files go to)'
		});
	}
	if (env.REDIS_URL !== undefined && env.REDIS_CLUSTER_NODES !== undefined) {
		context.addIssue({
			code: 'custom',
			path: ['REDIS_CLUSTER_NODES'],
			message: 'set REDIS_URL (one Redis) or REDIS_CLUSTER_NODES (a Redis Cluster), not both'
		});
	}
});

export type Env = z.infer<typeof EnvSchema>;
export type Config = Readonly<
	Omit<Env, 'BLOB_STORE'> & {
		ORIGIN: string;
		secureCookies: boolean;
		BLOB_STORE: NonNullable<Env['BLOB_STORE']>;
	}
>;

export class ConfigError extends Error {
	override name = 'ConfigError';
}

/** Variables whose values may hold a password: never printed. */
const SECRET = new Set(['DATABASE_URL']);

function shown(key: string, env: Record<string, string | undefined>): string {
	return SECRET.has(key) ? 'a value not shown' : JSON.stringify(env[key]);
}

/** Parses an environment; throws ConfigError naming each bad variable. */
export function parseConfig(env: Record<string, string | undefined>): Config {
	// Empty strings mean "unset", as in most shells' `VAR= cmd`.
	const cleaned = Object.fromEntries(
		Object.entries(env).filter(([key, value]) => key in EnvFields.shape && value !== '')
	);
	const result = EnvSchema.safeParse(cleaned);
	if (!result.success) {
		const lines = result.error.issues.map(
			(issue) =>
				`${issue.path.join('.')}: ${issue.message} (got ${shown(String(issue.path[0]), cleaned)})`
		);
		throw new ConfigError(`Invalid configuration:\n  ${lines.join('\n  ')}`);
	}
	const parsed = result.data;
	const origin = (parsed.ORIGIN ?? `http://localhost:${parsed.PORT}`).replace(/\/$/, '');
	return Object.freeze({
		...parsed,
		ORIGIN: origin,
		BLOB_STORE: parsed.BLOB_STORE ?? (parsed.DATABASE_URL ? 'postgres' : 'local'),
		secureCookies: origin.startsWith('https://')
	});
}

let cached: Config | undefined;

/** The process's configuration, parsed once from `process.env`. */
export function getConfig(): Config {
	cached ??= parseConfig(process.env);
	return cached;
}
