/**
 * A rule in words for a card or the CLI: "Rule deletes: 2 approvals from @storage-admins". Plain text:
 * the caller supplies how a name is emphasised and how a user or group is named (the Slack layer uses
 * mrkdwn and mentions, and escapes), so this module knows nothing of Slack.
 */
import type { Rule, RuleMatch } from './types.js';

export interface RuleWording {
  /** How the rule's name is shown; default: as it is. */
  name?: (name: string) => string;
  /** How an approver is named; default: the id after @. */
  approver?: (kind: 'user' | 'group', id: string) => string;
}

const plural = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;

/** One line: the rule's name, its approvals and approvers, then its other requirements. */
export function describeRule(rule: Rule, wording: RuleWording = {}): string {
  const name = wording.name ?? ((n) => n);
  const approver = wording.approver ?? ((_kind, id) => `@${id}`);
  const { requires } = rule;
  const who = [
    ...requires.approvers.groups.map((id) => approver('group', id)),
    ...requires.approvers.users.map((id) => approver('user', id)),
  ];
  const parts = [
    `${plural(requires.approvals, 'approval', 'approvals')} from ${who.length === 0 ? 'nobody (no approver is named)' : joinWords(who)}`,
  ];
  if (requires.requireReasonToApprove) parts.push('a reason to approve');
  if (requires.remindAfterMinutes !== undefined) {
    parts.push(`reminders after ${plural(requires.remindAfterMinutes, 'minute', 'minutes')}`);
  }
  if (requires.autoCancelAfterHours !== undefined) {
    parts.push(`cancelled after ${plural(requires.autoCancelAfterHours, 'hour', 'hours')} unapproved`);
  }
  return `Rule ${name(rule.name)}: ${parts.join('; ')}`;
}

function joinWords(words: readonly string[]): string {
  if (words.length <= 1) return words.join('');
  return `${words.slice(0, -1).join(', ')} or ${words.at(-1)}`;
}

/** Which jobs a rule is for, e.g. "jobs in account prod, operation copy or restore, at least 1000000 tasks". */
export function describeMatch(match: RuleMatch): string {
  const parts: string[] = [];
  if (match.account !== undefined) parts.push(`account ${joinWords(match.account)}`);
  if (match.region !== undefined) parts.push(`region ${joinWords(match.region)}`);
  if (match.operation !== undefined) parts.push(`operation ${joinWords(match.operation)}`);
  if (match.bucket !== undefined) parts.push(`target or manifest bucket ${joinWords(match.bucket)}`);
  if (match.minTasks !== undefined) parts.push(`at least ${plural(match.minTasks, 'task', 'tasks')}`);
  if (match.maxTasks !== undefined) parts.push(`at most ${plural(match.maxTasks, 'task', 'tasks')}`);
  if (match.destructive === true) parts.push('deleting objects');
  return parts.length === 0 ? 'every job' : `jobs with ${parts.join(', ')}`;
}
