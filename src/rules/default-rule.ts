/**
 * The default rule: what applies to a job no rule of cosjob.yml matches, and to every job when there is
 * no file. It is the environment's approval settings, exactly as they worked before rules existed.
 */
import type { ApprovalConfig } from '../config/approvals.js';
import type { WatcherConfig } from '../config/watcher.js';
import { DEFAULT_RULE_NAME, type Rule } from './types.js';

/** The approval settings the default rule is made of (the environment's, or an engine's own). */
export type DefaultRuleApprovals = Readonly<
  Pick<ApprovalConfig, 'requiredApprovals' | 'requireCancelReason'> & {
    approverUserIds: readonly string[];
    approverUsergroupIds: readonly string[];
  }
>;

export function defaultRule(approvals: DefaultRuleApprovals, watcher: Partial<WatcherConfig>): Rule {
  return {
    name: DEFAULT_RULE_NAME,
    match: {},
    requires: {
      approvals: approvals.requiredApprovals,
      approvers: { users: [...approvals.approverUserIds], groups: [...approvals.approverUsergroupIds] },
      requireReasonToApprove: false,
      requireReasonToCancel: approvals.requireCancelReason,
      ...(watcher.remindAfterMinutes === undefined ? {} : { remindAfterMinutes: watcher.remindAfterMinutes }),
      ...(watcher.autoCancelAfterHours === undefined
        ? {}
        : { autoCancelAfterHours: watcher.autoCancelAfterHours }),
    },
  };
}
