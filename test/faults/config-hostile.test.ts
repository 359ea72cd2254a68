/**
 * Every setting of the catalogue, missing (when required) and malformed: each is refused by name, all at
 * once, without echoing the value. The table must name every setting, so a new one cannot skip it.
 */
import { describe, expect, it } from 'vitest';
import { SETTINGS } from '../../src/config/settings.js';
import { problemsOf, VALID_ENV } from '../helpers/config.js';

const VALID: Record<string, string> = { ...VALID_ENV, APPROVER_USER_IDS: 'U0ALICE,U0BOB' };

const CONTROL = 'bad\u0007value';

/** A malformed value per setting, with what else it needs to be read at all. */
const MALFORMED: Record<keyof typeof SETTINGS, { value: string; with?: Record<string, string> }> = {
  COS_SECRET_ID: { value: 'AKID with spaces' },
  COS_SECRET_KEY: { value: CONTROL },
  COS_SECURITY_TOKEN: { value: CONTROL },
  COS_APPID: { value: '12ab' },
  COS_UIN: { value: 'uin-1' },
  COS_REGIONS: { value: 'ap-guanzhou' },
  COS_ENDPOINT: { value: 'not a url' },
  SLACK_BOT_TOKEN: { value: 'xoxp-user-token' },
  SLACK_CHANNEL_ID: { value: 'general' },
  SLACK_APP_TOKEN: { value: 'xoxb-not-an-app-token' },
  SLACK_SIGNING_SECRET: { value: 'q7Zk9w', with: { SLACK_APP_TOKEN: '' } },
  PORT: { value: '70000' },
  SLACK_API_URL: { value: 'ftp//nowhere' },
  APPROVER_USER_IDS: { value: 'bob' },
  APPROVER_USERGROUP_IDS: { value: 'admins' },
  REQUIRED_APPROVALS: { value: '0' },
  REQUIRE_CANCEL_REASON: { value: 'maybe' },
  AUDIT_HMAC_KEY: { value: 'k3yQz8' },
  AUDIT_CHECKPOINT_INTERVAL_MINUTES: { value: 'hourly' },
  AUDIT_CHECKPOINT_FILE: { value: `/var/log/${'x'.repeat(5_000)}` },
  AUDIT_CHANNEL_ID: { value: '#audit' },
  POLL_INTERVAL_SECONDS: { value: 'soon' },
  REMIND_AFTER_MINUTES: { value: '-5' },
  AUTO_CANCEL_AFTER_HOURS: { value: '1.5' },
  REDIS_URL: { value: 'http://localhost' },
  REDIS_KEY_PREFIX: { value: 'a{b}' },
  REDIS_SENTINELS: { value: 'host-without-port', with: { REDIS_SENTINEL_NAME: 'mymaster' } },
  // Any non-empty name is taken as given (control characters included); only a missing one is refused.
  REDIS_SENTINEL_NAME: { value: '', with: { REDIS_SENTINELS: '127.0.0.1:26379' } },
  REDIS_CLUSTER_NODES: { value: 'node:port' },
  LOG_LEVEL: { value: 'loud' },
  LOG_FORMAT: { value: 'xml' },
  COSJOB_CONFIG: { value: '/nonexistent/cosjob.yml' },
  REFUSALS_PER_USER_PER_MINUTE: { value: '0' },
  LOOKUPS_PER_USER_PER_MINUTE: { value: 'many' },
  REFUSAL_ECHO_INTERVAL_SECONDS: { value: '-1' },
  SLACK_APP_ID: { value: 'app-1' },
  SLACK_ENTERPRISE_ID: { value: 'enterprise' },
  SLACK_POST_INTERVAL_MS: { value: 'fast' },
};

describe('every setting, missing or malformed', () => {
  it('the valid base environment loads', () => {
    expect(problemsOf(VALID)).toEqual([]);
  });

  it.each(Object.values(SETTINGS).filter((s) => s.required === true))(
    'a missing required setting is named: $name',
    ({ name }) => {
      const env = { ...VALID };
      delete env[name];
      const problems = problemsOf(env).join('\n');
      expect(problems).toContain(name);
    },
  );

  it.each(Object.keys(SETTINGS) as (keyof typeof SETTINGS)[])(
    'a malformed value is refused by name, a secret never echoed: %s',
    (name) => {
      const { value, with: extra } = MALFORMED[name];
      const problems = problemsOf({ ...VALID, ...extra, [name]: value }).join('\n');
      expect(problems).toContain(name);
      // A short wrong item of a list is quoted on purpose; a secret never is.
      if (SETTINGS[name].secret && value.length > 0) expect(problems).not.toContain(value);
    },
  );

  it('names both settings of an either-or pair when neither is set', () => {
    const { SLACK_APP_TOKEN: _app, APPROVER_USER_IDS: _approvers, ...rest } = VALID;
    const problems = problemsOf(rest).join('\n');
    for (const name of [
      'SLACK_APP_TOKEN',
      'SLACK_SIGNING_SECRET',
      'APPROVER_USER_IDS',
      'APPROVER_USERGROUP_IDS',
    ]) {
      expect(problems).toContain(name);
    }
  });
});
