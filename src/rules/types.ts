/**
 * Approval rules: which jobs a rule is for (its match) and what it requires of them. Rules are tried in
 * the file's order, the first whose every match key holds wins, and the default rule (from the
 * environment) applies to every job no rule matched.
 */

/** The operation names a rule's `operation` key uses, one per COS batch operation cosjob knows. */
export const RULE_OPERATIONS = ['copy', 'restore', 'tagging', 'delete'] as const;
export type RuleOperation = (typeof RULE_OPERATIONS)[number];

/** Every key absent from a match is not tested; a match with no keys matches every job. */
export interface RuleMatch {
  /** Account names (any of them). */
  account?: readonly string[];
  /** COS regions (any of them). */
  region?: readonly string[];
  operation?: readonly RuleOperation[];
  /** Globs (`*`, `?`) on the bucket names; a job matches when its target or manifest bucket does. */
  bucket?: readonly string[];
  /** Inclusive bounds on the job's total task count. */
  minTasks?: number;
  maxTasks?: number;
  /** true: only destructive jobs (see jobFacts). */
  destructive?: true;
}

export interface Approvers {
  users: readonly string[];
  groups: readonly string[];
}

/** What a rule requires, every field resolved (a field the file leaves out comes from the default rule). */
export interface RuleRequirements {
  /** Distinct people who must approve before Ready is sent. */
  approvals: number;
  approvers: Approvers;
  /** Where the job's card goes; undefined: the account's channel, else SLACK_CHANNEL_ID. */
  channel?: string;
  requireReasonToApprove: boolean;
  requireReasonToCancel: boolean;
  remindAfterMinutes?: number;
  autoCancelAfterHours?: number;
}

export interface Rule {
  name: string;
  match: RuleMatch;
  requires: RuleRequirements;
  /** Where the rule was written, for `cosjob rules explain` (`cosjob.yml:12`); absent for the default. */
  source?: string;
}

/** The ordered rules of a file and the default after them. */
export interface RuleSet {
  rules: readonly Rule[];
  defaultRule: Rule;
}

export const DEFAULT_RULE_NAME = 'default';
