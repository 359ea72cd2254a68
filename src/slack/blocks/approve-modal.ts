/**
 * The modal that asks why a job is being approved, for a job whose rule requires a reason to approve. It
 * carries the same metadata as the cancel dialog (the card's location and the job) and the same reason
 * field, so one reader and the same checks serve both.
 */
import type { ModalView } from '@slack/types';
import { MAX_REASON_BYTES } from '../../approvals/decision.js';
import { type CancelModalMetadata, reasonInput, serialiseMetadata } from './cancel-modal.js';
import { APPROVE_MODAL_CALLBACK_ID } from './ids.js';
import { code, plain, SLACK_LIMITS, section, TEXT_CAPS, userText } from './text.js';

export interface ApproveModalInput extends CancelModalMetadata {
  /** The rule that asks for the reason, named in the dialog. */
  rule: string;
}

export function approveReasonModal(input: ApproveModalInput): ModalView {
  return {
    type: 'modal',
    callback_id: APPROVE_MODAL_CALLBACK_ID,
    title: plain('Approve COS job', SLACK_LIMITS.modalTitle),
    submit: plain('Approve job', SLACK_LIMITS.modalButton),
    close: plain('Back', SLACK_LIMITS.modalButton),
    private_metadata: serialiseMetadata(input),
    blocks: [
      section(
        `Approve job ${code(input.jobId, TEXT_CAPS.jobId)} in ${userText(input.region, TEXT_CAPS.region)}? ` +
          `Its rule *${userText(input.rule, TEXT_CAPS.ruleName)}* asks approvers to say why.`,
      ),
      reasonInput({
        required: true,
        hint:
          `Kept in full in the audit trail. At most ${MAX_REASON_BYTES} bytes of UTF-8; COS stores it after ` +
          '"approved by <you> via Slack:" within its own 256 bytes, so a long reason is shortened there.',
        placeholder: 'e.g. manifest checked with the data owners',
      }),
    ],
  };
}
