/** Rule matching: every match key, the order of rules, the default; the hash and the wording. */
import { describe, expect, it } from 'vitest';
import type { Job, OperationKind } from '../../src/cos/model.js';
import {
  bucketOfResourceName,
  chooseRule,
  DEFAULT_RULE_NAME,
  describeMatch,
  describeRule,
  globMatches,
  type JobFacts,
  jobFacts,
  type Rule,
  type RuleMatch,
  type RuleSet,
  ruleHash,
} from '../../src/rules/index.js';

const requires = {
  approvals: 1,
  approvers: { users: ['U0ALICE01'], groups: [] },
  requireReasonToApprove: false,
  requireReasonToCancel: true,
};
const defaultRule: Rule = { name: DEFAULT_RULE_NAME, match: {}, requires };
const rule = (name: string, match: RuleMatch, extra: Partial<Rule['requires']> = {}): Rule => ({
  name,
  match,
  requires: { ...requires, ...extra },
});
const set = (...rules: Rule[]): RuleSet => ({ rules, defaultRule });

function job(
  kind: OperationKind,
  overrides: Partial<Job> = {},
  parameters: Record<string, string> = {},
): Job {
  return {
    id: '53dc6228-c50b-46f7-8ad7-65e7159f1aae',
    status: 'Suspended',
    priority: 10,
    description: '',
    confirmationRequired: true,
    operation: { kind, rawKind: kind, parameters, destructive: kind === 'COSDeleteObject' },
    manifest: {
      location: {
        objectArn: 'qcs::cos:ap-guangzhou:uid/1250000001:src-logs-1250000001/manifests/m.csv',
        etag: '"e"',
      },
      format: 'COSBatchOperations_CSV_V1',
      fields: ['Bucket', 'Key'],
    },
    progress: { totalTasks: 5000, succeededTasks: 0, failedTasks: 0 },
    failureReasons: [],
    ...overrides,
  };
}

const copy = jobFacts(
  job(
    'COSPutObjectCopy',
    {},
    { TargetResource: 'qcs::cos:ap-guangzhou:uid/1250000001:prod-data-1250000001' },
  ),
  { account: 'prod', region: 'ap-guangzhou' },
);
const remove = jobFacts(job('COSDeleteObject'), { account: 'staging', region: 'ap-shanghai' });

function applied(rules: RuleSet, facts: JobFacts): string {
  return chooseRule(rules, facts).rule.name;
}

describe('job facts', () => {
  it('reads the operation, both buckets, the task count and whether the job deletes', () => {
    expect(copy).toMatchObject({
      operation: 'copy',
      targetBucket: 'prod-data-1250000001',
      manifestBucket: 'src-logs-1250000001',
      totalTasks: 5000,
      destructive: false,
    });
    expect(remove).toMatchObject({ operation: 'delete', destructive: true });
    expect(remove.targetBucket).toBeUndefined();
    const restore = jobFacts(job('COSInitiateRestoreObject'), { account: 'a', region: 'ap-guangzhou' });
    const tagging = jobFacts(job('COSPutObjectTagging'), { account: 'a', region: 'ap-guangzhou' });
    expect([restore.operation, tagging.operation]).toEqual(['restore', 'tagging']);
  });

  it('treats an unknown operation COS flags as destructive as destructive, and as no known operation', () => {
    const unknown = job('unknown');
    const facts = jobFacts(
      {
        ...unknown,
        operation: { ...unknown.operation, rawKind: 'COSDeleteObjectVersions', destructive: true },
      },
      { account: 'a', region: 'ap-guangzhou' },
    );
    expect(facts).toMatchObject({
      operation: undefined,
      rawOperation: 'COSDeleteObjectVersions',
      destructive: true,
    });
    expect(applied(set(rule('ops', { operation: ['delete'] })), facts)).toBe(DEFAULT_RULE_NAME);
    expect(applied(set(rule('d', { destructive: true })), facts)).toBe('d');
  });

  it('parses bucket and object resource names and nothing else', () => {
    expect(bucketOfResourceName('qcs::cos:ap-beijing:uid/125:b-125')).toBe('b-125');
    expect(bucketOfResourceName('qcs::cos:ap-beijing:uid/125:b-125/a/b.csv')).toBe('b-125');
    expect(bucketOfResourceName('arn:aws:s3:::b')).toBeUndefined();
    expect(bucketOfResourceName(undefined)).toBeUndefined();
  });
});

describe('every match key', () => {
  it('account: any of the names', () => {
    expect(applied(set(rule('r', { account: ['prod', 'x'] })), copy)).toBe('r');
    expect(applied(set(rule('r', { account: ['prod'] })), remove)).toBe(DEFAULT_RULE_NAME);
  });

  it('region: any of the regions', () => {
    expect(applied(set(rule('r', { region: ['ap-guangzhou'] })), copy)).toBe('r');
    expect(applied(set(rule('r', { region: ['ap-guangzhou'] })), remove)).toBe(DEFAULT_RULE_NAME);
  });

  it('operation: any of copy, restore, tagging, delete', () => {
    expect(applied(set(rule('r', { operation: ['copy', 'restore'] })), copy)).toBe('r');
    expect(applied(set(rule('r', { operation: ['copy', 'restore'] })), remove)).toBe(DEFAULT_RULE_NAME);
    expect(applied(set(rule('r', { operation: ['delete'] })), remove)).toBe('r');
  });

  it('bucket: a glob on the target or the manifest bucket', () => {
    expect(applied(set(rule('r', { bucket: ['prod-*'] })), copy)).toBe('r');
    expect(applied(set(rule('r', { bucket: ['src-logs-*'] })), copy)).toBe('r');
    expect(applied(set(rule('r', { bucket: ['src-logs-*'] })), remove)).toBe('r');
    expect(applied(set(rule('r', { bucket: ['other-*', 'prod-?ata-*'] })), copy)).toBe('r');
    expect(applied(set(rule('r', { bucket: ['prod'] })), copy)).toBe(DEFAULT_RULE_NAME);
    expect(applied(set(rule('r', { bucket: ['dst-*'] })), remove)).toBe(DEFAULT_RULE_NAME);
  });

  it('a job with no known bucket matches no bucket key', () => {
    const { manifest: _manifest, ...withoutManifest } = job('COSDeleteObject');
    const bare = jobFacts(withoutManifest, { account: 'a', region: 'ap-guangzhou' });
    const choice = chooseRule(set(rule('r', { bucket: ['*'] })), bare);
    expect(choice.isDefault).toBe(true);
    expect(choice.why[0]!.keys[0]).toMatchObject({
      key: 'bucket',
      matched: false,
      actual: 'no bucket known',
    });
  });

  it('min_tasks and max_tasks: inclusive bounds on the total task count', () => {
    expect(applied(set(rule('r', { minTasks: 5000 })), copy)).toBe('r');
    expect(applied(set(rule('r', { minTasks: 5001 })), copy)).toBe(DEFAULT_RULE_NAME);
    expect(applied(set(rule('r', { maxTasks: 5000 })), copy)).toBe('r');
    expect(applied(set(rule('r', { maxTasks: 4999 })), copy)).toBe(DEFAULT_RULE_NAME);
    expect(applied(set(rule('r', { minTasks: 1000, maxTasks: 9999 })), copy)).toBe('r');
  });

  it('destructive: only jobs that delete objects', () => {
    expect(applied(set(rule('r', { destructive: true })), remove)).toBe('r');
    expect(applied(set(rule('r', { destructive: true })), copy)).toBe(DEFAULT_RULE_NAME);
  });

  it('every key must hold, and each verdict says what was wanted and what the job has', () => {
    const choice = chooseRule(
      set(rule('r', { account: ['prod'], operation: ['delete'], minTasks: 10 })),
      copy,
    );
    expect(choice.isDefault).toBe(true);
    expect(choice.why).toEqual([
      {
        rule: 'r',
        matched: false,
        keys: [
          { key: 'account', matched: true, wanted: 'one of prod', actual: 'prod' },
          { key: 'operation', matched: false, wanted: 'one of delete', actual: 'copy' },
          { key: 'min_tasks', matched: true, wanted: 'at least 10 tasks', actual: '5000 tasks' },
        ],
      },
    ]);
  });
});

describe('order and the default', () => {
  it('the first matching rule wins, and the evaluations stop there', () => {
    const rules = set(
      rule('deletes', { destructive: true }),
      rule('prod', { account: ['prod'] }),
      rule('everything', {}),
      rule('never', { account: ['prod'] }),
    );
    expect(chooseRule(rules, copy).why.map((e) => [e.rule, e.matched])).toEqual([
      ['deletes', false],
      ['prod', true],
    ]);
    expect(applied(rules, remove)).toBe('deletes');
    const reordered = set(rule('everything', {}), rule('deletes', { destructive: true }));
    expect(applied(reordered, remove)).toBe('everything');
  });

  it('several rules, none matching: each is tried in order, then the default applies', () => {
    const rules = set(rule('deletes', { destructive: true }), rule('big', { minTasks: 1_000_000 }));
    const choice = chooseRule(rules, copy);
    expect(choice.rule).toBe(defaultRule);
    expect(choice.isDefault).toBe(true);
    expect(choice.why.map((e) => [e.rule, e.matched])).toEqual([
      ['deletes', false],
      ['big', false],
    ]);
  });

  it('no rules: the default applies to every job', () => {
    const choice = chooseRule(set(), remove);
    expect(choice).toEqual({ rule: defaultRule, isDefault: true, why: [] });
  });
});

describe('globs', () => {
  it('* is any run, ? one character, the rest literal', () => {
    expect(globMatches('a*', 'a')).toBe(true);
    expect(globMatches('a?c', 'abc')).toBe(true);
    expect(globMatches('a?c', 'ac')).toBe(false);
    expect(globMatches('a-b', 'a-b')).toBe(true);
    expect(globMatches('a.b', 'axb')).toBe(false);
    expect(globMatches('*-1250000001', 'logs-1250000001')).toBe(true);
  });
});

describe('the hash of a rule as applied', () => {
  const base = rule(
    'deletes',
    { destructive: true, account: ['prod'] },
    { approvals: 2, approvers: { users: ['U0A1', 'U0B2'], groups: ['S0G1'] } },
  );

  it('is short hex and stable across key order, approver order and where the rule is written', () => {
    const hash = ruleHash(base);
    expect(hash).toMatch(/^[0-9a-f]{16}$/);
    const shuffled: Rule = {
      source: 'elsewhere.yml:99',
      requires: {
        requireReasonToCancel: true,
        requireReasonToApprove: false,
        approvers: { groups: ['S0G1'], users: ['U0B2', 'U0A1'] },
        approvals: 2,
      },
      match: { account: ['prod'], destructive: true },
      name: 'deletes',
    };
    expect(ruleHash(shuffled)).toBe(hash);
  });

  it('changes with anything the rule requires or matches', () => {
    const hash = ruleHash(base);
    const variants: Rule[] = [
      { ...base, name: 'deletes2' },
      { ...base, match: { ...base.match, region: ['ap-guangzhou'] } },
      { ...base, requires: { ...base.requires, approvals: 3 } },
      { ...base, requires: { ...base.requires, approvers: { users: ['U0A1'], groups: ['S0G1'] } } },
      { ...base, requires: { ...base.requires, requireReasonToApprove: true } },
      { ...base, requires: { ...base.requires, remindAfterMinutes: 5 } },
      { ...base, requires: { ...base.requires, channel: 'C0X' } },
    ];
    const hashes = variants.map(ruleHash);
    expect(hashes).not.toContain(hash);
    expect(new Set(hashes).size).toBe(variants.length);
  });
});

describe('describing a rule', () => {
  it('names the rule, the approvals and who gives them, then the other requirements', () => {
    const deletes = rule(
      'deletes',
      { destructive: true },
      { approvals: 2, approvers: { users: [], groups: ['S0STORAGE'] } },
    );
    expect(describeRule(deletes)).toBe('Rule deletes: 2 approvals from @S0STORAGE');
    expect(
      describeRule(deletes, {
        name: (n) => `*${n}*`,
        approver: (kind, id) => (kind === 'group' ? `@storage-admins(${id})` : id),
      }),
    ).toBe('Rule *deletes*: 2 approvals from @storage-admins(S0STORAGE)');
    const strict = rule(
      'strict',
      {},
      {
        approvers: { users: ['U0A1', 'U0B2'], groups: ['S0G1'] },
        requireReasonToApprove: true,
        remindAfterMinutes: 1,
        autoCancelAfterHours: 24,
      },
    );
    expect(describeRule(strict)).toBe(
      'Rule strict: 1 approval from @S0G1, @U0A1 or @U0B2; a reason to approve; reminders after 1 minute; cancelled after 24 hours unapproved',
    );
  });

  it('says which jobs a rule is for', () => {
    expect(describeMatch({})).toBe('every job');
    expect(
      describeMatch({
        account: ['prod'],
        region: ['ap-guangzhou', 'ap-shanghai'],
        operation: ['copy', 'restore'],
        bucket: ['prod-*'],
        minTasks: 1,
        maxTasks: 1000,
        destructive: true,
      }),
    ).toBe(
      'jobs with account prod, region ap-guangzhou or ap-shanghai, operation copy or restore, target or manifest bucket prod-*, at least 1 task, at most 1000 tasks, deleting objects',
    );
  });
});
