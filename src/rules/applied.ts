/**
 * Rules as the engine applies them: the rule chosen for a job, with its hash computed once, and what
 * decides where its card goes. Pure: the decision path, the watcher and the cards get the same answer for
 * the same job and rules.
 */
import type { Job } from '../cos/model.js';
import { ruleHash } from './hash.js';
import { jobFacts } from './job-facts.js';
import { chooseRule } from './matcher.js';
import type { Approvers, Rule, RuleSet } from './types.js';

/** A rule as applied to one job: the rule, its hash, and whether it is the default. */
export interface AppliedRule {
  rule: Rule;
  hash: string;
  isDefault: boolean;
}

/** The name and hash a job record, a vote or an audit entry keeps of the rule it was under. */
export interface RuleStamp {
  name: string;
  hash: string;
}

export const stampOf = (applied: AppliedRule): RuleStamp => ({ name: applied.rule.name, hash: applied.hash });

/** Where a job's card goes: the rule's channel, else the account's, else the environment's. */
export function channelFor(
  rule: Rule,
  accountChannel: string | undefined,
  environmentChannel: string,
): string {
  return rule.requires.channel ?? accountChannel ?? environmentChannel;
}

/** Whether nothing forJob reads of the job can change any more. */
function isFrozenForRules(job: Job): boolean {
  return (
    Object.isFrozen(job) &&
    Object.isFrozen(job.operation) &&
    Object.isFrozen(job.operation.parameters) &&
    Object.isFrozen(job.progress) &&
    (job.manifest === undefined || (Object.isFrozen(job.manifest) && Object.isFrozen(job.manifest.location)))
  );
}

export class RuleBook {
  private readonly hashes = new Map<Rule, string>();
  /**
   * The rule chosen for each frozen job, with where it was chosen. The job records cosjob remembers are
   * handed out with the same frozen Job every poll, and a quiet poll asks for the rule of every waiting
   * job: choosing again (facts, bucket patterns, matching) was about a tenth of a quiet cycle's CPU for
   * 1,000 jobs. The rules never change in a running process, and a frozen job cannot either.
   */
  private readonly chosen = new WeakMap<Job, { account: string; region: string; applied: AppliedRule }>();

  constructor(readonly rules: RuleSet) {}

  get defaultRule(): Rule {
    return this.rules.defaultRule;
  }

  /** The rule for a job as DescribeJob returned it, in that account and region. */
  forJob(job: Job, where: { account: string; region: string }): AppliedRule {
    const frozen = isFrozenForRules(job);
    if (frozen) {
      const known = this.chosen.get(job);
      if (known?.account === where.account && known.region === where.region) return known.applied;
    }
    const choice = chooseRule(this.rules, jobFacts(job, where));
    const applied: AppliedRule = {
      rule: choice.rule,
      hash: this.hashOf(choice.rule),
      isDefault: choice.isDefault,
    };
    if (frozen) {
      Object.freeze(applied);
      this.chosen.set(job, { account: where.account, region: where.region, applied });
    }
    return applied;
  }

  hashOf(rule: Rule): string {
    let hash = this.hashes.get(rule);
    if (hash === undefined) {
      hash = ruleHash(rule);
      this.hashes.set(rule, hash);
    }
    return hash;
  }

  /**
   * Whether any rule (the default included) asks for a reason to approve. When none does, an Approve click
   * needs no look at the job's rule before deciding, which saves a job-record read on every click.
   */
  get anyAsksReasonToApprove(): boolean {
    return [...this.rules.rules, this.rules.defaultRule].some((rule) => rule.requires.requireReasonToApprove);
  }

  /** Every approver list of every rule, for a check where no job is known yet (no COS call made). */
  everyApprovers(): Approvers[] {
    return [...this.rules.rules, this.rules.defaultRule].map((rule) => rule.requires.approvers);
  }
}
