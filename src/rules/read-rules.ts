/**
 * The `rules:` list of cosjob.yml, checked against the accounts (a rule may only name an account and a
 * region cosjob watches) and resolved against the default rule: a requirement a rule leaves out is the
 * default's, so `approvals: 2` alone keeps the environment's approvers.
 */

import { type DeclaredAccounts, readChannel } from '../config/accounts.js';
import { SLACK_USER_ID, SLACK_USERGROUP_ID } from '../config/approvals.js';
import { regionProblem } from '../config/cos.js';
import { SETTINGS } from '../config/settings.js';
import type { Located, YamlFile } from '../config/yaml-file.js';
import { bucketGlobProblem } from './glob.js';
import {
  DEFAULT_RULE_NAME,
  RULE_OPERATIONS,
  type Rule,
  type RuleMatch,
  type RuleOperation,
  type RuleRequirements,
} from './types.js';

export const RULE_KEYS = [
  'name',
  'match',
  'approvals',
  'approvers',
  'channel',
  'require_reason_to_approve',
  'remind_after_minutes',
  'auto_cancel_after_hours',
] as const;
export const MATCH_KEYS = [
  'account',
  'region',
  'operation',
  'bucket',
  'min_tasks',
  'max_tasks',
  'destructive',
] as const;
const APPROVER_KEYS = ['users', 'groups'] as const;

export const RULE_NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9 _.-]{0,62}$/;
// Task counts: COS jobs hold up to billions of objects; the bound only keeps the number exact.
const MAX_TASKS = Number.MAX_SAFE_INTEGER;

const range = (setting: { range?: { min: number; max: number } }) => setting.range ?? { min: 1, max: 10 };

export function readRules(
  file: YamlFile,
  at: Located,
  accounts: DeclaredAccounts,
  defaultRule: Rule,
): Rule[] {
  const items = file.seq(at, 'rules in order, the first that matches a job applies');
  if (items === undefined) return [];
  const rules: Rule[] = [];
  let catchAll: string | undefined;
  for (const { item, value: rule } of file.uniquelyNamed(items, 'rule', (item) =>
    readRule(file, item, accounts, defaultRule),
  )) {
    if (catchAll !== undefined) {
      file.warn(item, `can never apply: rule ${JSON.stringify(catchAll)} before it matches every job`);
    } else if (Object.keys(rule.match).length === 0) {
      catchAll = rule.name;
    }
    rules.push(rule);
  }
  return rules;
}

function readRule(
  file: YamlFile,
  at: Located,
  accounts: DeclaredAccounts,
  defaultRule: Rule,
): Rule | undefined {
  const map = file.map(at, 'a rule with name, match and what it requires');
  if (map === undefined) return undefined;
  const keys = file.entries(at, map, RULE_KEYS);
  const problemsBefore = file.problems.length;

  const nameAt = keys.get('name');
  let name: string | undefined;
  if (nameAt === undefined) file.problem(at, 'needs a name: it is shown on cards and recorded in the audit');
  else {
    name = file.string(nameAt, 'a rule name such as deletes');
    if (name !== undefined && !RULE_NAME_PATTERN.test(name)) {
      file.problem(
        nameAt,
        'must be letters, digits, spaces and _ . - (at most 63, starting with a letter or digit)',
      );
    } else if (name === DEFAULT_RULE_NAME) {
      file.problem(nameAt, `is reserved for the default rule from the environment: choose another name`);
    }
  }
  const matchAt = keys.get('match');
  const match = matchAt === undefined ? undefined : readMatch(file, matchAt, accounts);
  if (matchAt === undefined) {
    file.problem(at, 'needs a match: the keys a job must have (write match: {} to match every job)');
  }
  const requires = readRequirements(file, keys, defaultRule.requires);
  if (file.problems.length > problemsBefore || match === undefined || requires === undefined)
    return undefined;
  return { name: name!, match, requires, source: `${file.file}:${file.lineOf(at.node)}` };
}

function readMatch(file: YamlFile, at: Located, accounts: DeclaredAccounts): RuleMatch | undefined {
  const map = file.map(at, `any of ${MATCH_KEYS.join(', ')}`);
  if (map === undefined) return undefined;
  const keys = file.entries(at, map, MATCH_KEYS);
  // A key present in the file but left undefined here was wrong: dropping it would widen the match.
  const match: { [K in keyof RuleMatch]: RuleMatch[K] | undefined } = {};
  const accountNames = [...new Set(accounts.names)];
  const watched = new Set(accounts.regions);

  const accountAt = keys.get('account');
  if (accountAt) {
    match.account = words(file, accountAt, 'account names', (name) =>
      accountNames.includes(name)
        ? undefined
        : `is not an account of this file: expected ${accountNames.join(', ') || 'an account name'}`,
    );
  }
  const regionAt = keys.get('region');
  if (regionAt) {
    match.region = words(file, regionAt, 'COS regions', (region) => {
      const problem = regionProblem(region);
      if (problem !== undefined) return problem;
      return watched.size > 0 && !watched.has(region)
        ? `is not watched by any account (${[...watched].join(', ')}): add it to an account's regions, or the rule can never match`
        : undefined;
    });
  }
  const operationAt = keys.get('operation');
  if (operationAt) {
    match.operation = words(file, operationAt, 'operations', (op) =>
      (RULE_OPERATIONS as readonly string[]).includes(op)
        ? undefined
        : `is not an operation: expected ${RULE_OPERATIONS.join(', ')}`,
    ) as RuleOperation[] | undefined;
  }
  const bucketAt = keys.get('bucket');
  if (bucketAt) match.bucket = words(file, bucketAt, 'bucket globs', bucketGlobProblem);
  const minAt = keys.get('min_tasks');
  if (minAt) {
    const value = file.integer(minAt, 0, MAX_TASKS);
    if (value !== undefined) match.minTasks = value;
  }
  const maxAt = keys.get('max_tasks');
  if (maxAt) {
    const value = file.integer(maxAt, 0, MAX_TASKS);
    if (value !== undefined) match.maxTasks = value;
  }
  if (
    maxAt &&
    match.minTasks !== undefined &&
    match.maxTasks !== undefined &&
    match.minTasks > match.maxTasks
  ) {
    file.problem(maxAt, `is below min_tasks (${match.minTasks}): no job could match`);
  }
  const destructiveAt = keys.get('destructive');
  if (destructiveAt) {
    const value = file.boolean(destructiveAt);
    if (value === true) match.destructive = true;
    else if (value === false) {
      file.problem(
        destructiveAt,
        'can only be true (jobs that delete objects); leave it out to match every job',
      );
    }
  }
  if (Object.values(match).some((v) => v === undefined)) return undefined;
  return Object.fromEntries(Object.entries(match).filter(([, v]) => v !== undefined)) as RuleMatch;
}

/** One word or a list of them, each checked; undefined when any is wrong or the list is empty. */
function words(
  file: YamlFile,
  at: Located,
  what: string,
  check: (word: string) => string | undefined,
): string[] | undefined {
  const items = file.strings(at, what);
  if (items === undefined) return undefined;
  if (items.length === 0) {
    file.problem(at, `is empty: name at least one, or leave the key out`);
    return undefined;
  }
  const found: string[] = [];
  let bad = false;
  for (const item of items) {
    const word = file.string(item, what);
    if (word === undefined) {
      bad = true;
      continue;
    }
    const problem = check(word);
    if (problem !== undefined) {
      file.problem(item, `${JSON.stringify(word.slice(0, 40))} ${problem}`);
      bad = true;
    } else if (!found.includes(word)) found.push(word);
  }
  return bad ? undefined : found;
}

function readRequirements(
  file: YamlFile,
  keys: Map<string, Located>,
  inherited: RuleRequirements,
): RuleRequirements | undefined {
  const approvalsRange = range(SETTINGS.REQUIRED_APPROVALS);
  const approvalsAt = keys.get('approvals');
  const approvals = approvalsAt
    ? file.integer(approvalsAt, approvalsRange.min, approvalsRange.max)
    : inherited.approvals;
  const approversAt = keys.get('approvers');
  const approvers = approversAt ? readApprovers(file, approversAt) : inherited.approvers;
  const channel = readChannel(file, keys.get('channel'));
  const reasonAt = keys.get('require_reason_to_approve');
  const requireReasonToApprove = reasonAt ? file.boolean(reasonAt) : inherited.requireReasonToApprove;
  const remindAt = keys.get('remind_after_minutes');
  const remindRange = range(SETTINGS.REMIND_AFTER_MINUTES);
  const remindAfterMinutes = remindAt
    ? file.integer(remindAt, remindRange.min, remindRange.max)
    : inherited.remindAfterMinutes;
  const cancelAt = keys.get('auto_cancel_after_hours');
  const cancelRange = range(SETTINGS.AUTO_CANCEL_AFTER_HOURS);
  const autoCancelAfterHours = cancelAt
    ? file.integer(cancelAt, cancelRange.min, cancelRange.max)
    : inherited.autoCancelAfterHours;
  if (approvals === undefined || approvers === undefined || requireReasonToApprove === undefined)
    return undefined;
  const countAt = approvalsAt ?? approversAt;
  // Only a rule that sets either is checked here; the default's own pair is the environment reader's.
  if (countAt !== undefined && approvers.groups.length === 0 && approvers.users.length < approvals) {
    file.problem(
      countAt,
      `asks for ${approvals} distinct approvals but names only ${approvers.users.length} approver${approvers.users.length === 1 ? '' : 's'} and no group: no job could ever be approved`,
    );
    return undefined;
  }
  return {
    approvals,
    approvers,
    ...(channel === undefined ? {} : { channel }),
    requireReasonToApprove,
    requireReasonToCancel: inherited.requireReasonToCancel,
    ...(remindAfterMinutes === undefined ? {} : { remindAfterMinutes }),
    ...(autoCancelAfterHours === undefined ? {} : { autoCancelAfterHours }),
  };
}

function readApprovers(file: YamlFile, at: Located): RuleRequirements['approvers'] | undefined {
  const map = file.map(at, 'users and/or groups: Slack user ids (U…) and user group ids (S…)');
  if (map === undefined) return undefined;
  const keys = file.entries(at, map, APPROVER_KEYS);
  const usersAt = keys.get('users');
  const groupsAt = keys.get('groups');
  const users = usersAt
    ? words(file, usersAt, 'Slack user ids', (id) =>
        SLACK_USER_ID.test(id) ? undefined : 'is not a Slack user id such as U0123ABCD',
      )
    : [];
  const groups = groupsAt
    ? words(file, groupsAt, 'Slack user group ids', (id) =>
        SLACK_USERGROUP_ID.test(id) ? undefined : 'is not a Slack user group id such as S0123ABCD',
      )
    : [];
  if (users === undefined || groups === undefined) return undefined;
  if (users.length === 0 && groups.length === 0) {
    file.problem(
      at,
      'names nobody: give users, groups or both (or leave approvers out to use the default approvers)',
    );
    return undefined;
  }
  return { users, groups };
}
