/**
 * Settings come only from the environment, are validated once at start-up, and every problem is
 * reported at once, by name, without echoing a secret value.
 */

export class ConfigError extends Error {
  readonly problems: readonly string[];
  constructor(problems: readonly string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

const REGION_PATTERN = /^[a-z]{2,}(-[a-z0-9]+){1,3}$/;

export function isValidRegion(region: string): boolean {
  return REGION_PATTERN.test(region) && region.length <= 40;
}

export interface CosConfig {
  secretId: string;
  secretKey: string;
  securityToken?: string;
  appId: string;
  uin: string;
  regions: string[];
  /** When set, every region's requests go to this origin (emulator, tests) with the real Host header. */
  endpoint?: string;
}

export interface RedisConfig {
  url: string;
  keyPrefix: string;
  sentinels?: { host: string; port: number }[];
  sentinelName?: string;
  clusterNodes?: { host: string; port: number }[];
}

export interface ApprovalConfig {
  approverUserIds: string[];
  approverUsergroupIds: string[];
  requiredApprovals: number;
  requireCancelReason: boolean;
  auditHmacKey?: string;
}

export interface WatcherConfig {
  pollIntervalSeconds: number;
  remindAfterMinutes?: number;
  autoCancelAfterHours?: number;
}

export interface SlackConfig {
  botToken: string;
  channelId: string;
  appToken?: string;
  signingSecret?: string;
  port: number;
  apiUrl?: string;
}

export interface AppConfig {
  cos: CosConfig;
  redis: RedisConfig;
  approvals: ApprovalConfig;
  watcher: WatcherConfig;
  slack: SlackConfig;
}

/** Collects problems while reading values, so callers can report them all together. */
export class EnvReader {
  readonly problems: string[] = [];
  constructor(private readonly env: Env) {}

  private raw(name: string): string | undefined {
    const value = this.env[name];
    if (value === undefined) return undefined;
    const trimmed = value.trim();
    return trimmed === '' ? undefined : trimmed;
  }

  required(name: string, hint: string): string {
    const value = this.raw(name);
    if (value === undefined) {
      this.problems.push(`${name} is missing: ${hint}`);
      return '';
    }
    return value;
  }

  optional(name: string): string | undefined {
    return this.raw(name);
  }

  matching(name: string, pattern: RegExp, what: string, required: boolean, hint = ''): string | undefined {
    const value = this.raw(name);
    if (value === undefined) {
      if (required) this.problems.push(`${name} is missing: ${hint || what}`);
      return undefined;
    }
    if (!pattern.test(value)) {
      // The value itself is not echoed: it may be a secret pasted into the wrong variable.
      this.problems.push(`${name} is malformed: expected ${what}`);
      return undefined;
    }
    return value;
  }

  integer(name: string, fallback: number, min: number, max: number): number {
    const value = this.raw(name);
    if (value === undefined) return fallback;
    if (!/^\d+$/.test(value) || Number(value) < min || Number(value) > max) {
      this.problems.push(`${name} is malformed: expected a whole number from ${min} to ${max}`);
      return fallback;
    }
    return Number(value);
  }

  optionalInteger(name: string, min: number, max: number): number | undefined {
    if (this.raw(name) === undefined) return undefined;
    const before = this.problems.length;
    const n = this.integer(name, min, min, max);
    return this.problems.length === before ? n : undefined;
  }

  boolean(name: string, fallback: boolean): boolean {
    const value = this.raw(name)?.toLowerCase();
    if (value === undefined) return fallback;
    if (['true', '1', 'yes'].includes(value)) return true;
    if (['false', '0', 'no'].includes(value)) return false;
    this.problems.push(`${name} is malformed: expected true or false`);
    return fallback;
  }

  list(name: string, itemPattern: RegExp, what: string): string[] {
    const value = this.raw(name);
    if (value === undefined) return [];
    const items = value
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    const bad = items.filter((item) => !itemPattern.test(item));
    if (bad.length > 0) {
      this.problems.push(`${name} is malformed: ${bad.length} item(s) are not ${what}`);
      return items.filter((item) => itemPattern.test(item));
    }
    return items;
  }

  url(name: string, protocols: string[], required: boolean, hint = ''): string | undefined {
    const value = this.raw(name);
    if (value === undefined) {
      if (required) this.problems.push(`${name} is missing: ${hint}`);
      return undefined;
    }
    try {
      const parsed = new URL(value);
      if (!protocols.includes(parsed.protocol)) {
        this.problems.push(
          `${name} is malformed: expected a URL starting with ${protocols.map((p) => `${p}//`).join(' or ')}`,
        );
        return undefined;
      }
      return value;
    } catch {
      this.problems.push(`${name} is malformed: expected a URL such as ${protocols[0]}//host:port`);
      return undefined;
    }
  }

  hostPortList(name: string): { host: string; port: number }[] | undefined {
    const value = this.raw(name);
    if (value === undefined) return undefined;
    const nodes: { host: string; port: number }[] = [];
    for (const item of value.split(',').map((s) => s.trim())) {
      const match = /^([A-Za-z0-9.-]+|\[[0-9a-fA-F:]+\]):(\d{1,5})$/.exec(item);
      if (!match || Number(match[2]) > 65535) {
        this.problems.push(`${name} is malformed: expected host:port[,host:port...]`);
        return undefined;
      }
      nodes.push({ host: match[1]!.replace(/^\[|\]$/g, ''), port: Number(match[2]) });
    }
    return nodes;
  }

  throwIfProblems(): void {
    if (this.problems.length > 0) throw new ConfigError(this.problems);
  }
}

// Credentials go into a signed header: printable ASCII only, no spaces. Same limits as the COS client.
const CREDENTIAL_FORMATS = {
  COS_SECRET_ID: { pattern: /^[\x21-\x7e]{1,128}$/, max: 128 },
  COS_SECRET_KEY: { pattern: /^[\x21-\x7e]{1,256}$/, max: 256 },
  COS_SECURITY_TOKEN: { pattern: /^[\x21-\x7e]{1,8192}$/, max: 8192 },
} as const;

/**
 * A credential must be printable ASCII without spaces. A space or control character inside it (a
 * copy-paste across lines, a stray quote) would only fail much later as a signature mismatch, so it is
 * reported here by name; the value is never echoed, not even in part.
 */
function credential(
  reader: EnvReader,
  name: keyof typeof CREDENTIAL_FORMATS,
  required: boolean,
  hint: string,
): string | undefined {
  const value = required ? reader.required(name, hint) : reader.optional(name);
  if (value === undefined || value === '') return value;
  const { pattern, max } = CREDENTIAL_FORMATS[name];
  if (pattern.test(value)) return value;
  reader.problems.push(
    `${name} is malformed: ${credentialProblem(value, max)}; copy it again from the CAM console (printable ASCII, no spaces)`,
  );
  return undefined;
}

// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point
const CONTROL_CHARACTER = /[\u0000-\u001f\u007f]/;

/** What is wrong, in words that never quote the value. */
function credentialProblem(value: string, max: number): string {
  if (/[ \t\r\n]/.test(value)) return 'it contains a space, tab or line break';
  if (CONTROL_CHARACTER.test(value)) return 'it contains a control character';
  if (/[^\x21-\x7e]/.test(value))
    return 'it contains a character outside printable ASCII (a typographic quote or dash?)';
  return `it is longer than ${max} characters`;
}

export function readCosConfig(reader: EnvReader): CosConfig {
  const secretId =
    credential(
      reader,
      'COS_SECRET_ID',
      true,
      'the SecretId of a CAM key allowed cos:ListJobs, cos:DescribeJob and cos:UpdateJobStatus',
    ) ?? '';
  const secretKey =
    credential(reader, 'COS_SECRET_KEY', true, 'the SecretKey that goes with COS_SECRET_ID') ?? '';
  const securityToken = credential(reader, 'COS_SECURITY_TOKEN', false, '');
  const appId =
    reader.matching(
      'COS_APPID',
      /^\d{1,64}$/,
      'the numeric APPID, e.g. 1250000000',
      true,
      'the numeric APPID, e.g. 1250000000 (sent as x-cos-appid)',
    ) ?? '';
  const uin =
    reader.matching(
      'COS_UIN',
      /^\d{1,20}$/,
      'the numeric account UIN, e.g. 100000000001',
      true,
      'the numeric account UIN, e.g. 100000000001 (part of the endpoint host)',
    ) ?? '';
  const regionsRaw = reader.optional('COS_REGIONS');
  let regions: string[] = [];
  if (regionsRaw === undefined) {
    reader.problems.push(
      'COS_REGIONS is missing: a comma-separated list of COS regions, e.g. ap-guangzhou,ap-shanghai',
    );
  } else {
    regions = reader.list('COS_REGIONS', REGION_PATTERN, 'COS region names such as ap-guangzhou');
    if (regions.length === 0 && !reader.problems.some((p) => p.startsWith('COS_REGIONS'))) {
      reader.problems.push('COS_REGIONS is empty: name at least one region, e.g. ap-guangzhou');
    }
    regions = [...new Set(regions)];
  }
  const endpoint = reader.url('COS_ENDPOINT', ['http:', 'https:'], false);
  return {
    secretId,
    secretKey,
    ...(securityToken !== undefined ? { securityToken } : {}),
    appId,
    uin,
    regions,
    ...(endpoint !== undefined ? { endpoint } : {}),
  };
}

export function loadCosConfig(env: Env): CosConfig {
  const reader = new EnvReader(env);
  const cos = readCosConfig(reader);
  reader.throwIfProblems();
  return cos;
}

const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
const SLACK_USERGROUP_ID = /^S[A-Z0-9]{2,}$/;

export function readRedisConfig(reader: EnvReader): RedisConfig {
  const url = reader.url('REDIS_URL', ['redis:', 'rediss:'], false) ?? 'redis://127.0.0.1:6379';
  const keyPrefix =
    reader.matching(
      'REDIS_KEY_PREFIX',
      /^[A-Za-z0-9_.:-]{1,64}$/,
      'letters, digits and _ . : - (at most 64)',
      false,
    ) ?? 'cosjob';
  const sentinels = reader.hostPortList('REDIS_SENTINELS');
  const sentinelName = reader.optional('REDIS_SENTINEL_NAME');
  const clusterNodes = reader.hostPortList('REDIS_CLUSTER_NODES');
  if (sentinels && !sentinelName)
    reader.problems.push(
      'REDIS_SENTINEL_NAME is missing: the master name the sentinels monitor (e.g. mymaster)',
    );
  if (sentinels && clusterNodes)
    reader.problems.push('REDIS_SENTINELS and REDIS_CLUSTER_NODES are both set: choose one');
  return {
    url,
    keyPrefix,
    ...(sentinels ? { sentinels } : {}),
    ...(sentinelName ? { sentinelName } : {}),
    ...(clusterNodes ? { clusterNodes } : {}),
  };
}

export function readApprovalConfig(reader: EnvReader): ApprovalConfig {
  const approverUserIds = reader.list('APPROVER_USER_IDS', SLACK_USER_ID, 'Slack user ids such as U0123ABCD');
  const approverUsergroupIds = reader.list(
    'APPROVER_USERGROUP_IDS',
    SLACK_USERGROUP_ID,
    'Slack user group ids such as S0123ABCD',
  );
  if (
    approverUserIds.length === 0 &&
    approverUsergroupIds.length === 0 &&
    !reader.problems.some((p) => p.startsWith('APPROVER_'))
  ) {
    reader.problems.push(
      'APPROVER_USER_IDS and APPROVER_USERGROUP_IDS are both empty: name at least one approver',
    );
  }
  const requiredApprovals = reader.integer('REQUIRED_APPROVALS', 1, 1, 10);
  const requireCancelReason = reader.boolean('REQUIRE_CANCEL_REASON', true);
  const auditHmacKey = reader.optional('AUDIT_HMAC_KEY');
  if (auditHmacKey !== undefined && Buffer.byteLength(auditHmacKey) < 16) {
    reader.problems.push(
      'AUDIT_HMAC_KEY is too short: use at least 16 bytes of random text (e.g. openssl rand -hex 32)',
    );
  }
  return {
    approverUserIds,
    approverUsergroupIds,
    requiredApprovals,
    requireCancelReason,
    ...(auditHmacKey !== undefined ? { auditHmacKey } : {}),
  };
}

export function readWatcherConfig(reader: EnvReader): WatcherConfig {
  const pollIntervalSeconds = reader.integer('POLL_INTERVAL_SECONDS', 15, 1, 3600);
  const remindAfterMinutes = reader.optionalInteger('REMIND_AFTER_MINUTES', 1, 7 * 24 * 60);
  const autoCancelAfterHours = reader.optionalInteger('AUTO_CANCEL_AFTER_HOURS', 1, 24 * 365);
  return {
    pollIntervalSeconds,
    ...(remindAfterMinutes !== undefined ? { remindAfterMinutes } : {}),
    ...(autoCancelAfterHours !== undefined ? { autoCancelAfterHours } : {}),
  };
}

export function readSlackConfig(reader: EnvReader): SlackConfig {
  const botToken =
    reader.matching(
      'SLACK_BOT_TOKEN',
      /^xoxb-[A-Za-z0-9-]+$/,
      'a bot token starting with xoxb-',
      true,
      "the bot token (xoxb-...) from the app's OAuth & Permissions page",
    ) ?? '';
  const channelId =
    reader.matching(
      'SLACK_CHANNEL_ID',
      /^[CG][A-Z0-9]{2,}$/,
      'a channel id such as C0123ABCD',
      true,
      'the id of the channel job cards go to (channel details → About)',
    ) ?? '';
  const appToken = reader.matching(
    'SLACK_APP_TOKEN',
    /^xapp-[A-Za-z0-9-]+$/,
    'an app-level token starting with xapp-',
    false,
  );
  const signingSecret = reader.optional('SLACK_SIGNING_SECRET');
  if (
    appToken === undefined &&
    signingSecret === undefined &&
    !reader.problems.some((p) => p.startsWith('SLACK_APP_TOKEN'))
  ) {
    reader.problems.push(
      'SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is needed: set SLACK_APP_TOKEN for Socket Mode, or SLACK_SIGNING_SECRET for HTTP mode',
    );
  }
  const port = reader.integer('PORT', 3000, 1, 65535);
  const apiUrl = reader.url('SLACK_API_URL', ['http:', 'https:'], false);
  return {
    botToken,
    channelId,
    ...(appToken !== undefined ? { appToken } : {}),
    ...(signingSecret !== undefined ? { signingSecret } : {}),
    port,
    ...(apiUrl !== undefined ? { apiUrl } : {}),
  };
}

export function loadAppConfig(env: Env): AppConfig {
  const reader = new EnvReader(env);
  const config: AppConfig = {
    cos: readCosConfig(reader),
    redis: readRedisConfig(reader),
    approvals: readApprovalConfig(reader),
    watcher: readWatcherConfig(reader),
    slack: readSlackConfig(reader),
  };
  reader.throwIfProblems();
  return config;
}
