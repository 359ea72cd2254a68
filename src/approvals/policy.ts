import type { Clock } from '../clock.js';
import type { Logger } from '../logger.js';
import type { Approvers } from '../rules/types.js';
import type { PolicyRefusal } from './decision.js';
import { type ApproverDirectory, SYSTEM_ACTOR } from './ports.js';

export interface PolicyOptions {
  directory?: ApproverDirectory;
  clock: Clock;
  logger: Logger;
  /** How long a resolved user-group membership is trusted. */
  cacheTtlMs?: number;
}

export type PolicyVerdict = { allowed: true } | { allowed: false; refusal: PolicyRefusal };

/**
 * Who may approve or cancel under a rule: its listed users, and members of its listed Slack user groups.
 * The rule is given per check (every job has its own); group memberships are cached across rules.
 */
export class ApprovalPolicy {
  /** Members by user group: at most one entry per configured approver group (the keys come from the configuration). */
  private readonly cache = new Map<string, { members: ReadonlySet<string>; until: number }>();
  private readonly ttl: number;

  constructor(private readonly options: PolicyOptions) {
    this.ttl = options.cacheTtlMs ?? 60_000;
  }

  async check(userId: string, approvers: Approvers): Promise<PolicyVerdict> {
    if (userId === SYSTEM_ACTOR.id) return { allowed: true };
    if (approvers.users.includes(userId)) return { allowed: true };
    let lookupFailed = false;
    for (const groupId of approvers.groups) {
      try {
        if ((await this.membersOf(groupId)).has(userId)) return { allowed: true };
      } catch (error) {
        lookupFailed = true;
        this.options.logger.warn('could not resolve approver user group', { groupId, error });
      }
    }
    // A failed lookup is not a "no": the person may well be a member.
    return { allowed: false, refusal: lookupFailed ? 'membership_unknown' : 'not_listed' };
  }

  /** Allowed by at least one of the lists (where no job is known yet); refused as by check() otherwise. */
  async checkAny(userId: string, lists: readonly Approvers[]): Promise<PolicyVerdict> {
    let unknown = false;
    for (const approvers of lists) {
      const verdict = await this.check(userId, approvers);
      if (verdict.allowed) return verdict;
      if (verdict.refusal === 'membership_unknown') unknown = true;
    }
    return { allowed: false, refusal: unknown ? 'membership_unknown' : 'not_listed' };
  }

  private async membersOf(groupId: string): Promise<ReadonlySet<string>> {
    const now = this.options.clock.now();
    const cached = this.cache.get(groupId);
    if (cached && cached.until > now) return cached.members;
    if (!this.options.directory) return new Set();
    const members = new Set(await this.options.directory.membersOf(groupId));
    this.cache.set(groupId, { members, until: now + this.ttl });
    return members;
  }
}
