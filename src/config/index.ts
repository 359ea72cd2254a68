/**
 * Settings are validated once at start-up, and every problem is reported at once, by name, without
 * echoing a secret value. Things that are allowed but unwise come back as warnings for the caller to log.
 */

import type { AccountConfig } from './accounts.js';
import { type AccountsAndRules, readAccountsAndRules } from './accounts-and-rules.js';
import { type ApprovalConfig, readApprovalConfig } from './approvals.js';
import { type AuditConfig, readAuditConfig } from './audit.js';
import { type CosConfig, readCosConfig, readCosEndpoint } from './cos.js';
import { type LoggingConfig, readLoggingConfig } from './logging.js';
import { SettingReader } from './reader.js';
import { type RedisConfig, readRedisConfig } from './redis.js';
import { SETTINGS } from './settings.js';
import { readSlackConfig, type SlackConfig } from './slack.js';
import { type Env, environmentSource, type SettingSource } from './source.js';
import { readWatcherConfig, type WatcherConfig } from './watcher.js';

export { type AccountConfig, accountFromEnvironment, cosConfigOf, DEFAULT_ACCOUNT_NAME } from './accounts.js';
export { type AccountsAndRules, readAccountsAndRules } from './accounts-and-rules.js';
export { type AbuseLimits, type ApprovalConfig, readApprovalConfig } from './approvals.js';
export { type AuditConfig, readAuditConfig } from './audit.js';
export { type CosConfig, loadCosConfig, readCosConfig, readCosEndpoint } from './cos.js';
export { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LoggingConfig, readLoggingConfig } from './logging.js';
export { ConfigError, EnvReader, SettingReader } from './reader.js';
export { type RedisConfig, readRedisConfig } from './redis.js';
export { ALL_SETTINGS, SETTINGS, type Setting, type SettingName } from './settings.js';
export { readSlackConfig, type SlackConfig } from './slack.js';
export { type Env, environmentSource, layeredSources, type SettingSource } from './source.js';
export { readWatcherConfig, type WatcherConfig } from './watcher.js';

/** What the bot runs with. */
export interface AppConfig {
  /**
   * The Tencent Cloud accounts cosjob watches, at least one, in configuration order: COSJOB_CONFIG's
   * `accounts:`, else one account named `default` from COS_*.
   */
  accounts: AccountConfig[];
  /** COS_ENDPOINT: every account's requests go to this origin (emulator, tests). */
  cosEndpoint?: string;
  redis: RedisConfig;
  approvals: ApprovalConfig;
  audit: AuditConfig;
  watcher: WatcherConfig;
  slack: SlackConfig;
}

export interface LoadedConfig {
  app: AppConfig;
  logging: LoggingConfig;
  /** The accounts and rules (COSJOB_CONFIG, else one account from COS_* and the default rule). */
  accountsAndRules: AccountsAndRules;
  /** Allowed but unwise (no AUDIT_HMAC_KEY, a region Tencent does not list): log them at start. */
  warnings: readonly string[];
}

/** Every setting from one source; throws a ConfigError listing every problem. */
export function loadConfig(source: SettingSource): LoadedConfig {
  const reader = new SettingReader(source);
  const slack = readSlackConfig(reader);
  const cosEndpoint = readCosEndpoint(reader);
  // COS_SECRET_ID and the rest of COS_* are read (and required) only when no file declares accounts.
  let cos: CosConfig | undefined;
  const environmentAccount = (): CosConfig => {
    cos ??= readCosConfig(reader, cosEndpoint);
    return cos;
  };
  // Without a file the environment's account is certainly needed: read it first, so its problems are
  // reported in the catalogue's order, as before several accounts.
  if (!source.get(SETTINGS.COSJOB_CONFIG.name)?.trim()) environmentAccount();
  const redis = readRedisConfig(reader);
  const approvals = readApprovalConfig(reader);
  const audit = readAuditConfig(reader, slack.channelId);
  const watcher = readWatcherConfig(reader);
  const logging = readLoggingConfig(reader);
  const accountsAndRules = readAccountsAndRules(reader, {
    source,
    approvals,
    watcher,
    cos: environmentAccount,
  });
  reader.throwIfProblems();
  const app: AppConfig = {
    accounts: accountsAndRules.accounts,
    ...(cosEndpoint === undefined ? {} : { cosEndpoint }),
    redis,
    approvals,
    audit,
    watcher,
    slack,
  };
  return { app, logging, accountsAndRules, warnings: reader.warnings };
}

export function loadAppConfig(env: Env): AppConfig {
  return loadConfig(environmentSource(env)).app;
}
