/**
 * The catalogue: every setting cosjob reads, once. The readers take their name, default and bounds from
 * here; `.env.example`, the README's Settings table and the Kubernetes manifests are checked against it.
 */

export type SettingSection = 'cos' | 'slack' | 'approvals' | 'audit' | 'watcher' | 'redis' | 'logging';

export interface Setting {
  readonly name: string;
  readonly section: SettingSection;
  /**
   * true: must be set. A string names a group of which at least one must be set (Socket Mode or HTTP
   * mode; approvers by user or by group). false: optional.
   */
  readonly required: boolean | string;
  /** The value used when unset, as it would be written in the environment. */
  readonly default?: string;
  /** Never echoed, taken from a Secret in Kubernetes, masked in logs. */
  readonly secret: boolean;
  readonly meaning: string;
  /** A value that shows the format, for .env.example. */
  readonly example?: string;
  /** Bounds of a whole-number setting. */
  readonly range?: { readonly min: number; readonly max: number };
}

function catalogue<const T extends Record<string, Omit<Setting, 'name'>>>(
  entries: T,
): { readonly [K in keyof T]: T[K] & { readonly name: K } } {
  return Object.fromEntries(Object.entries(entries).map(([name, s]) => [name, { name, ...s }])) as {
    readonly [K in keyof T]: T[K] & { readonly name: K };
  };
}

export const SETTINGS = catalogue({
  COS_SECRET_ID: {
    section: 'cos',
    required: true,
    secret: true,
    meaning:
      'the SecretId of a CAM key allowed cos:ListJobs, cos:DescribeJob and cos:UpdateJobStatus (policy below)',
  },
  COS_SECRET_KEY: {
    section: 'cos',
    required: true,
    secret: true,
    meaning: 'the SecretKey that goes with COS_SECRET_ID',
  },
  COS_SECURITY_TOKEN: {
    section: 'cos',
    required: false,
    secret: true,
    meaning: 'with temporary (STS) keys: the session token, sent and signed as x-cos-security-token',
  },
  COS_APPID: {
    section: 'cos',
    required: true,
    secret: false,
    meaning: 'the numeric APPID, sent as x-cos-appid',
    example: '1250000000',
  },
  COS_UIN: {
    section: 'cos',
    required: true,
    secret: false,
    meaning: 'the numeric account UIN, part of the endpoint host',
    example: '100000000001',
  },
  COS_REGIONS: {
    section: 'cos',
    required: true,
    secret: false,
    meaning: 'comma-separated COS regions to watch',
    example: 'ap-guangzhou,ap-shanghai',
  },
  COSJOB_CONFIG: {
    section: 'cos',
    required: false,
    secret: false,
    meaning:
      'a YAML file of accounts and approval rules (see Accounts and rules); unset: one account from COS_* and the default rule from these settings',
    example: '/etc/cosjob/cosjob.yml',
  },
  COS_ENDPOINT: {
    section: 'cos',
    required: false,
    secret: false,
    meaning:
      "send every region's requests to this origin instead (emulator, tests); the real Host is still sent and signed",
    example: 'http://127.0.0.1:9800',
  },
  SLACK_BOT_TOKEN: {
    section: 'slack',
    required: true,
    secret: true,
    meaning: "the bot token (xoxb-…) from the app's OAuth & Permissions page",
  },
  SLACK_CHANNEL_ID: {
    section: 'slack',
    required: true,
    secret: false,
    meaning: 'the id of the channel job cards go to (channel details → About); invite the bot there',
    example: 'C0123ABCD',
  },
  SLACK_APP_TOKEN: {
    section: 'slack',
    required: 'SLACK_APP_TOKEN or SLACK_SIGNING_SECRET',
    secret: true,
    meaning: 'Socket Mode (no public URL): an app-level token (xapp-…) with connections:write',
  },
  SLACK_SIGNING_SECRET: {
    section: 'slack',
    required: 'SLACK_APP_TOKEN or SLACK_SIGNING_SECRET',
    secret: true,
    meaning:
      'HTTP mode instead: the signing secret (Basic Information → App Credentials, 32 hex characters); Bolt listens on PORT at /slack/events',
  },
  PORT: {
    section: 'slack',
    required: false,
    default: '3000',
    secret: false,
    meaning: 'the HTTP port: /livez, /readyz and /metrics in both modes, and /slack/events in HTTP mode',
    range: { min: 1, max: 65535 },
  },
  SLACK_API_URL: {
    section: 'slack',
    required: false,
    secret: false,
    meaning: 'point the Web API client elsewhere (the fake Slack in tests and the demo)',
    example: 'http://127.0.0.1:9900/api/',
  },
  SLACK_APP_ID: {
    section: 'slack',
    required: false,
    secret: false,
    meaning:
      "the app's id (Basic Information → App ID): requests whose api_app_id differs are refused and audited",
    example: 'A0123ABCD',
  },
  SLACK_ENTERPRISE_ID: {
    section: 'slack',
    required: false,
    secret: false,
    meaning:
      'on Enterprise Grid, the organisation id: requests naming another enterprise (or none) are refused and audited',
    example: 'E0123ABCD',
  },
  SLACK_POST_INTERVAL_MS: {
    section: 'slack',
    required: false,
    default: '1100',
    secret: false,
    meaning:
      'least time between two messages cosjob posts in the channel (Slack allows about one per second per channel; lower it only against a fake Slack, in tests and benchmarks)',
    range: { min: 0, max: 60_000 },
  },
  APPROVER_USER_IDS: {
    section: 'approvals',
    required: 'APPROVER_USER_IDS or APPROVER_USERGROUP_IDS',
    secret: false,
    meaning: 'comma-separated Slack user ids who may approve or cancel',
    example: 'U0123ABCD,U0456EFGH',
  },
  APPROVER_USERGROUP_IDS: {
    section: 'approvals',
    required: 'APPROVER_USER_IDS or APPROVER_USERGROUP_IDS',
    secret: false,
    meaning: 'comma-separated Slack user group ids whose members may (usergroups.users.list, cached 60 s)',
    example: 'S0123ABCD',
  },
  REQUIRED_APPROVALS: {
    section: 'approvals',
    required: false,
    default: '1',
    secret: false,
    meaning: 'distinct approvals needed before Ready is sent',
    range: { min: 1, max: 10 },
  },
  REQUIRE_CANCEL_REASON: {
    section: 'approvals',
    required: false,
    default: 'true',
    secret: false,
    meaning: 'whether a cancellation needs a reason (true or false)',
  },
  REFUSALS_PER_USER_PER_MINUTE: {
    section: 'approvals',
    required: false,
    default: '10',
    secret: false,
    meaning:
      'refused attempts by a non-approver per minute audited one by one; the rest are counted and audited as one entry per minute',
    range: { min: 1, max: 10000 },
  },
  LOOKUPS_PER_USER_PER_MINUTE: {
    section: 'approvals',
    required: false,
    default: '20',
    secret: false,
    meaning: 'COS look-ups per person and minute made on their behalf (/cosjob status and finding a job)',
    range: { min: 1, max: 10000 },
  },
  REFUSAL_ECHO_INTERVAL_SECONDS: {
    section: 'approvals',
    required: false,
    default: '60',
    secret: false,
    meaning: "refusals are told privately; a card's thread gets at most one line about them per interval",
    range: { min: 1, max: 86400 },
  },
  AUDIT_HMAC_KEY: {
    section: 'approvals',
    required: false,
    secret: true,
    meaning:
      'recommended: key the audit chain with HMAC-SHA256 (at least 16 bytes, e.g. openssl rand -hex 32); a warning at start when unset',
  },
  AUDIT_CHECKPOINT_INTERVAL_MINUTES: {
    section: 'audit',
    required: false,
    default: '60',
    secret: false,
    meaning: 'how often the audit chain head is anchored outside Redis, when the chain moved',
    range: { min: 1, max: 7 * 24 * 60 },
  },
  AUDIT_CHECKPOINT_FILE: {
    section: 'audit',
    required: false,
    secret: false,
    meaning: 'append audit checkpoints as JSON lines to this file, or - for stdout (a SIEM); unset: no file',
    example: '/var/log/cosjob/checkpoints.jsonl',
  },
  AUDIT_CHANNEL_ID: {
    section: 'audit',
    required: false,
    secret: false,
    meaning: 'channel audit checkpoints are posted to (default SLACK_CHANNEL_ID)',
    example: 'C0AUDIT123',
  },
  POLL_INTERVAL_SECONDS: {
    section: 'watcher',
    required: false,
    default: '15',
    secret: false,
    meaning: 'how often each region is polled (jittered ±20 %)',
    range: { min: 1, max: 3600 },
  },
  REMIND_AFTER_MINUTES: {
    section: 'watcher',
    required: false,
    secret: false,
    meaning:
      'remind approvers in the thread after a job waited this long, then every interval (off when unset)',
    range: { min: 1, max: 7 * 24 * 60 },
  },
  AUTO_CANCEL_AFTER_HOURS: {
    section: 'watcher',
    required: false,
    secret: false,
    meaning: 'cancel a job still waiting after this long, as actor system (off when unset)',
    range: { min: 1, max: 24 * 365 },
  },
  REDIS_URL: {
    section: 'redis',
    required: false,
    default: 'redis://127.0.0.1:6379',
    // It may carry an ACL user's password.
    secret: true,
    meaning: 'redis:// or rediss://, with user:password@ for ACL users',
  },
  REDIS_KEY_PREFIX: {
    section: 'redis',
    required: false,
    default: 'cosjob',
    secret: false,
    meaning: 'namespace for every key (letters, digits and _ . : -, at most 64)',
  },
  REDIS_SENTINELS: {
    section: 'redis',
    required: false,
    secret: false,
    meaning: 'host:port,… of Redis Sentinels (REDIS_URL then gives only user, password, db and TLS)',
    example: 'sentinel-1:26379,sentinel-2:26379',
  },
  REDIS_SENTINEL_NAME: {
    section: 'redis',
    required: false,
    secret: false,
    meaning: 'the master name the sentinels monitor (needed with REDIS_SENTINELS)',
    example: 'mymaster',
  },
  REDIS_CLUSTER_NODES: {
    section: 'redis',
    required: false,
    secret: false,
    meaning: 'host:port,… of Redis Cluster nodes',
    example: 'redis-0:6379,redis-1:6379',
  },
  LOG_LEVEL: {
    section: 'logging',
    required: false,
    default: 'info',
    secret: false,
    meaning: 'debug, info, warn or error; logs go to stderr with secrets masked',
  },
  LOG_FORMAT: {
    section: 'logging',
    required: false,
    default: 'json',
    secret: false,
    meaning: 'json (one JSON object a line, for machines) or pretty (for people at a terminal)',
  },
});

export type SettingName = keyof typeof SETTINGS;

/** Every setting in catalogue order. */
export const ALL_SETTINGS: readonly Setting[] = Object.values(SETTINGS);

export function isKnownSetting(name: string): name is SettingName {
  return Object.hasOwn(SETTINGS, name);
}
