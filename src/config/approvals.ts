/** Who may approve, how many approvals a job needs, and the audit chain's key. */
import type { SettingReader } from './reader.js';
import { SETTINGS } from './settings.js';

export interface ApprovalConfig {
  approverUserIds: string[];
  approverUsergroupIds: string[];
  requiredApprovals: number;
  requireCancelReason: boolean;
  auditHmacKey?: string;
  /** Per-user limits on people who may not act (absent: the catalogue defaults). */
  limits?: AbuseLimits;
}

export interface AbuseLimits {
  refusalsPerUserPerMinute: number;
  lookupsPerUserPerMinute: number;
  refusalEchoIntervalSeconds: number;
}

export const SLACK_USER_ID = /^[UW][A-Z0-9]{2,}$/;
export const SLACK_USERGROUP_ID = /^S[A-Z0-9]{2,}$/;
export const MIN_AUDIT_HMAC_KEY_BYTES = 16;

const itemMatching = (pattern: RegExp, what: string) => (item: string) =>
  pattern.test(item) ? undefined : `is not ${what}`;

export function readApprovalConfig(reader: SettingReader): ApprovalConfig {
  const approverUserIds = reader.list(
    SETTINGS.APPROVER_USER_IDS,
    itemMatching(SLACK_USER_ID, 'a Slack user id such as U0123ABCD'),
  );
  const approverUsergroupIds = reader.list(
    SETTINGS.APPROVER_USERGROUP_IDS,
    itemMatching(SLACK_USERGROUP_ID, 'a Slack user group id such as S0123ABCD'),
  );
  if (
    approverUserIds.length === 0 &&
    approverUsergroupIds.length === 0 &&
    !reader.hasProblem(SETTINGS.APPROVER_USER_IDS) &&
    !reader.hasProblem(SETTINGS.APPROVER_USERGROUP_IDS)
  ) {
    reader.problems.push(
      'APPROVER_USER_IDS and APPROVER_USERGROUP_IDS are both empty: name at least one approver',
    );
  }
  const requiredApprovals = reader.integer(SETTINGS.REQUIRED_APPROVALS);
  const requireCancelReason = reader.boolean(SETTINGS.REQUIRE_CANCEL_REASON);
  const auditHmacKey = reader.text(SETTINGS.AUDIT_HMAC_KEY);
  if (auditHmacKey === undefined) {
    reader.warn(
      SETTINGS.AUDIT_HMAC_KEY,
      'is not set: the audit chain is plain SHA-256, so anyone who can write to Redis can rewrite it unnoticed; set it to random text of at least 16 bytes (e.g. openssl rand -hex 32)',
    );
  } else if (Buffer.byteLength(auditHmacKey) < MIN_AUDIT_HMAC_KEY_BYTES) {
    reader.problem(
      SETTINGS.AUDIT_HMAC_KEY,
      `is too short: use at least ${MIN_AUDIT_HMAC_KEY_BYTES} bytes of random text (e.g. openssl rand -hex 32)`,
    );
  }
  const limits: AbuseLimits = {
    refusalsPerUserPerMinute: reader.integer(SETTINGS.REFUSALS_PER_USER_PER_MINUTE),
    lookupsPerUserPerMinute: reader.integer(SETTINGS.LOOKUPS_PER_USER_PER_MINUTE),
    refusalEchoIntervalSeconds: reader.integer(SETTINGS.REFUSAL_ECHO_INTERVAL_SECONDS),
  };
  return {
    approverUserIds,
    approverUsergroupIds,
    requiredApprovals,
    requireCancelReason,
    limits,
    ...(auditHmacKey !== undefined ? { auditHmacKey } : {}),
  };
}
