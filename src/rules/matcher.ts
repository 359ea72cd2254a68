/**
 * Which rule applies to a job, and why: pure, so the decision path, the cards and `cosjob rules explain`
 * all get the same answer for the same job and rules.
 */
import { globMatches } from './glob.js';
import type { JobFacts } from './job-facts.js';
import type { Rule, RuleMatch, RuleSet } from './types.js';

export type MatchKey =
  | 'account'
  | 'region'
  | 'operation'
  | 'bucket'
  | 'min_tasks'
  | 'max_tasks'
  | 'destructive';

/** One match key's verdict on one job: what the rule asked, what the job has, and whether it held. */
export interface KeyVerdict {
  key: MatchKey;
  matched: boolean;
  /** What the rule asks, e.g. `one of delete`, `at least 1000000`. */
  wanted: string;
  /** What the job has, e.g. `copy`, `1200 tasks`. */
  actual: string;
}

export interface RuleEvaluation {
  rule: string;
  matched: boolean;
  /** Every key the rule tests, in a fixed order (all of them, not only up to the first miss). */
  keys: KeyVerdict[];
}

export interface RuleChoice {
  rule: Rule;
  /** True when no rule of the file matched and the default applied. */
  isDefault: boolean;
  /** The rules tried in order, up to and including the one that matched (the default is not listed). */
  why: RuleEvaluation[];
}

const anyOf = (items: readonly string[]) => `one of ${items.join(', ')}`;

export function evaluateRule(match: RuleMatch, job: JobFacts): KeyVerdict[] {
  const verdicts: KeyVerdict[] = [];
  if (match.account !== undefined) {
    verdicts.push({
      key: 'account',
      matched: match.account.includes(job.account),
      wanted: anyOf(match.account),
      actual: job.account,
    });
  }
  if (match.region !== undefined) {
    verdicts.push({
      key: 'region',
      matched: match.region.includes(job.region),
      wanted: anyOf(match.region),
      actual: job.region,
    });
  }
  if (match.operation !== undefined) {
    verdicts.push({
      key: 'operation',
      matched: job.operation !== undefined && match.operation.includes(job.operation),
      wanted: anyOf(match.operation),
      actual: job.operation ?? `${job.rawOperation} (not one cosjob knows)`,
    });
  }
  if (match.bucket !== undefined) {
    const buckets = [job.targetBucket, job.manifestBucket].filter((b): b is string => b !== undefined);
    const seen = [
      ...(job.targetBucket === undefined ? [] : [`target ${job.targetBucket}`]),
      ...(job.manifestBucket === undefined ? [] : [`manifest ${job.manifestBucket}`]),
    ];
    verdicts.push({
      key: 'bucket',
      matched: match.bucket.some((glob) => buckets.some((bucket) => globMatches(glob, bucket))),
      wanted: `matching ${match.bucket.join(', ')}`,
      actual: seen.length === 0 ? 'no bucket known' : seen.join(', '),
    });
  }
  if (match.minTasks !== undefined) {
    verdicts.push({
      key: 'min_tasks',
      matched: job.totalTasks >= match.minTasks,
      wanted: `at least ${match.minTasks} tasks`,
      actual: `${job.totalTasks} tasks`,
    });
  }
  if (match.maxTasks !== undefined) {
    verdicts.push({
      key: 'max_tasks',
      matched: job.totalTasks <= match.maxTasks,
      wanted: `at most ${match.maxTasks} tasks`,
      actual: `${job.totalTasks} tasks`,
    });
  }
  if (match.destructive === true) {
    verdicts.push({
      key: 'destructive',
      matched: job.destructive,
      wanted: 'a job that deletes objects',
      actual: job.destructive ? 'deletes objects' : 'does not delete objects',
    });
  }
  return verdicts;
}

/** The first rule whose every key holds, else the default rule. */
export function chooseRule(rules: RuleSet, job: JobFacts): RuleChoice {
  const why: RuleEvaluation[] = [];
  for (const rule of rules.rules) {
    const keys = evaluateRule(rule.match, job);
    const matched = keys.every((k) => k.matched);
    why.push({ rule: rule.name, matched, keys });
    if (matched) return { rule, isDefault: false, why };
  }
  return { rule: rules.defaultRule, isDefault: true, why };
}
