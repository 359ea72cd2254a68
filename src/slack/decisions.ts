/** The one path from a Slack gesture (button, modal, command) to a decision and back to Slack. */
import type { DecisionOutcome, DecisionRequest, RefusalCode } from '../approvals/decide.js';
import type { ApprovalEngine } from '../approvals/engine.js';
import type { Logger } from '../logger.js';
import { refusalMessage } from './blocks/commands.js';
import { type SlackMessage, section } from './blocks/text.js';
import { type CardService, withAuditEcho } from './cards.js';

export type Reply = (message: SlackMessage) => Promise<void>;

export interface SlackDecisionDeps {
  engine: ApprovalEngine;
  cards: CardService;
  logger: Logger;
}

const WHAT_TO_DO: Record<RefusalCode, string> = {
  invalid_input: 'Check the JobId and try again; `/cosjob help` shows the usage.',
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

export function outcomeMessage(
  request: Pick<DecisionRequest, 'action' | 'jobId'>,
  outcome: DecisionOutcome,
): SlackMessage {
  const what = `${request.action === 'approve' ? 'Approve' : 'Cancel'} job ${request.jobId}`;
  switch (outcome.kind) {
    case 'approved':
    case 'cancelled': {
      const emoji = outcome.kind === 'approved' ? '✅' : '🛑';
      const note = outcome.auditRecorded ? '' : ' (its audit result entry will be written by the reconciler)';
      return { text: `${emoji} ${outcome.message}`, blocks: [section(`${emoji} ${outcome.message}${note}`)] };
    }
    case 'vote_recorded':
      return { text: `👍 ${outcome.message}`, blocks: [section(`👍 ${outcome.message}`)] };
    case 'refused':
      return refusalMessage({ what, why: outcome.message, whatToDo: WHAT_TO_DO[outcome.code] });
    case 'failed':
      return refusalMessage({
        what,
        why: outcome.message,
        whatToDo:
          outcome.code === 'result_unknown'
            ? 'Wait for the card to update; cosjob re-checks the job with COS.'
            : 'Try again in a minute. If it keeps failing, give whoever runs cosjob the request id below.',
        ...(outcome.cosCode ? { cosCode: outcome.cosCode } : {}),
        ...(outcome.requestId ? { requestId: outcome.requestId } : {}),
      });
  }
}

/**
 * Shows the card as in progress (so nobody clicks twice), decides, renders the final (or previous) card,
 * echoes the audit entries in the thread, and tells the person what happened.
 */
export async function decideFromSlack(
  deps: SlackDecisionDeps,
  request: DecisionRequest,
  reply: Reply,
): Promise<DecisionOutcome> {
  const { engine, cards } = deps;
  const verdict = await engine.policy.check(request.actor.id);
  // A decided job (a redelivered click, a late second click) must not flash "in progress" again.
  const alreadyDecided =
    verdict.allowed &&
    (await engine.decisions.getDecision(request.region, request.jobId).then(
      (decision) => decision !== undefined,
      () => false,
    ));
  if (verdict.allowed && !alreadyDecided) {
    await cards.refresh(request.region, request.jobId, {
      kind: 'in_progress',
      byUserId: request.actor.id,
      action: request.action,
    });
  }
  const { result: outcome, entries } = await withAuditEcho(engine.audit, request.region, request.jobId, () =>
    engine.decide(request),
  );
  // When another gesture holds the claim, it renders the card once it is done; rendering now would put
  // the buttons back while that decision is still in flight.
  const heldElsewhere = outcome.kind === 'refused' && outcome.code === 'busy';
  if (verdict.allowed && !heldElsewhere) await cards.refresh(request.region, request.jobId);
  const record = await engine.records.get(request.region, request.jobId).catch(() => undefined);
  // A tracked job without a card yet (a typed command came first) gets one before the echo.
  if (record) cards.echoAudit(request.region, request.jobId, entries);

  const postedOnCard =
    (outcome.kind === 'approved' || outcome.kind === 'cancelled') &&
    record?.card &&
    request.source === 'slack-button';
  if (!postedOnCard) {
    await reply(outcomeMessage(request, outcome)).catch((error) =>
      deps.logger.warn('could not tell the person the outcome', { error }),
    );
  }
  return outcome;
}
