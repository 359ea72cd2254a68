/** Rules as the engine applies them: the chosen rule with its hash, the card's channel, per-rule policy. */
import { describe, expect, it } from 'vitest';
import { ApprovalPolicy } from '../../src/approvals/policy.js';
import type { Job } from '../../src/cos/model.js';
import { silentLogger } from '../../src/logger.js';
import { channelFor, RuleBook } from '../../src/rules/applied.js';
import { ruleHash } from '../../src/rules/hash.js';
import { DEFAULT_RULE_NAME, type Rule } from '../../src/rules/types.js';

const requires = (users: string[], groups: string[] = []): Rule['requires'] => ({
  approvals: 1,
  approvers: { users, groups },
  requireReasonToApprove: false,
  requireReasonToCancel: true,
});
const defaultRule: Rule = { name: DEFAULT_RULE_NAME, match: {}, requires: requires(['UALICE']) };
const deletes: Rule = {
  name: 'deletes',
  match: { operation: ['delete'], account: ['prod'] },
  requires: { ...requires([], ['SADMINS']), approvals: 2, channel: 'C0DELETES' },
};

function job(kind: 'COSDeleteObject' | 'COSPutObjectCopy'): Job {
  return {
    id: 'job-1',
    status: 'Suspended',
    priority: 1,
    description: '',
    confirmationRequired: true,
    operation: { kind, rawKind: kind, parameters: {}, destructive: kind === 'COSDeleteObject' },
    progress: { totalTasks: 10, succeededTasks: 0, failedTasks: 0 },
    failureReasons: [],
  };
}

describe('RuleBook', () => {
  const book = new RuleBook({ rules: [deletes], defaultRule });

  it('chooses by the job, its account and region, with the rule’s hash', () => {
    expect(book.forJob(job('COSDeleteObject'), { account: 'prod', region: 'ap-guangzhou' })).toEqual({
      rule: deletes,
      hash: ruleHash(deletes),
      isDefault: false,
    });
    expect(book.forJob(job('COSDeleteObject'), { account: 'staging', region: 'ap-guangzhou' })).toEqual({
      rule: defaultRule,
      hash: ruleHash(defaultRule),
      isDefault: true,
    });
    expect(book.forJob(job('COSPutObjectCopy'), { account: 'prod', region: 'ap-guangzhou' }).rule).toBe(
      defaultRule,
    );
  });

  it('remembers the choice for a deeply frozen job, per account and region, and never for a mutable one', () => {
    const deepFreeze = <T>(value: T): T => {
      if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
        Object.freeze(value);
        for (const inner of Object.values(value)) deepFreeze(inner);
      }
      return value;
    };
    const frozen = deepFreeze(job('COSDeleteObject'));
    const prod = { account: 'prod', region: 'ap-guangzhou' };
    const first = book.forJob(frozen, prod);
    expect(book.forJob(frozen, prod)).toBe(first);
    expect(Object.isFrozen(first)).toBe(true);
    // The same job elsewhere is chosen for that place, not answered from the remembered choice.
    expect(book.forJob(frozen, { account: 'staging', region: 'ap-guangzhou' }).rule).toBe(defaultRule);
    expect(book.forJob(frozen, prod).rule).toBe(deletes);

    // Frozen on top but not inside: what the rules read could still change, so it is chosen afresh.
    const shallow = Object.freeze(job('COSDeleteObject'));
    expect(book.forJob(shallow, prod)).not.toBe(book.forJob(shallow, prod));
    const mutable = job('COSDeleteObject');
    expect(book.forJob(mutable, prod).rule).toBe(deletes);
    mutable.operation = {
      kind: 'COSPutObjectCopy',
      rawKind: 'COSPutObjectCopy',
      parameters: {},
      destructive: false,
    };
    expect(book.forJob(mutable, prod).rule).toBe(defaultRule);
  });

  it('lists every rule’s approvers, the default’s last', () => {
    expect(book.everyApprovers()).toEqual([deletes.requires.approvers, defaultRule.requires.approvers]);
  });

  it('knows whether any rule, the default included, asks for a reason to approve', () => {
    expect(book.anyAsksReasonToApprove).toBe(false);
    const asking: Rule = { ...deletes, requires: { ...deletes.requires, requireReasonToApprove: true } };
    expect(new RuleBook({ rules: [asking], defaultRule }).anyAsksReasonToApprove).toBe(true);
    const defaultAsking: Rule = {
      ...defaultRule,
      requires: { ...defaultRule.requires, requireReasonToApprove: true },
    };
    expect(new RuleBook({ rules: [], defaultRule: defaultAsking }).anyAsksReasonToApprove).toBe(true);
  });
});

describe('channelFor', () => {
  it('is the rule’s channel, else the account’s, else the environment’s', () => {
    expect(channelFor(deletes, 'C0ACCOUNT', 'C0ENV')).toBe('C0DELETES');
    expect(channelFor(defaultRule, 'C0ACCOUNT', 'C0ENV')).toBe('C0ACCOUNT');
    expect(channelFor(defaultRule, undefined, 'C0ENV')).toBe('C0ENV');
  });
});

describe('ApprovalPolicy per rule', () => {
  let lookups = 0;
  const policy = new ApprovalPolicy({
    clock: { now: () => 0 },
    logger: silentLogger,
    directory: {
      membersOf: async (groupId: string) => {
        lookups += 1;
        if (groupId === 'SBROKEN') throw new Error('usergroups.users.list failed');
        return groupId === 'SADMINS' ? ['UBOB'] : [];
      },
    },
  });

  it('checks the rule’s users and groups, caching group members across rules', async () => {
    expect(await policy.check('UALICE', defaultRule.requires.approvers)).toEqual({ allowed: true });
    expect(await policy.check('UALICE', deletes.requires.approvers)).toEqual({
      allowed: false,
      refusal: 'not_listed',
    });
    expect(await policy.check('UBOB', deletes.requires.approvers)).toEqual({ allowed: true });
    expect(await policy.check('UBOB', { users: [], groups: ['SADMINS'] })).toEqual({ allowed: true });
    expect(lookups).toBe(1);
  });

  it('any of several rules: allowed by one is allowed; an unresolvable group is not a no', async () => {
    const lists = [deletes.requires.approvers, defaultRule.requires.approvers];
    expect((await policy.checkAny('UALICE', lists)).allowed).toBe(true);
    expect(await policy.checkAny('UMALLORY', lists)).toEqual({ allowed: false, refusal: 'not_listed' });
    expect(await policy.checkAny('UMALLORY', [{ users: [], groups: ['SBROKEN'] }])).toEqual({
      allowed: false,
      refusal: 'membership_unknown',
    });
  });
});
