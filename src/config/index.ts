/**
 * Settings are validated once at start-up, and every problem is reported at once, by name, without
 * echoing a secret value. Things that are allowed but unwise come back as warnings for the caller to log.
 */
import { type AccountsAndRules, readAccountsAndRules } from './accounts-and-rules.js';
import { type ApprovalConfig, readApprovalConfig } from './approvals.js';
import { type AuditConfig, readAuditConfig } from './audit.js';
import { type CosConfig, readCosConfig } from './cos.js';
import { type LoggingConfig, readLoggingConfig } from './logging.js';
import { SettingReader } from './reader.js';
import { type RedisConfig, readRedisConfig } from './redis.js';
import { readSlackConfig, type SlackConfig } from './slack.js';
import { type Env, environmentSource, type SettingSource } from './source.js';
import { readWatcherConfig, type WatcherConfig } from './watcher.js';

export { type AccountConfig, accountFromEnvironment, cosConfigOf, DEFAULT_ACCOUNT_NAME } from './accounts.js';
export { type AccountsAndRules, readAccountsAndRules } from './accounts-and-rules.js';
export { type AbuseLimits, type ApprovalConfig, readApprovalConfig } from './approvals.js';
export { type AuditConfig, readAuditConfig } from './audit.js';
export { type CosConfig, loadCosConfig, readCosConfig } from './cos.js';
export { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LoggingConfig, readLoggingConfig } from './logging.js';
export { ConfigError, EnvReader, SettingReader } from './reader.js';
export { type RedisConfig, readRedisConfig } from './redis.js';
export { ALL_SETTINGS, SETTINGS, type Setting, type SettingName } from './settings.js';
export { readSlackConfig, type SlackConfig } from './slack.js';
export { type Env, environmentSource, layeredSources, type SettingSource } from './source.js';
export { readWatcherConfig, type WatcherConfig } from './watcher.js';

/** What the bot runs with. */
export interface AppConfig {
  cos: CosConfig;
  redis: RedisConfig;
  approvals: ApprovalConfig;
  audit: AuditConfig;
  watcher: WatcherConfig;
  slack: SlackConfig;
}

export interface LoadedConfig {
  app: AppConfig;
  logging: LoggingConfig;
  /**
   * The accounts and rules (COSJOB_CONFIG, else one account from COS_* and the default rule). Not yet
   * used by the engine, which still runs on app.cos and app.approvals.
   */
  accountsAndRules: AccountsAndRules;
  /** Allowed but unwise (no AUDIT_HMAC_KEY, a region Tencent does not list): log them at start. */
  warnings: readonly string[];
}

/** Every setting from one source; throws a ConfigError listing every problem. */
export function loadConfig(source: SettingSource): LoadedConfig {
  const reader = new SettingReader(source);
  const slack = readSlackConfig(reader);
  const app: AppConfig = {
    cos: readCosConfig(reader),
    redis: readRedisConfig(reader),
    approvals: readApprovalConfig(reader),
    audit: readAuditConfig(reader, slack.channelId),
    watcher: readWatcherConfig(reader),
    slack,
  };
  const logging = readLoggingConfig(reader);
  const accountsAndRules = readAccountsAndRules(reader, {
    source,
    approvals: app.approvals,
    watcher: app.watcher,
    cos: () => app.cos,
  });
  reader.throwIfProblems();
  return { app, logging, accountsAndRules, warnings: reader.warnings };
}

export function loadAppConfig(env: Env): AppConfig {
  return loadConfig(environmentSource(env)).app;
}
