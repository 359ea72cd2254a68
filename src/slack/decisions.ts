/** The one path from a Slack gesture (button, modal, command) to a decision and back to Slack. */
import type {
  DecisionOutcome,
  DecisionRequest,
  DecisionResult,
  Refusal,
  RefusalCode,
} from '../approvals/decision.js';
import type { ApprovalEngine } from '../approvals/engine.js';
import { outcomeText } from '../decision-text.js';
import type { Logger } from '../logger.js';
import { noticeMessage, refusalMessage } from './blocks/commands.js';
import type { SlackMessage } from './blocks/text.js';
import type { CardService } from './cards.js';

export type Reply = (message: SlackMessage) => Promise<void>;

export interface SlackDecisionDeps {
  engine: ApprovalEngine;
  cards: CardService;
  logger: Logger;
}

const WHAT_TO_DO: Record<RefusalCode, string> = {
  invalid_input: 'Check the JobId and try again; `/cosjob help` shows the usage.',
  unknown_account: 'Use `--account` with one of the configured accounts, or a card.',
  unknown_region:
    'cosjob acts only in its configured regions: use a card, `/cosjob list`, or `--region` with one of them.',
  not_approver: 'Ask an approver to act, or ask an admin to add you as an approver.',
  unknown_job: 'Use `/cosjob list` to see the jobs waiting for approval.',
  already_voted: 'Nothing more to do: wait for another approver.',
  busy: 'Wait a moment: the card will show the result.',
  already_decided: 'Nothing to do: see the card and its thread for who decided and when.',
  job_changed: 'Check the job in the COS console; it will need a fresh review.',
  not_suspended:
    'Only jobs waiting for confirmation (Suspended) can be approved. `/cosjob status <JobId>` shows its status.',
  finished: 'Nothing to do: the job has already ended.',
  reason_required: 'Give a reason: `/cosjob cancel <JobId> <reason>`, or type one in the dialog.',
};

function whatToDo(request: Pick<DecisionRequest, 'action' | 'jobId'>, refusal: Refusal): string {
  if (refusal.code === 'reason_required' && request.action === 'approve') {
    return 'Click Approve on the card and give the reason in the dialog, or type `/cosjob approve <JobId> <reason>`.';
  }
  return WHAT_TO_DO[refusal.code];
}

export function outcomeMessage(
  request: Pick<DecisionRequest, 'action' | 'jobId' | 'region' | 'account'>,
  outcome: DecisionResult,
): SlackMessage {
  const what = `${request.action === 'approve' ? 'Approve' : 'Cancel'} job ${request.jobId}`;
  const text = outcomeText(request, outcome);
  switch (outcome.kind) {
    case 'approved':
    case 'cancelled': {
      const emoji = outcome.kind === 'approved' ? '✅' : '🛑';
      const note = outcome.auditRecorded ? '' : ' (its audit result entry will be written by the reconciler)';
      // The text carries COS's status and request id: untrusted, so escaped by the block builder.
      return noticeMessage({ emoji, message: text, ...(note ? { note } : {}) });
    }
    case 'vote_recorded':
      return noticeMessage({ emoji: '👍', message: text });
    case 'refused':
      return refusalMessage({ what, why: text, whatToDo: whatToDo(request, outcome) });
    case 'failed':
      return refusalMessage({
        what,
        why: text,
        whatToDo:
          outcome.code === 'result_unknown'
            ? 'Wait for the card to update; cosjob re-checks the job with COS.'
            : 'Try again in a minute. If it keeps failing, give whoever runs cosjob the request id below.',
        ...(outcome.cos?.code ? { cosCode: outcome.cos.code } : {}),
        ...(outcome.cos?.requestId ? { requestId: outcome.cos.requestId } : {}),
      });
  }
}

/**
 * Decides, showing the card as in progress once this gesture holds the job (so nobody clicks twice), then
 * renders the card once, echoes the audit entries the decision wrote in the thread, and tells the person
 * what happened.
 */
export async function decideFromSlack(
  deps: SlackDecisionDeps,
  request: DecisionRequest,
  reply: Reply,
): Promise<DecisionOutcome> {
  const { engine, cards } = deps;
  const ref = { account: request.account, region: request.region, jobId: request.jobId };
  const outcome = await engine.decide(request, {
    onClaimed: () =>
      cards.refresh(ref, {
        kind: 'in_progress',
        byUserId: request.actor.id,
        action: request.action,
      }),
  });
  if (outcome.kind === 'refused') {
    // A refusal changed nothing: the person is told privately below, and the thread gets the audit
    // entries as one reply per interval. Only a refusal saying the card is stale re-renders it, at most
    // once per interval.
    const record = CARD_IS_STALE.has(outcome.code)
      ? await cards.refreshAfterRefusal(ref)
      : outcome.entries.length > 0
        ? await engine.jobRecord(ref).catch(() => undefined)
        : undefined;
    if (record?.card) cards.noteRefusals(ref, outcome.entries);
    await tell(deps, reply, outcomeMessage(request, outcome));
    return outcome;
  }
  // The card is rendered from what the engine now knows.
  const record = await cards.refresh(ref);
  // Only a job cosjob tracks has a thread; one without a card yet (a typed command came first) gets one.
  if (record) cards.echoAudit(ref, outcome.entries);

  const postedOnCard =
    (outcome.kind === 'approved' || outcome.kind === 'cancelled') &&
    record?.card &&
    request.source === 'slack-button';
  if (!postedOnCard) await tell(deps, reply, outcomeMessage(request, outcome));
  return outcome;
}

/** Refusals after which the card may show something the engine knows is over (decided elsewhere, ended). */
const CARD_IS_STALE: ReadonlySet<Refusal['code']> = new Set([
  'already_decided',
  'finished',
  'not_suspended',
  'job_changed',
]);

async function tell(deps: SlackDecisionDeps, reply: Reply, message: SlackMessage): Promise<void> {
  await reply(message).catch((error) => deps.logger.warn('could not tell the person the outcome', { error }));
}
