/**
 * A job's approval rule on its card: "Rule *deletes*: 2 approvals from <!subteam^S…>", and a note when the
 * rule changed while the job waited. Rule names come from the configuration file and ids from it too:
 * they are still escaped and capped like any other text, and ids that are not Slack ids never ping.
 */
import type { RuleChange } from '../../approvals/job-records.js';
import type { RuleStamp } from '../../rules/applied.js';
import { describeRule } from '../../rules/describe.js';
import type { Rule } from '../../rules/types.js';
import { mentionUser, mentionUsergroup, TEXT_CAPS, userText } from './text.js';

const ruleName = (name: string) => `*${userText(name, TEXT_CAPS.ruleName)}*`;

/** What the rule requires, in one mrkdwn line. */
export function ruleLine(rule: Rule): string {
  return describeRule(rule, {
    name: ruleName,
    approver: (kind, id) => (kind === 'group' ? mentionUsergroup(id) : mentionUser(id)),
  });
}

/**
 * The note for a rule change: the change recorded when the votes were re-checked against the rule the
 * job has now, or, when the rules changed and no vote has been re-checked yet, that they will be.
 */
export function ruleChangeLine(
  current: RuleStamp,
  recorded: RuleStamp | undefined,
  change: RuleChange | undefined,
): string | undefined {
  if (recorded !== undefined && recorded.hash !== current.hash) {
    return `⚠️ Rule changed while waiting: was ${ruleName(recorded.name)}, now ${ruleName(current.name)}; votes cast so far are checked against it at the next vote.`;
  }
  if (change === undefined || change.to.hash !== current.hash) return undefined;
  const total = change.kept + change.dropped;
  const votes =
    total === 0
      ? 'no vote had been cast'
      : `${change.kept} of ${total} ${total === 1 ? 'vote' : 'votes'} kept`;
  return `⚠️ Rule changed while waiting: was ${ruleName(change.from.name)}, now ${ruleName(change.to.name)}; ${votes}.`;
}
