/**
 * A decision's outcome in words, for people. The core returns codes and data; the Slack layer and the CLI
 * both say them with these sentences (each adds its own "what to do").
 */
import type {
  DecisionAction,
  DecisionRequest,
  DecisionResult,
  InputProblem,
  PolicyRefusal,
  Refusal,
} from './approvals/decision.js';
import { MAX_REASON_BYTES } from './approvals/decision.js';
import { DEFAULT_ACCOUNT_NAME } from './jobs/job-ref.js';

type Subject = Pick<DecisionRequest, 'action' | 'account' | 'region' | 'jobId'>;

/** `ap-guangzhou`, or `ap-guangzhou (account prod)` for an account other than the default one. */
function placeOf(subject: Subject): string {
  return subject.account === DEFAULT_ACCOUNT_NAME
    ? subject.region
    : `${subject.region} (account ${subject.account})`;
}

const INPUT_PROBLEM: Record<InputProblem, string> = {
  job_id: 'That is not a valid COS JobId (letters, digits, - and _; at most 64 bytes).',
  action: 'The action must be approve or cancel.',
  reason_too_long: `The reason is too long (at most ${MAX_REASON_BYTES} bytes of UTF-8).`,
  reason_control_characters:
    'The reason contains control characters (such as NUL, ESC or DEL). Type it again as plain text; line breaks and tabs are fine.',
  audit_entry:
    'The request cannot be recorded in the audit trail as given (the person or source is not one it accepts); nothing was changed.',
};

const POLICY_REFUSAL: Record<PolicyRefusal, string> = {
  not_listed:
    'you are not an approver for COS batch jobs. Ask an admin to add you to APPROVER_USER_IDS or to an approver user group.',
  membership_unknown:
    'cosjob could not check your approver group membership with Slack just now. Try again in a minute; if it persists, ask an admin to check the bot has the usergroups:read scope.',
  system_reserved: 'only cosjob itself acts as "system".',
};

const PAST: Record<DecisionAction, string> = { approve: 'approved', cancel: 'cancelled' };
const ONGOING: Record<DecisionAction, string> = { approve: 'approving', cancel: 'cancelling' };

function refusalText(subject: Subject, refusal: Refusal): string {
  switch (refusal.code) {
    case 'invalid_input':
      return INPUT_PROBLEM[refusal.problem ?? 'job_id'];
    case 'reason_required':
      return subject.action === 'approve'
        ? `A reason is required to approve this job: its rule${refusal.rule ? ` ${refusal.rule}` : ''} asks approvers to say why.`
        : 'A reason is required to cancel a job.';
    case 'unknown_account':
      return `Account ${subject.account} is not one cosjob watches (configured: ${(refusal.configuredAccounts ?? []).join(', ')}).`;
    case 'unknown_region':
      return subject.account === DEFAULT_ACCOUNT_NAME
        ? `Region ${subject.region} is not one cosjob watches (configured: ${(refusal.configuredRegions ?? []).join(', ')}).`
        : `Region ${subject.region} is not one cosjob watches for account ${subject.account} (configured: ${(refusal.configuredRegions ?? []).join(', ')}).`;
    case 'not_approver':
      return `You can't ${subject.action} this job: ${POLICY_REFUSAL[refusal.policy ?? 'not_listed']}`;
    case 'unknown_job':
      return `cosjob has no card for job ${subject.jobId} in ${placeOf(subject)}; nothing was changed.`;
    case 'already_voted':
      return `You already approved this job (${refusal.votes} of ${refusal.required} approvals). Another approver needs to approve it.`;
    case 'busy':
      return refusal.heldBy && refusal.heldAction
        ? `${refusal.heldBy.name} is already ${ONGOING[refusal.heldAction]} this job.`
        : 'Someone is already acting on this job.';
    case 'already_decided': {
      const at = refusal.decidedAt ? ` at ${refusal.decidedAt}` : '';
      return `This job was already ${PAST[refusal.heldAction ?? 'approve']} by ${refusal.heldBy?.name ?? 'someone'}${at}.`;
    }
    case 'job_changed':
      return `The job changed since it was posted (${(refusal.changes ?? []).join('; ')}), so this approval was refused. Check the job in the COS console.`;
    case 'not_suspended':
      return `The job is ${refusal.cosStatus}, not waiting for confirmation, so it cannot be approved.`;
    case 'finished':
      return `The job is already ${refusal.cosStatus}; there is nothing to cancel.`;
  }
}

/** One or two sentences saying what happened. */
export function outcomeText(subject: Subject, outcome: DecisionResult): string {
  switch (outcome.kind) {
    case 'approved':
      return `Approved: COS now reports the job as ${outcome.cosStatus}.`;
    case 'cancelled':
      return `Cancelled: COS now reports the job as ${outcome.cosStatus}.`;
    case 'vote_recorded':
      return `Approval recorded: ${outcome.votes} of ${outcome.required}. The job runs when ${outcome.required - outcome.votes} more approver(s) approve.`;
    case 'refused':
      return refusalText(subject, outcome);
    case 'failed': {
      const detail = outcome.cos ? ` ${outcome.cos.explanation ?? outcome.cos.message}` : '';
      switch (outcome.code) {
        case 'store_unavailable':
          return outcome.damagedRecord
            ? `cosjob's Redis record for job ${subject.jobId} in ${placeOf(subject)} is damaged; an operator should inspect it. Nothing was sent to COS.`
            : 'cosjob could not record this decision (its Redis store is unavailable), so nothing was sent to COS. Try again in a minute; if it persists, tell whoever runs cosjob.';
        case 'cos_error':
          return outcome.cosCall === 'DescribeJob'
            ? `cosjob could not read the job from COS, so nothing was changed.${detail}`
            : `COS refused the change.${detail}`;
        case 'result_unknown':
          return `COS did not confirm the change, and it may still take effect. cosjob will check the job again shortly and post what happened; do not retry yet.${detail}`;
      }
    }
  }
}
