/**
 * The checks behind `cosjob doctor` and the start-up checks of `npm start`: settings, Redis (reachable,
 * persistence, eviction policy, ACL), COS credentials per region (with the measured clock skew) and
 * Slack (bot token, channel membership, app token in Socket Mode). Each check says what to fix.
 */
import { WebClient, type WebClientOptions } from '@slack/web-api';
import {
  type AppConfig,
  ConfigError,
  cosConfigOf,
  DEFAULT_ACCOUNT_NAME,
  type Env,
  loadAppConfig,
} from '../config/index.js';
import { type CosAttempt, closeCosClients, createCosClients } from '../cos/client.js';
import { CosError } from '../cos/errors.js';
import { type Logger, redactText, silentLogger } from '../logger.js';
import { botAclSetUserCommand } from '../redis/acl.js';
import { closeRedis, createRedis, type RedisClient, waitForReady } from '../redis/connection.js';
import { KeySpace } from '../redis/keys.js';

export type CheckStatus = 'pass' | 'warn' | 'fail';

export interface CheckResult {
  /** e.g. 'settings', 'redis.persistence', 'cos.ap-guangzhou', 'slack.channel'. */
  name: string;
  status: CheckStatus;
  detail: string;
  /** What to do, when it did not pass. */
  fix?: string;
  /** `npm start` refuses to run on a fatal failure (it would lose evidence or cannot work at all). */
  fatal?: boolean;
}

export interface DoctorOptions {
  /** Per network check. Default 5000 ms. */
  timeoutMs?: number;
  logger?: Logger;
  /** Skew between this machine and COS beyond which the clock check fails. Default 60 s. */
  maxSkewMs?: number;
  /** npm start: the process's own observers, so its metrics count the checks' requests too. */
  onCosAttempt?: (attempt: CosAttempt) => void;
  slackClientOptions?: WebClientOptions;
}

const EVICTION_SAFE = new Set(['noeviction']);

function message(error: unknown): string {
  return redactText(error instanceof Error ? error.message : String(error));
}

function pass(name: string, detail: string): CheckResult {
  return { name, status: 'pass', detail };
}

/** Every check, in order; settings that do not load stop the rest (nothing else can be reached). */
export async function runDoctor(env: Env, options: DoctorOptions = {}): Promise<CheckResult[]> {
  let config: AppConfig;
  try {
    config = loadAppConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) {
      return [
        {
          name: 'settings',
          status: 'fail',
          detail: error.problems.join('; '),
          fix: 'Set the variables named above (README.md, section "Settings").',
          fatal: true,
        },
      ];
    }
    throw error;
  }
  const results: CheckResult[] = [pass('settings', 'every setting is present and well-formed')];
  const [redis, cos, slack] = await Promise.all([
    checkRedis(config, options),
    checkCos(config, options),
    checkSlack(config, options),
  ]);
  return [...results, ...redis, ...cos, ...slack];
}

function infoField(info: string, field: string): string | undefined {
  const match = new RegExp(`^${field}:(.*)$`, 'm').exec(info);
  return match?.[1]?.trim();
}

async function checkRedis(config: AppConfig, options: DoctorOptions): Promise<CheckResult[]> {
  const timeoutMs = options.timeoutMs ?? 5_000;
  let redis: RedisClient;
  try {
    redis = createRedis(config.redis, {
      role: 'background',
      logger: options.logger ?? silentLogger,
      lazy: true,
      connectionName: 'cosjob-doctor',
    });
  } catch (error) {
    return [
      { name: 'redis', status: 'fail', detail: message(error), fix: 'Correct REDIS_URL.', fatal: true },
    ];
  }
  try {
    try {
      await waitForReady(redis, timeoutMs);
    } catch (error) {
      return [
        {
          name: 'redis',
          status: 'fail',
          detail: `not reachable: ${message(error)}`,
          fix: 'Start Redis, or correct REDIS_URL (host, port, user, password, TLS).',
        },
      ];
    }
    const results: CheckResult[] = [pass('redis', 'reachable')];
    // INFO is allowed to cosjob's ACL user (ioredis' ready check needs it); CONFIG is not.
    const persistence = String(await redis.info('persistence'));
    const memory = String(await redis.info('memory'));
    const aof = infoField(persistence, 'aof_enabled') === '1';
    let rdb: boolean | undefined;
    try {
      const reply = (await redis.call('CONFIG', 'GET', 'save')) as unknown[];
      rdb = typeof reply[1] === 'string' && reply[1].trim() !== '';
    } catch {
      rdb = undefined;
    }
    if (aof) results.push(pass('redis.persistence', 'AOF is on'));
    else if (rdb === true) results.push(pass('redis.persistence', 'RDB snapshots are on (AOF is off)'));
    else {
      results.push({
        name: 'redis.persistence',
        status: 'warn',
        detail:
          rdb === false
            ? 'AOF and RDB snapshots are both off: a Redis restart loses the audit trail'
            : 'AOF is off and RDB could not be checked (CONFIG is not permitted)',
        fix: 'Set `appendonly yes` (and `appendfsync everysec` or `always`) in redis.conf.',
      });
    }
    const policy = infoField(memory, 'maxmemory_policy') ?? 'unknown';
    if (EVICTION_SAFE.has(policy)) results.push(pass('redis.maxmemory-policy', policy));
    else {
      results.push({
        name: 'redis.maxmemory-policy',
        status: 'fail',
        detail: `${policy}: Redis may evict keys when memory runs out, losing audit entries, claims and votes`,
        fix: 'Set `maxmemory-policy noeviction` (or give cosjob a dedicated Redis).',
        fatal: true,
      });
    }
    results.push(await checkAcl(redis, config));
    return results;
  } finally {
    await closeRedis(redis);
  }
}

/**
 * Runs, on a scratch key under the prefix, each command family the engine uses (src/redis/acl.ts
 * gives the rules), and a read of the audit stream: a NOPERM names what the ACL is missing.
 */
async function checkAcl(redis: RedisClient, config: AppConfig): Promise<CheckResult> {
  const keys = new KeySpace(config.redis.keyPrefix);
  const scratch = `${config.redis.keyPrefix}:doctor:${process.pid}:${Date.now()}`;
  const steps: [string, () => Promise<unknown>][] = [
    ['SET', () => redis.set(scratch, '1', 'PX', 10_000, 'NX')],
    ['GET', () => redis.get(scratch)],
    ['PEXPIRE', () => redis.pexpire(scratch, 10_000)],
    ['EVAL', () => redis.eval("return redis.call('GET', KEYS[1])", 1, scratch)],
    ['DEL', () => redis.del(scratch)],
    ['HSET', () => redis.hset(`${scratch}:h`, 'f', '1')],
    ['HGET', () => redis.hget(`${scratch}:h`, 'f')],
    ['SADD', () => redis.sadd(`${scratch}:s`, 'm')],
    ['ZADD', () => redis.zadd(`${scratch}:z`, 1, 'm')],
    ['UNLINK', () => redis.unlink(`${scratch}:h`, `${scratch}:s`, `${scratch}:z`)],
    ['XRANGE', () => redis.call('XRANGE', keys.auditLog(), '-', '+', 'COUNT', 1)],
  ];
  for (const [command, run] of steps) {
    try {
      await run();
    } catch (error) {
      const text = message(error);
      if (/NOPERM/i.test(text)) {
        return {
          name: 'redis.acl',
          status: 'fail',
          detail: `the Redis user may not run ${command} on cosjob's keys: ${text}`,
          fix: `Grant the rules cosjob needs: ${botAclSetUserCommand(keys)}`,
          fatal: true,
        };
      }
      if (/CROSSSLOT/.test(text) && command === 'UNLINK') continue;
      return {
        name: 'redis.acl',
        status: 'fail',
        detail: `${command} failed: ${text}`,
        fix: 'Check the Redis server log.',
      };
    }
  }
  return pass('redis.acl', 'the commands cosjob uses are permitted');
}

function formatSkew(ms: number): string {
  const seconds = Math.round(ms / 1000);
  return `${Math.abs(seconds)} s ${seconds >= 0 ? 'behind' : 'ahead of'} COS`;
}

async function checkCos(config: AppConfig, options: DoctorOptions): Promise<CheckResult[]> {
  const maxSkewMs = options.maxSkewMs ?? 60_000;
  const dates = new Map<string, { serverDate: string; at: number }>();
  const onAttempt = (attempt: CosAttempt) => {
    if (attempt.serverDate) dates.set(attempt.region, { serverDate: attempt.serverDate, at: Date.now() });
    options.onCosAttempt?.(attempt);
  };
  // One check per (account, region), each with its own account's key; the default account's checks keep
  // their names (`cos.<region>`), another account's are `cos.<account>.<region>`.
  const targets = config.accounts.flatMap((account) =>
    [
      ...createCosClients(cosConfigOf(account, config.cosEndpoint), {
        logger: options.logger ?? silentLogger,
        timeouts: { deadlineMs: options.timeoutMs ?? 5_000 },
        retry: { maxAttempts: 1 },
        onAttempt,
      }),
    ].map(([region, client]) => ({ account: account.name, region, client })),
  );
  const clients = targets.map((t) => t.client);
  try {
    return await Promise.all(
      targets.map(async ({ account, client }): Promise<CheckResult> => {
        const name =
          account === DEFAULT_ACCOUNT_NAME ? `cos.${client.region}` : `cos.${account}.${client.region}`;
        let failure: CheckResult | undefined;
        try {
          await client.listJobs({ maxResults: 1 });
        } catch (error) {
          const e = error instanceof CosError ? error : undefined;
          failure = {
            name,
            status: 'fail',
            detail: e
              ? `ListJobs: ${e.code}${e.httpStatus === undefined ? '' : ` (HTTP ${e.httpStatus})`}, request id ${e.requestId ?? '(none)'}`
              : `ListJobs: ${message(error)}`,
            fix: e ? e.explanation : 'Check COS_ENDPOINT and network access to COS.',
          };
        }
        // COS's Date header has one-second resolution, so skews under a second are not measurable.
        const seen = dates.get(client.region);
        const skewMs = seen === undefined ? undefined : Date.parse(seen.serverDate) - seen.at;
        const skewText = skewMs === undefined || Number.isNaN(skewMs) ? '' : `; clock ${formatSkew(skewMs)}`;
        if (failure) return { ...failure, detail: failure.detail + skewText };
        if (skewMs !== undefined && Math.abs(skewMs) > maxSkewMs) {
          return {
            name,
            status: 'fail',
            detail: `credentials accepted, but this machine's clock is ${formatSkew(skewMs)}`,
            fix: 'Synchronise the clock (NTP): COS refuses signatures from a clock that is too far off.',
          };
        }
        return pass(name, `ListJobs answered: credentials accepted${skewText}`);
      }),
    );
  } finally {
    await closeCosClients(clients);
  }
}

function slackError(error: unknown): string {
  const code = (error as { data?: { error?: unknown } }).data?.error;
  return typeof code === 'string' ? code : message(error);
}

async function checkSlack(config: AppConfig, options: DoctorOptions): Promise<CheckResult[]> {
  const slack = config.slack;
  const clientOptions = {
    ...(slack.apiUrl ? { slackApiUrl: slack.apiUrl.endsWith('/') ? slack.apiUrl : `${slack.apiUrl}/` } : {}),
    retryConfig: { retries: 0 },
    timeout: options.timeoutMs ?? 5_000,
    rejectRateLimitedCalls: true,
    ...options.slackClientOptions,
  };
  const results: CheckResult[] = [];
  const bot = new WebClient(slack.botToken, clientOptions);
  try {
    const auth = await bot.auth.test();
    results.push(
      pass(
        'slack.token',
        `SLACK_BOT_TOKEN is valid (bot user ${String(auth.user_id)} in ${String(auth.team)})`,
      ),
    );
  } catch (error) {
    const code = slackError(error);
    results.push({
      name: 'slack.token',
      status: 'fail',
      detail: `auth.test: ${code}`,
      fix: /invalid_auth|not_authed|token_revoked|account_inactive/.test(code)
        ? 'Check SLACK_BOT_TOKEN: the Bot User OAuth Token (xoxb-…) of the installed app.'
        : `Slack could not be reached at ${slack.apiUrl ?? 'https://slack.com/api/'}: check network access (or SLACK_API_URL).`,
    });
  }
  if (results[0]?.status === 'pass') {
    try {
      const info = await bot.conversations.info({ channel: slack.channelId });
      const member = (info.channel as { is_member?: unknown } | undefined)?.is_member === true;
      results.push(
        member
          ? pass('slack.channel', `the bot is a member of ${slack.channelId}`)
          : {
              name: 'slack.channel',
              status: 'fail',
              detail: `the bot is not a member of ${slack.channelId}`,
              fix: 'Invite it: type `/invite @cosjob` in the approval channel.',
            },
      );
    } catch (error) {
      const code = slackError(error);
      results.push(
        code === 'missing_scope'
          ? {
              name: 'slack.channel',
              status: 'warn',
              detail: 'membership of SLACK_CHANNEL_ID could not be checked (the token lacks channels:read)',
              fix: 'Add the channels:read (or groups:read for a private channel) scope to check it.',
            }
          : {
              name: 'slack.channel',
              status: 'fail',
              detail: `conversations.info ${slack.channelId}: ${code}`,
              fix: 'Check SLACK_CHANNEL_ID (the channel id, e.g. C0123ABCD, not its name).',
            },
      );
    }
  }
  if (slack.appToken) {
    const app = new WebClient(undefined, clientOptions);
    try {
      await app.apps.connections.open({ token: slack.appToken });
      results.push(pass('slack.app-token', 'SLACK_APP_TOKEN opens a Socket Mode connection'));
    } catch (error) {
      results.push({
        name: 'slack.app-token',
        status: 'fail',
        detail: `apps.connections.open: ${slackError(error)}`,
        fix: 'Check SLACK_APP_TOKEN: an app-level token (xapp-…) with the connections:write scope.',
      });
    }
  }
  return results;
}

const MARK: Record<CheckStatus, string> = { pass: '✓', warn: '!', fail: '✗' };

export function formatCheck(result: CheckResult): string {
  const line = `${MARK[result.status]} ${result.name}: ${result.detail}`;
  return result.fix === undefined || result.status === 'pass' ? line : `${line}\n    fix: ${result.fix}`;
}

export function allPassed(results: readonly CheckResult[]): boolean {
  return results.every((r) => r.status !== 'fail');
}
