/**
 * cosjob.yml through loadConfig: every problem at once with file:line, no secret in any of them, the
 * environment-only configuration unchanged, and the README's example file valid.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { environmentSource, loadConfig } from '../../src/config/index.js';
import { chooseRule, DEFAULT_RULE_NAME, describeRule, jobFacts, ruleHash } from '../../src/rules/index.js';
import { problemsOf, VALID_ENV } from '../helpers/config.js';

const valid = VALID_ENV;
const PROD_KEYS = {
  PROD_COS_SECRET_ID: 'AKIDprod0000000000000000000000000001',
  PROD_COS_SECRET_KEY: 'prod-secret-key-0000000000000001',
  STAGING_COS_SECRET_ID: 'AKIDstaging00000000000000000000000002',
  STAGING_COS_SECRET_KEY: 'staging-secret-key-000000000002',
  STAGING_COS_SECURITY_TOKEN: 'staging-sts-token-000000000000000000000000000002',
};

const dir = mkdtempSync(join(tmpdir(), 'cosjob-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let files = 0;
function fileWith(text: string): string {
  const path = join(dir, `cosjob-${++files}.yml`);
  writeFileSync(path, text);
  return path;
}

describe('environment-only configuration', () => {
  it('is one account named default from COS_* and the default rule from the approval settings', () => {
    const loaded = loadConfig(
      environmentSource({
        ...valid,
        REMIND_AFTER_MINUTES: '30',
        REQUIRED_APPROVALS: '2',
        APPROVER_USERGROUP_IDS: 'S0ADMINS',
      }),
    );
    const { accounts, rules, accountsFromFile, file } = loaded.accountsAndRules;
    expect(file).toBeUndefined();
    expect(accountsFromFile).toBe(false);
    expect(accounts).toEqual([
      {
        name: 'default',
        uin: valid.COS_UIN,
        appId: valid.COS_APPID,
        regions: ['ap-guangzhou'],
        credentials: { secretId: valid.COS_SECRET_ID, secretKey: valid.COS_SECRET_KEY },
        credentialVariables: { secretId: 'COS_SECRET_ID', secretKey: 'COS_SECRET_KEY' },
      },
    ]);
    expect(rules.rules).toEqual([]);
    expect(rules.defaultRule).toEqual({
      name: DEFAULT_RULE_NAME,
      match: {},
      requires: {
        approvals: loaded.app.approvals.requiredApprovals,
        approvers: {
          users: loaded.app.approvals.approverUserIds,
          groups: loaded.app.approvals.approverUsergroupIds,
        },
        requireReasonToApprove: false,
        requireReasonToCancel: loaded.app.approvals.requireCancelReason,
        remindAfterMinutes: 30,
      },
    });
    expect(describeRule(rules.defaultRule)).toBe(
      'Rule default: 2 approvals from @S0ADMINS or @U0ALICE; reminders after 30 minutes',
    );
  });

  it('leaves the rest of the configuration exactly as without COSJOB_CONFIG', () => {
    const path = fileWith('rules:\n  - name: deletes\n    match: { destructive: true }\n    approvals: 1\n');
    const without = loadConfig(environmentSource(valid));
    const withFile = loadConfig(environmentSource({ ...valid, COSJOB_CONFIG: path }));
    expect(withFile.app).toEqual(without.app);
    expect(withFile.accountsAndRules.accounts).toEqual(without.accountsAndRules.accounts);
    expect(withFile.accountsAndRules.rules.defaultRule).toEqual(without.accountsAndRules.rules.defaultRule);
    expect(withFile.accountsAndRules.rules.rules.map((r) => r.name)).toEqual(['deletes']);
  });
});

describe('the example file', () => {
  const example = new URL('../../examples/cosjob.yml', import.meta.url);

  it('is valid, and the README shows it as it is', () => {
    const loaded = loadConfig(environmentSource({ ...valid, ...PROD_KEYS, COSJOB_CONFIG: example.pathname }));
    const { accounts, rules } = loaded.accountsAndRules;
    expect(loaded.warnings.filter((w) => w.includes('cosjob.yml'))).toEqual([]);
    expect(accounts.map((a) => [a.name, a.regions, a.channel])).toEqual([
      ['prod', ['ap-guangzhou', 'ap-shanghai'], 'C0PRODJOBS'],
      ['staging', ['ap-guangzhou'], undefined],
    ]);
    expect(accounts[1]!.credentials).toEqual({
      secretId: PROD_KEYS.STAGING_COS_SECRET_ID,
      secretKey: PROD_KEYS.STAGING_COS_SECRET_KEY,
      securityToken: PROD_KEYS.STAGING_COS_SECURITY_TOKEN,
    });
    expect(rules.rules.map((r) => r.name)).toEqual(['deletes', 'big prod copies', 'staging small jobs']);
    expect(rules.rules[0]!.source).toBe(`${example.pathname}:26`);
    expect(describeRule(rules.rules[0]!)).toBe(
      'Rule deletes: 2 approvals from @S0STORAGEADM; a reason to approve; reminders after 30 minutes; cancelled after 24 hours unapproved',
    );
    // A requirement the rule leaves out is the default's.
    expect(rules.rules[2]!.requires.requireReasonToCancel).toBe(true);
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(readme).toContain(readFileSync(example, 'utf8').trim());
  });

  it('routes a prod delete to the deletes rule and a staging delete to the default', () => {
    const { rules } = loadConfig(
      environmentSource({ ...valid, ...PROD_KEYS, COSJOB_CONFIG: example.pathname }),
    ).accountsAndRules;
    const deleting = {
      id: '53dc6228-c50b-46f7-8ad7-65e7159f1aae',
      status: 'Suspended',
      priority: 1,
      description: '',
      confirmationRequired: true,
      operation: { kind: 'COSDeleteObject', rawKind: 'COSDeleteObject', parameters: {}, destructive: true },
      progress: { totalTasks: 10, succeededTasks: 0, failedTasks: 0 },
      failureReasons: [],
    } as const;
    const job = { ...deleting, operation: { ...deleting.operation }, failureReasons: [] };
    expect(chooseRule(rules, jobFacts(job, { account: 'prod', region: 'ap-shanghai' })).rule.name).toBe(
      'deletes',
    );
    const staging = chooseRule(rules, jobFacts(job, { account: 'staging', region: 'ap-guangzhou' }));
    expect(staging.isDefault).toBe(true);
    expect(ruleHash(staging.rule)).toBe(ruleHash(rules.defaultRule));
  });
});

describe('problems in the file', () => {
  it('reports every problem at once, each with file:line and what to fix', () => {
    const path = fileWith(
      [
        'accounts:', // 1
        '  - name: prod', // 2
        '    uin: 1000x', // 3
        '    appid: 1250000001', // 4
        '    regions: [ap-guanzhou, ap-shanghai]', // 5
        '    secret_id_env: PROD_COS_SECRET_ID', // 6
        '    secret_key_env: NOT_SET_ANYWHERE', // 7
        '    colour: blue', // 8
        '  - name: prod', // 9
        '    uin: 100000000002', // 10
        '    appid: 1250000002', // 11
        '    regions: ap-guangzhou', // 12
        '    secret_id_env: PROD_COS_SECRET_ID', // 13
        '    secret_key_env: PROD_COS_SECRET_KEY', // 14
        '    channel: general', // 15
        'rules:', // 16
        '  - name: deletes', // 17
        '    match:', // 18
        '      account: [prod, nosuch]', // 19
        '      operation: purge', // 20
        '      bucket: "Prod/*"', // 21
        '      min_tasks: 10', // 22
        '      max_tasks: 5', // 23
        '      destructive: false', // 24
        '    approvals: 3', // 25
        '    approvers:', // 26
        '      users: [U0ALICE01, bob]', // 27
        '  - name: too many', // 28
        '    match: {}', // 29
        '    approvals: 3', // 30
        '    approvers: { users: [U0ALICE01] }', // 31
        '  - match: { region: eu-frankfurt }', // 32
        '    approvals: 11', // 33
        '    require_reason_to_approve: maybe', // 34
        '  - name: default', // 35
        '    match: {}', // 36
      ].join('\n'),
    );
    const problems = problemsOf({ ...valid, ...PROD_KEYS, COSJOB_CONFIG: path });
    expect(problems).toEqual([
      `${path}:8: accounts[0] has an unknown key "colour": expected name, uin, appid, regions, secret_id_env, secret_key_env, security_token_env, channel`,
      `${path}:3: accounts[0].uin must be the numeric account UIN, e.g. 100000000001`,
      `${path}:5: accounts[0].regions[0] "ap-guanzhou" is not a COS region: did you mean ap-guangzhou?`,
      `${path}:7: accounts[0].secret_key_env names NOT_SET_ANYWHERE, which is not set in the environment: set it to the SecretKey`,
      `${path}:15: accounts[1].channel must be a Slack channel id such as C0123ABCD (channel details → About)`,
      `${path}:19: rules[0].match.account[1] "nosuch" is not an account of this file: expected prod`,
      `${path}:20: rules[0].match.operation "purge" is not an operation: expected copy, restore, tagging, delete`,
      `${path}:21: rules[0].match.bucket "Prod/*" is not a bucket glob: use lowercase letters, digits, hyphens, * (any run) and ? (one character)`,
      `${path}:23: rules[0].match.max_tasks is below min_tasks (10): no job could match`,
      `${path}:24: rules[0].match.destructive can only be true (jobs that delete objects); leave it out to match every job`,
      `${path}:27: rules[0].approvers.users[1] "bob" is not a Slack user id such as U0123ABCD`,
      `${path}:30: rules[1].approvals asks for 3 distinct approvals but names only 1 approver and no group: no job could ever be approved`,
      `${path}:32: rules[2] needs a name: it is shown on cards and recorded in the audit`,
      `${path}:32: rules[2].match.region "eu-frankfurt" is not watched by any account (ap-shanghai, ap-guangzhou): add it to an account's regions, or the rule can never match`,
      `${path}:33: rules[2].approvals must be a whole number from 1 to 10`,
      `${path}:34: rules[2].require_reason_to_approve must be true or false`,
      `${path}:35: rules[3].name is reserved for the default rule from the environment: choose another name`,
    ]);
  });

  it('an account name repeated, and a rule that can never apply, are caught', () => {
    const account = (line: string) =>
      `  - { name: prod, uin: 1, appid: 2, regions: [ap-guangzhou], secret_id_env: PROD_COS_SECRET_ID, secret_key_env: PROD_COS_SECRET_KEY${line} }`;
    const path = fileWith(
      [
        'accounts:',
        account(''),
        account(''),
        'rules:',
        '  - { name: all, match: {} }',
        '  - { name: later, match: { operation: copy } }',
      ].join('\n'),
    );
    const problems = problemsOf({ ...valid, ...PROD_KEYS, COSJOB_CONFIG: path });
    expect(problems).toEqual([
      `${path}:3: accounts[1] repeats the account name "prod" of line 2: names must be unique`,
    ]);
    const loaded = loadConfig(
      environmentSource({
        ...valid,
        ...PROD_KEYS,
        COSJOB_CONFIG: fileWith(
          [
            'accounts:',
            account(''),
            'rules:',
            '  - { name: all, match: {} }',
            '  - { name: later, match: { operation: copy } }',
          ].join('\n'),
        ),
      }),
    );
    expect(loaded.warnings).toContainEqual(
      expect.stringMatching(/:5: rules\[1\] can never apply: rule "all" before it matches every job$/),
    );
  });

  it('refuses a key pasted into the file, without quoting it or the values of named variables', () => {
    const secretId = 'AKIDz8krbsJ5yKBZQpn74WFkmLPx3EXAMPLE';
    const secretKey = 'Gu5t9xGARNpq86cd98joQYCN3EXAMPLE';
    const path = fileWith(
      [
        'accounts:',
        '  - name: prod',
        '    uin: 100000000001',
        '    appid: 1250000001',
        '    regions: [ap-guangzhou]',
        `    secret_id_env: ${secretId}`,
        `    secret_key_env: ${secretKey}`,
        `    secret_key: ${secretKey}`,
        '  - name: other',
        '    uin: 100000000002',
        '    appid: 1250000002',
        '    regions: [ap-guangzhou]',
        '    secret_id_env: BAD_ID',
        '    secret_key_env: lower_case_name',
      ].join('\n'),
    );
    const problems = problemsOf({ ...valid, COSJOB_CONFIG: path, BAD_ID: 'has a space inside it' });
    const text = problems.join('\n');
    expect(text).not.toContain(secretId.slice(4, 12));
    expect(text).not.toContain(secretKey.slice(0, 8));
    expect(text).not.toContain('space inside');
    expect(problems).toEqual([
      `${path}:8: accounts[0] has an unknown key "secret_key": expected name, uin, appid, regions, secret_id_env, secret_key_env, security_token_env, channel`,
      expect.stringMatching(
        new RegExp(
          `^${path}:6: accounts\\[0\\]\\.secret_id_env looks like a key itself, not the name of an environment variable \\(value not shown\\): secrets never go in the file`,
        ),
      ),
      expect.stringMatching(
        new RegExp(`^${path}:7: accounts\\[0\\]\\.secret_key_env looks like a key itself`),
      ),
      `${path}:13: accounts[1].secret_id_env names BAD_ID, which is malformed: it contains a space, tab or line break; copy it again from the CAM console`,
      `${path}:14: accounts[1].secret_key_env must be an environment variable name: upper-case letters, digits and _, e.g. PROD_COS_SECRET_ID (value not shown)`,
    ]);
  });

  it('broken YAML, a duplicate key, an unreadable path and an empty file are each one problem', () => {
    const broken = fileWith('rules:\n  - name: a\n    match: [unclosed\n');
    expect(problemsOf({ ...valid, COSJOB_CONFIG: broken })).toEqual([
      expect.stringMatching(new RegExp(`^${broken}:\\d+: is not valid YAML: `)),
    ]);
    const duplicate = fileWith('rules: []\nrules: []\n');
    expect(problemsOf({ ...valid, COSJOB_CONFIG: duplicate })).toEqual([
      `${duplicate}:2: is not valid YAML: Map keys must be unique (DUPLICATE_KEY)`,
    ]);
    // yaml quotes the rest of a block scalar's header line in its message: it must not reach the problem.
    const quoting = fileWith('rules:\n  - name: |AKIDz8krbsJ5yKBZQpn74WFkm\n');
    const quoted = problemsOf({ ...valid, COSJOB_CONFIG: quoting });
    expect(quoted).toContainEqual(
      `${quoting}:2: is not valid YAML: Block scalar header includes extra characters (UNEXPECTED_TOKEN)`,
    );
    expect(quoted.join('\n')).not.toContain('AKIDz8');
    const missing = join(dir, 'nope.yml');
    expect(problemsOf({ ...valid, COSJOB_CONFIG: missing })).toEqual([
      `COSJOB_CONFIG names ${JSON.stringify(missing)}, which cannot be read (no such file): fix the path or unset COSJOB_CONFIG`,
    ]);
    const empty = fileWith('# nothing yet\n');
    expect(problemsOf({ ...valid, COSJOB_CONFIG: empty })).toEqual([
      `${empty}: is empty: give accounts:, rules: or both`,
    ]);
    const list = fileWith('- accounts\n');
    expect(problemsOf({ ...valid, COSJOB_CONFIG: list })).toEqual([
      `${list}:1: must be a mapping (key: value lines): with accounts: and/or rules:`,
    ]);
  });

  it('joins the environment problems in the same report', () => {
    const path = fileWith('rules:\n  - name: r\n    match: { operation: copy }\n    approvals: zero\n');
    expect(problemsOf({ ...valid, COS_UIN: 'x', COSJOB_CONFIG: path })).toEqual([
      expect.stringMatching(/^COS_UIN is malformed/),
      `${path}:4: rules[0].approvals must be a whole number from 1 to 10`,
    ]);
  });
});
