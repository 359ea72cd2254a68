/** The problems a configuration has, or [] when it loads. */
import { ConfigError, environmentSource, loadConfig } from '../../src/config/index.js';

/** A complete, valid environment-only configuration (Socket Mode, one approver). */
export const VALID_ENV: Readonly<Record<string, string>> = {
  COS_SECRET_ID: 'AKIDexample',
  COS_SECRET_KEY: 'super-secret-cos-key-value-1234567890',
  COS_APPID: '1250000000',
  COS_UIN: '100000000001',
  COS_REGIONS: 'ap-guangzhou',
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-abcdefABCDEF',
  SLACK_CHANNEL_ID: 'C0123ABCD',
  SLACK_APP_TOKEN: 'xapp-1-A1-123-abc',
  APPROVER_USER_IDS: 'U0ALICE',
  AUDIT_HMAC_KEY: 'a-long-enough-audit-hmac-key-0123456789',
};

export function problemsOf(env: Record<string, string>): string[] {
  try {
    loadConfig(environmentSource(env));
  } catch (error) {
    if (error instanceof ConfigError) return [...error.problems];
    throw error;
  }
  return [];
}
