/** The problems and warnings a careless operator gets, all at once, without a secret in them. */
import { describe, expect, it } from 'vitest';
import {
  ConfigError,
  environmentSource,
  layeredSources,
  loadConfig,
  type SettingSource,
} from '../../src/config/index.js';
import { closestKnownRegion, editDistance, isKnownRegion, KNOWN_COS_REGIONS } from '../../src/cos/region.js';
import { problemsOf, VALID_ENV } from '../helpers/config.js';

const valid = VALID_ENV;

describe('configuration problems', () => {
  it('validates LOG_LEVEL and LOG_FORMAT with every other setting, in one report', () => {
    const problems = problemsOf({ ...valid, COS_UIN: 'x', LOG_LEVEL: 'verbose', LOG_FORMAT: 'xml' });
    expect(problems).toEqual([
      expect.stringMatching(/^COS_UIN is malformed/),
      'LOG_LEVEL is malformed: "verbose" is not one of debug, info, warn, error (default info)',
      'LOG_FORMAT is malformed: "xml" is not one of json, pretty (default json)',
    ]);
    expect(loadConfig(environmentSource(valid)).logging).toEqual({ level: 'info', format: 'json' });
    expect(
      loadConfig(environmentSource({ ...valid, LOG_LEVEL: ' DEBUG ', LOG_FORMAT: 'pretty' })).logging,
    ).toEqual({ level: 'debug', format: 'pretty' });
  });

  it('names the wrong items of a list setting and suggests the closest documented region', () => {
    const problems = problemsOf({
      ...valid,
      COS_REGIONS: 'ap-guanzhou,ap-shanghai,AP-Beijing,guangzhou,Not A Region',
      APPROVER_USER_IDS: 'U0ALICE,bob,U0CAROL,#ops',
    });
    expect(problems).toContain(
      'COS_REGIONS is malformed: "ap-guanzhou", "guangzhou" is not a COS region: did you mean ap-guangzhou?; "AP-Beijing" is not a COS region: did you mean ap-beijing?; "Not A Region" is not a COS region name (expected names such as ap-guangzhou)',
    );
    expect(problems).toContain(
      'APPROVER_USER_IDS is malformed: "bob", "#ops" is not a Slack user id such as U0123ABCD',
    );
  });

  it('accepts a well-formed region Tencent does not list yet, with a warning', () => {
    const loaded = loadConfig(environmentSource({ ...valid, COS_REGIONS: 'ap-guangzhou,me-riyadh' }));
    expect(loaded.app.accounts[0]!.regions).toEqual(['ap-guangzhou', 'me-riyadh']);
    expect(loaded.warnings).toEqual([
      expect.stringMatching(/^COS_REGIONS names "me-riyadh", which is not among/),
    ]);
  });

  it('refuses an implausibly short SLACK_SIGNING_SECRET without echoing it', () => {
    const { SLACK_APP_TOKEN: _socket, ...http } = valid;
    const problems = problemsOf({ ...http, SLACK_SIGNING_SECRET: 'x' });
    expect(problems).toEqual([
      expect.stringMatching(/^SLACK_SIGNING_SECRET is too short: Slack's signing secrets are 32 hexadecimal/),
    ]);
    expect(problemsOf({ ...http, SLACK_SIGNING_SECRET: 'shortbutnotone' }).join('\n')).not.toContain(
      'shortbutnotone',
    );
    expect(problemsOf({ ...http, SLACK_SIGNING_SECRET: '0123456789abcdef0123456789abcdef' })).toEqual([]);
  });

  it('warns, and does not fail, when AUDIT_HMAC_KEY is missing', () => {
    const { AUDIT_HMAC_KEY: _key, ...unkeyed } = valid;
    const loaded = loadConfig(environmentSource(unkeyed));
    expect(loaded.app.approvals.auditHmacKey).toBeUndefined();
    expect(loaded.warnings).toEqual([
      expect.stringMatching(/^AUDIT_HMAC_KEY is not set: .*openssl rand -hex 32/),
    ]);
    expect(loadConfig(environmentSource(valid)).warnings).toEqual([]);
  });

  it('names host:port items that are wrong', () => {
    expect(problemsOf({ ...valid, REDIS_CLUSTER_NODES: 'h1:7000,h2:99999,h3' })).toEqual([
      'REDIS_CLUSTER_NODES is malformed: "h2:99999", "h3" not host:port (expected host:port[,host:port...])',
    ]);
  });

  it('names where a value came from, so a file source can sit beside the environment', () => {
    const file: SettingSource = {
      get: (name) => ({ POLL_INTERVAL_SECONDS: 'soon', PORT: '8080' })[name],
      where: (name) => `cosjob.yml (${name.toLowerCase()})`,
    };
    const source = layeredSources(environmentSource({ ...valid, PORT: '9090' }), file);
    let problems: readonly string[] = [];
    try {
      loadConfig(source);
    } catch (error) {
      if (error instanceof ConfigError) problems = error.problems;
    }
    expect(problems).toEqual([
      'cosjob.yml (poll_interval_seconds) is malformed: expected a whole number from 1 to 3600',
    ]);
    const fixed = layeredSources(
      environmentSource({ ...valid, PORT: '9090', POLL_INTERVAL_SECONDS: '5' }),
      file,
    );
    expect(loadConfig(fixed).app.slack.port).toBe(9090);
    expect(loadConfig(fixed).app.watcher.pollIntervalSeconds).toBe(5);
  });
});

describe('COS regions', () => {
  it('suggests by edit distance, only when close', () => {
    expect(editDistance('ap-guanzhou', 'ap-guangzhou')).toBe(1);
    expect(editDistance('', 'abc')).toBe(3);
    expect(closestKnownRegion('ap-shangai')).toBe('ap-shanghai');
    expect(closestKnownRegion('ap-tokio')).toBe('ap-tokyo');
    expect(closestKnownRegion('eu-frankfurt')).toBeUndefined();
    expect(closestKnownRegion('us-east-1')).toBeUndefined();
    expect(KNOWN_COS_REGIONS.every((r) => isKnownRegion(r))).toBe(true);
  });
});

describe('values in problems', () => {
  it('quotes a short wrong item but only describes a long one, which may be a pasted secret', () => {
    const pasted = 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3gnPhESA';
    const text = problemsOf({ ...valid, APPROVER_USER_IDS: `U0ALICE,${pasted}`, LOG_LEVEL: pasted }).join(
      '\n',
    );
    expect(text).not.toContain(pasted);
    expect(text).toContain(
      'APPROVER_USER_IDS is malformed: a 36-character value (not shown) is not a Slack user id',
    );
    expect(text).toContain('LOG_LEVEL is malformed: a 36-character value (not shown) is not one of');
  });
});
