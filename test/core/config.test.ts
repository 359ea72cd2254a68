import { describe, expect, it } from 'vitest';
import { loadAppConfig, loadCosConfig } from '../../src/config/index.js';
import { problemsOf } from '../helpers/config.js';

const SECRET = 'super-secret-cos-key-value-1234567890';
const BOT = 'xoxb-1111-2222-abcdefABCDEF';
const SIGNING_SECRET = '8f742231b10e8888abcd99yyyzzz85a5';

const valid = {
  COS_SECRET_ID: 'AKIDexample',
  COS_SECRET_KEY: SECRET,
  COS_APPID: '1250000000',
  COS_UIN: '100000000001',
  COS_REGIONS: 'ap-guangzhou, ap-shanghai,ap-guangzhou',
  SLACK_BOT_TOKEN: BOT,
  SLACK_CHANNEL_ID: 'C0123ABCD',
  SLACK_APP_TOKEN: 'xapp-1-A1-123-abc',
  APPROVER_USER_IDS: 'U0ALICE,U0BOB',
};

describe('configuration', () => {
  it('reads a valid environment with defaults', () => {
    const config = loadAppConfig(valid);
    expect(config.accounts[0]!.regions).toEqual(['ap-guangzhou', 'ap-shanghai']);
    expect(config.redis).toMatchObject({ url: 'redis://127.0.0.1:6379', keyPrefix: 'cosjob' });
    expect(config.approvals).toMatchObject({ requiredApprovals: 1, requireCancelReason: true });
    expect(config.watcher).toEqual({ pollIntervalSeconds: 15 });
    expect(config.slack).toMatchObject({ port: 3000, appToken: 'xapp-1-A1-123-abc' });
  });

  it('reports every problem at once, by name, never echoing a value', () => {
    const problems = problemsOf({
      COS_SECRET_KEY: SECRET,
      COS_APPID: SECRET,
      COS_REGIONS: 'ap-guangzhou,Not A Region',
      SLACK_BOT_TOKEN: SECRET,
      SLACK_CHANNEL_ID: 'general',
      REQUIRED_APPROVALS: '0',
      POLL_INTERVAL_SECONDS: 'soon',
      REDIS_URL: 'http://localhost',
      REQUIRE_CANCEL_REASON: 'maybe',
      AUDIT_HMAC_KEY: 'k3y!x',
    });
    const text = problems.join('\n');
    for (const name of [
      'COS_SECRET_ID is missing',
      'COS_APPID is malformed',
      'COS_UIN is missing',
      'COS_REGIONS is malformed',
      'SLACK_BOT_TOKEN is malformed',
      'SLACK_CHANNEL_ID is malformed',
      'SLACK_APP_TOKEN or SLACK_SIGNING_SECRET is needed',
      'APPROVER_USER_IDS and APPROVER_USERGROUP_IDS are both empty',
      'REQUIRED_APPROVALS is malformed',
      'POLL_INTERVAL_SECONDS is malformed',
      'REDIS_URL is malformed',
      'REQUIRE_CANCEL_REASON is malformed',
      'AUDIT_HMAC_KEY is too short',
    ]) {
      expect(text).toContain(name);
    }
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain('k3y!x');
    expect(text).toContain('starting with redis:// or rediss://');
  });

  it('accepts HTTP mode, Sentinel and Cluster settings, and refuses both at once', () => {
    const { SLACK_APP_TOKEN: _app, ...http } = valid;
    expect(
      loadAppConfig({ ...http, SLACK_SIGNING_SECRET: SIGNING_SECRET, PORT: '8080' }).slack,
    ).toMatchObject({
      port: 8080,
      signingSecret: SIGNING_SECRET,
    });
    expect(
      loadAppConfig({ ...valid, REDIS_SENTINELS: 'h1:26379,[::1]:26380', REDIS_SENTINEL_NAME: 'mymaster' })
        .redis.sentinels,
    ).toEqual([
      { host: 'h1', port: 26379 },
      { host: '::1', port: 26380 },
    ]);
    expect(
      problemsOf({ ...valid, REDIS_SENTINELS: 'h1:26379', REDIS_CLUSTER_NODES: 'h2:7000' }).join('\n'),
    ).toMatch(/REDIS_SENTINEL_NAME is missing[\s\S]*both set/);
    expect(problemsOf({ ...valid, REDIS_CLUSTER_NODES: 'h2:99999' }).join('\n')).toContain(
      'REDIS_CLUSTER_NODES is malformed',
    );
  });

  it('checks the COS credentials for spaces and control characters, by name, without echoing them', () => {
    const badId = 'AKIDbad id';
    const badKey = `${SECRET.slice(0, 10)}\u0007${SECRET.slice(10)}`;
    const badToken = 'sts-token\nsecond-line-of-token';
    const problems = problemsOf({
      ...valid,
      COS_SECRET_ID: badId,
      COS_SECRET_KEY: badKey,
      COS_SECURITY_TOKEN: badToken,
      COS_APPID: 'abc',
    });
    const text = problems.join('\n');
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^COS_SECRET_ID is malformed: it contains a space/),
        expect.stringMatching(/^COS_SECRET_KEY is malformed: it contains a control character/),
        expect.stringMatching(/^COS_SECURITY_TOKEN is malformed: it contains a space, tab or line break/),
        expect.stringMatching(/^COS_APPID is malformed/), // reported together with the others
      ]),
    );
    for (const secret of [
      badId,
      badKey,
      badToken,
      'AKIDbad',
      SECRET.slice(0, 10),
      SECRET.slice(10),
      'second-line',
    ]) {
      expect(text).not.toContain(secret);
    }
    expect(problemsOf({ ...valid, COS_SECRET_KEY: 'key-with-“quote”' }).join('\n')).toMatch(
      /COS_SECRET_KEY is malformed: it contains a character outside printable ASCII/,
    );
    expect(problemsOf({ ...valid, COS_SECURITY_TOKEN: 'x'.repeat(8193) }).join('\n')).toMatch(
      /COS_SECURITY_TOKEN is malformed: it is longer than 8192 characters/,
    );
  });

  it('accepts credentials with surrounding whitespace trimmed and every printable ASCII character', () => {
    const printable = Array.from({ length: 94 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
    const cos = loadCosConfig({
      ...valid,
      COS_SECRET_ID: ' AKIDexample\n',
      COS_SECRET_KEY: printable,
      COS_SECURITY_TOKEN: 'sts+token/with=base64==',
    });
    expect(cos).toMatchObject({ secretId: 'AKIDexample', secretKey: printable });
    expect(cos.securityToken).toBe('sts+token/with=base64==');
  });

  it('loads the COS part alone for the CLI', () => {
    expect(loadCosConfig({ ...valid, COS_ENDPOINT: 'http://127.0.0.1:9800' }).endpoint).toBe(
      'http://127.0.0.1:9800',
    );
    expect(() => loadCosConfig({ ...valid, COS_REGIONS: ' , ' })).toThrow(/COS_REGIONS is empty/);
  });
});
