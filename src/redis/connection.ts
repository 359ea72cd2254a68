/**
 * Redis connections for the two kinds of work cosjob does.
 *
 * - 'decision': a click in Slack. It must never wait long on a dead Redis: once connected, commands
 *   fail at once while the connection is down (no offline queue), a command gets one retry across a
 *   reconnect and at most ~2 s, so the caller can answer "audit store unavailable, nothing was done".
 * - 'background': the watcher, reminders, the reconciler. Waiting and retrying is fine there.
 *
 * Replies are pinned to RESP2 (`protocol: 2`): ioredis 6 defaults to RESP3, and although its 'legacy'
 * reply mapping is meant to keep shapes unchanged, pinning removes the question. The audit code parses
 * replies defensively either way (test/audit/resp.test.ts checks both protocols).
 */
import { isIP } from 'node:net';
import type { ClusterOptions, RedisOptions } from 'ioredis';
import { Cluster, Redis } from 'ioredis';
import type { RedisConfig } from '../config/index.js';
import type { Logger } from '../logger.js';
import { registerSecret } from '../logger.js';

/** What both a single-node/Sentinel client and a Cluster client offer for the commands cosjob uses. */
export type RedisClient = Redis | Cluster;

export type RedisRole = 'decision' | 'background';

export interface CreateRedisOptions {
  role: RedisRole;
  logger: Logger;
  /** Connect on the first command (or waitForReady) instead of at once. */
  lazy?: boolean;
  /** Shown in CLIENT LIST, handy when several replicas share one Redis. */
  connectionName?: string;
}

export class RedisUrlError extends Error {
  constructor(redactedUrl: string, problem: string) {
    super(`REDIS_URL ${redactedUrl} is not usable: ${problem}`);
    this.name = 'RedisUrlError';
  }
}

export interface RedisEndpoint {
  host: string;
  port: number;
  username?: string;
  password?: string;
  db: number;
  tls: boolean;
}

/**
 * The URL with its password replaced by `***` (the user name stays: it helps diagnose ACL problems and
 * is not a secret). Never throws: an unparsable URL becomes a placeholder, since the text may itself
 * be a secret pasted into the wrong variable.
 */
export function redactRedisUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password !== '') parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparsable Redis URL>';
  }
}

/** redis://[user[:password]@]host[:port][/db] or rediss://… (TLS). */
export function parseRedisUrl(url: string): RedisEndpoint {
  const redacted = redactRedisUrl(url);
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new RedisUrlError(redacted, 'expected redis://[user:password@]host:port[/db]');
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new RedisUrlError(redacted, 'the scheme must be redis:// or rediss:// (TLS)');
  }
  const host = parsed.hostname.replace(/^\[|\]$/g, '');
  if (host === '') throw new RedisUrlError(redacted, 'the host is missing');
  const port = parsed.port === '' ? 6379 : Number(parsed.port);
  const dbText = parsed.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d{1,5}$/.test(dbText)) {
    throw new RedisUrlError(redacted, `the path must be a database number such as /0, not /${dbText}`);
  }
  // WHATWG URL keeps user info percent-encoded; passwords often contain @ : / and must be encoded.
  const username = parsed.username === '' ? undefined : decodeURIComponent(parsed.username);
  const password = parsed.password === '' ? undefined : decodeURIComponent(parsed.password);
  return {
    host,
    port,
    ...(username !== undefined ? { username } : {}),
    ...(password !== undefined ? { password } : {}),
    db: dbText === '' ? 0 : Number(dbText),
    tls: parsed.protocol === 'rediss:',
  };
}

interface RoleTuning {
  maxRetriesPerRequest: number | null;
  commandTimeout: number;
  connectTimeout: number;
  /** Upper bound of the reconnect delay; reconnecting itself never stops, so Redis coming back heals. */
  maxReconnectDelayMs: number;
  autoResendUnfulfilledCommands: boolean;
}

const ROLE_TUNING: Record<RedisRole, RoleTuning> = {
  decision: {
    maxRetriesPerRequest: 1,
    commandTimeout: 2_000,
    connectTimeout: 3_000,
    maxReconnectDelayMs: 1_000,
    // A write cut off mid-flight is reported as failed rather than silently sent again later.
    autoResendUnfulfilledCommands: false,
  },
  background: {
    maxRetriesPerRequest: 20,
    commandTimeout: 15_000,
    connectTimeout: 10_000,
    maxReconnectDelayMs: 5_000,
    autoResendUnfulfilledCommands: true,
  },
};

function reconnectDelay(maxDelayMs: number): (times: number) => number {
  return (times) => Math.min(50 * 2 ** Math.min(times - 1, 10), maxDelayMs) + Math.floor(Math.random() * 100);
}

/** The ioredis options for one role, without the address (exported for tests and diagnostics). */
export function redisOptionsFor(
  endpoint: RedisEndpoint,
  role: RedisRole,
  extra: { lazy?: boolean; connectionName?: string } = {},
): ConnectionOptions {
  const tuning = ROLE_TUNING[role];
  return {
    protocol: 2,
    ...(endpoint.username !== undefined ? { username: endpoint.username } : {}),
    ...(endpoint.password !== undefined ? { password: endpoint.password } : {}),
    db: endpoint.db,
    // SNI only for names: Node refuses an IP address as the TLS server name.
    ...(endpoint.tls ? { tls: isIP(endpoint.host) === 0 ? { servername: endpoint.host } : {} } : {}),
    maxRetriesPerRequest: tuning.maxRetriesPerRequest,
    commandTimeout: tuning.commandTimeout,
    connectTimeout: tuning.connectTimeout,
    retryStrategy: reconnectDelay(tuning.maxReconnectDelayMs),
    autoResendUnfulfilledCommands: tuning.autoResendUnfulfilledCommands,
    // Queue until the first 'ready' so start-up commands work; a decision client turns it off then.
    enableOfflineQueue: true,
    lazyConnect: extra.lazy ?? false,
    ...(extra.connectionName !== undefined ? { connectionName: extra.connectionName } : {}),
  };
}

function describeTarget(config: RedisConfig): string {
  if (config.clusterNodes) {
    return `cluster ${config.clusterNodes.map((n) => `${n.host}:${n.port}`).join(',')}`;
  }
  if (config.sentinels) {
    return `sentinel master ${config.sentinelName ?? '?'} via ${config.sentinels.map((n) => `${n.host}:${n.port}`).join(',')}`;
  }
  return redactRedisUrl(config.url);
}

/**
 * A client for the configured deployment: REDIS_URL alone (single node), REDIS_SENTINELS +
 * REDIS_SENTINEL_NAME (REDIS_URL then only supplies user, password, db and TLS), or REDIS_CLUSTER_NODES
 * (REDIS_URL supplies user, password and TLS; the db must be 0).
 */
/**
 * ioredis's exported RedisOptions declares `replyMapping` as possibly undefined while its constructors do
 * not, which only matters under exactOptionalPropertyTypes; cosjob never sets it.
 */
type ConnectionOptions = Omit<RedisOptions, 'replyMapping'>;

export function createRedis(config: RedisConfig, options: CreateRedisOptions): RedisClient {
  const endpoint = parseRedisUrl(config.url);
  registerSecret(endpoint.password);
  const base = redisOptionsFor(endpoint, options.role, options);
  const target = describeTarget(config);
  const tuning = ROLE_TUNING[options.role];

  let client: RedisClient;
  if (config.clusterNodes) {
    if (endpoint.db !== 0) {
      throw new RedisUrlError(
        redactRedisUrl(config.url),
        'Redis Cluster has only database 0: remove the /db part',
      );
    }
    const {
      retryStrategy: _unusedInCluster,
      enableOfflineQueue,
      lazyConnect,
      db: _db,
      ...nodeOptions
    } = base;
    const clusterOptions: Omit<ClusterOptions, 'redisOptions'> & { redisOptions: ConnectionOptions } = {
      redisOptions: nodeOptions,
      enableOfflineQueue: enableOfflineQueue ?? true,
      lazyConnect: lazyConnect ?? false,
      scaleReads: 'master',
      clusterRetryStrategy: reconnectDelay(tuning.maxReconnectDelayMs),
      slotsRefreshTimeout: Math.min(tuning.connectTimeout, 2_000),
    };
    client = new Cluster(config.clusterNodes, clusterOptions);
  } else if (config.sentinels) {
    if (!config.sentinelName) {
      throw new RedisUrlError(
        redactRedisUrl(config.url),
        'Sentinel needs REDIS_SENTINEL_NAME (the monitored master name)',
      );
    }
    client = new Redis({
      ...base,
      sentinels: config.sentinels,
      name: config.sentinelName,
      ...(endpoint.tls ? { enableTLSForSentinelMode: true } : {}),
    });
  } else {
    client = new Redis({ ...base, host: endpoint.host, port: endpoint.port });
  }

  attachListeners(client, options, target);
  return client;
}

function attachListeners(client: RedisClient, options: CreateRedisOptions, target: string): void {
  const { logger, role } = options;
  let lastErrorMessage: string | undefined;
  // Mandatory: without an 'error' listener ioredis prints every reconnect failure to the console.
  client.on('error', (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    // While Redis is down the same error repeats on every reconnect attempt: log it once.
    const log = message === lastErrorMessage ? logger.debug : logger.warn;
    lastErrorMessage = message;
    log('Redis connection error', { role, target, error: message });
  });
  client.on('ready', () => {
    lastErrorMessage = undefined;
    if (role === 'decision') client.options.enableOfflineQueue = false;
    logger.info('Redis connection ready', { role, target });
  });
  client.on('end', () => logger.debug('Redis connection closed', { role, target }));
}

export class RedisNotReadyError extends Error {
  constructor(timeoutMs: number, status: string, lastError: string | undefined) {
    super(
      `Redis is not ready after ${timeoutMs} ms (connection state: ${status}${lastError ? `; last error: ${lastError}` : ''}). ` +
        'Check REDIS_URL (host, port, user, password) and that the server is running and reachable.',
    );
    this.name = 'RedisNotReadyError';
  }
}

/** Resolves once the client is ready (connecting a lazy client), or rejects after `timeoutMs`. */
export function waitForReady(client: RedisClient, timeoutMs: number): Promise<void> {
  if (client.status === 'ready') return Promise.resolve();
  if (client.status === 'end') {
    return Promise.reject(new RedisNotReadyError(0, 'end (the client was closed)', undefined));
  }
  return new Promise<void>((resolve, reject) => {
    let lastError: string | undefined;
    const onReady = () => {
      cleanup();
      resolve();
    };
    const onError = (error: unknown) => {
      lastError = error instanceof Error ? error.message : String(error);
    };
    const onEnd = () => {
      cleanup();
      reject(new RedisNotReadyError(timeoutMs, 'end (gave up reconnecting)', lastError));
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new RedisNotReadyError(timeoutMs, client.status, lastError));
    }, timeoutMs);
    const cleanup = () => {
      clearTimeout(timer);
      client.off('ready', onReady);
      client.off('error', onError);
      client.off('end', onEnd);
    };
    client.on('ready', onReady);
    client.on('error', onError);
    client.on('end', onEnd);
    if (client.status === 'wait') {
      // Lazy client: connect now. Failures arrive through the listeners above.
      client.connect().catch(() => undefined);
    }
  });
}

/**
 * Closes gracefully (QUIT) when connected, otherwise drops the connection, and resolves once a live
 * connection has ended (at most `timeoutMs`). Safe to call twice.
 */
export async function closeRedis(client: RedisClient, timeoutMs = 2_000): Promise<void> {
  if (client.status === 'end') return;
  // Between reconnect attempts there is no socket, so disconnect() only cancels the next attempt and no
  // 'end' event follows: waiting is for live sockets only.
  const live = ['ready', 'connect', 'connecting'].includes(client.status);
  let timer: NodeJS.Timeout | undefined;
  let onEnd: (() => void) | undefined;
  const ended = new Promise<void>((resolve) => {
    onEnd = resolve;
    client.once('end', onEnd);
    timer = setTimeout(resolve, timeoutMs);
  });
  if (client.status === 'ready') {
    // QUIT lets commands already sent finish; if it fails or hangs, disconnect() below still closes.
    client.quit().catch(() => undefined);
    await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, Math.min(timeoutMs, 1_000)))]);
  }
  // The status may have changed while waiting: read it afresh.
  if ((client.status as string) !== 'end') client.disconnect();
  if (live && (client.status as string) !== 'end') await ended;
  clearTimeout(timer);
  if (onEnd) client.off('end', onEnd);
}
