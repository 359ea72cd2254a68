/** The card's rule lines: what the job's rule requires, and a note when it changed while the job waited. */
import { describe, expect, it } from 'vitest';
import type { Rule } from '../../src/rules/types.js';
import { ruleChangeLine, ruleLine } from '../../src/slack/blocks/rule.js';

const rule = (name: string, users: string[], groups: string[]): Rule => ({
  name,
  match: {},
  requires: {
    approvals: 2,
    approvers: { users, groups },
    requireReasonToApprove: true,
    requireReasonToCancel: true,
    autoCancelAfterHours: 24,
  },
});

describe('ruleLine', () => {
  it('names the rule, mentions groups and users, then the other requirements', () => {
    expect(ruleLine(rule('deletes', ['UALICE'], ['SADMINS']))).toBe(
      'Rule *deletes*: 2 approvals from <!subteam^SADMINS> or <@UALICE>; a reason to approve; cancelled after 24 hours unapproved',
    );
  });

  it('escapes what is not a Slack id or a plain name, so nothing pings or formats', () => {
    const line = ruleLine(rule('a <!channel> *rule*', ['<!here>'], ['not-a-group']));
    expect(line).not.toContain('<!channel>');
    expect(line).not.toContain('<!here>');
    expect(line).not.toContain('<!subteam^not-a-group>');
    expect(line).toContain('&lt;!channel&gt;');
  });
});

describe('ruleChangeLine', () => {
  const from = { name: 'deletes', hash: '1111111111111111' };
  const to = { name: 'deletes-strict', hash: '2222222222222222' };

  it('says nothing when the rule is the one recorded and no change was recorded for it', () => {
    expect(ruleChangeLine(to, to, undefined)).toBeUndefined();
    expect(ruleChangeLine(to, undefined, undefined)).toBeUndefined();
    // A change recorded for an earlier rule says nothing about the rule the job has now.
    expect(
      ruleChangeLine(from, from, {
        from: to,
        to: { ...to, hash: '3333333333333333' },
        kept: 1,
        dropped: 0,
        at: 0,
      }),
    ).toBeUndefined();
  });

  it('before the votes are re-checked: the rules changed, and the next vote checks them', () => {
    expect(ruleChangeLine(to, from, undefined)).toBe(
      '⚠️ Rule changed while waiting: was *deletes*, now *deletes-strict*; votes cast so far are checked against it at the next vote.',
    );
  });

  it('after: how many votes were kept, or that none had been cast', () => {
    expect(ruleChangeLine(to, to, { from, to, kept: 1, dropped: 1, at: 0 })).toBe(
      '⚠️ Rule changed while waiting: was *deletes*, now *deletes-strict*; 1 of 2 votes kept.',
    );
    expect(ruleChangeLine(to, to, { from, to, kept: 0, dropped: 0, at: 0 })).toBe(
      '⚠️ Rule changed while waiting: was *deletes*, now *deletes-strict*; no vote had been cast.',
    );
  });
});
