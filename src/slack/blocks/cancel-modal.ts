/**
 * The modal that asks why a job is being cancelled. A view_submission carries no channel or message, so
 * the card's location travels in private_metadata and comes back as untrusted text.
 */
import type { InputBlock, ModalView } from '@slack/types';
import { MAX_REASON_BYTES, normaliseReason } from '../../approvals/decision.js';
import { hasControlCharacters } from '../../audit/codec.js';
import {
  accountProblem,
  DEFAULT_ACCOUNT_NAME,
  describeType,
  jobIdProblem,
  regionProblem,
} from '../../jobs/job-ref.js';
import { CANCEL_MODAL_CALLBACK_ID, REASON_ACTION_ID, REASON_BLOCK_ID } from './ids.js';
import { code, plain, SLACK_LIMITS, section, TEXT_CAPS, userText } from './text.js';

export interface CancelModalMetadata {
  channelId: string;
  messageTs: string;
  account: string;
  region: string;
  jobId: string;
}

export interface CancelModalInput extends CancelModalMetadata {
  requireReason: boolean;
}

export type CancelModalMetadataResult =
  | { ok: true; metadata: CancelModalMetadata }
  | { ok: false; error: string };

/**
 * Slack's limit is on the characters typed; the limit in bytes is checked on submit. A character is at
 * least one byte, so no reason within the byte limit is cut off by this one.
 */
export const REASON_MAX_CHARS = MAX_REASON_BYTES;
const CHANNEL_ID = /^[CDG][A-Z0-9]{2,30}$/;
/** Empty when the dialog was opened from a command for a job with no card. */
const MESSAGE_TS = /^(\d{1,12}\.\d{1,9})?$/;

export function cancelReasonModal(input: CancelModalInput): ModalView {
  const metadata = serialiseMetadata(input);
  return {
    type: 'modal',
    callback_id: CANCEL_MODAL_CALLBACK_ID,
    title: plain('Cancel COS job', SLACK_LIMITS.modalTitle),
    submit: plain('Cancel job', SLACK_LIMITS.modalButton),
    close: plain('Keep job', SLACK_LIMITS.modalButton),
    private_metadata: metadata,
    blocks: [
      section(
        `Cancel job ${code(input.jobId, TEXT_CAPS.jobId)} in ${placeText(input)}? ` +
          'COS stops the job and a cancelled job cannot be restarted.',
      ),
      reasonInput({
        required: input.requireReason,
        hint:
          `Kept in full in the audit trail. At most ${MAX_REASON_BYTES} bytes of UTF-8 (emoji and CJK characters ` +
          'count 3–4 bytes each); COS stores it after "cancelled by <you> via Slack:" within its own 256 bytes, ' +
          'so a long reason is shortened there.',
        placeholder: 'e.g. wrong manifest, duplicate of another job',
      }),
    ],
  };
}

/** The reason field of both reason dialogs (cancel, approve): the one block their submissions are read from. */
export function reasonInput(o: { required: boolean; hint: string; placeholder: string }): InputBlock {
  return {
    type: 'input',
    block_id: REASON_BLOCK_ID,
    optional: !o.required,
    label: plain(o.required ? 'Reason' : 'Reason (optional)', SLACK_LIMITS.inputLabel),
    hint: plain(o.hint, SLACK_LIMITS.inputHint),
    element: {
      type: 'plain_text_input',
      action_id: REASON_ACTION_ID,
      multiline: true,
      max_length: REASON_MAX_CHARS,
      placeholder: plain(o.placeholder, SLACK_LIMITS.placeholder),
    },
  };
}

/** `ap-guangzhou`, or `ap-guangzhou (account prod)` for an account other than the default. */
function placeText(input: CancelModalMetadata): string {
  const region = userText(input.region, TEXT_CAPS.region);
  return input.account === DEFAULT_ACCOUNT_NAME
    ? region
    : `${region} (account ${userText(input.account, TEXT_CAPS.region)})`;
}

/** The card's location and the job, as both reason dialogs (cancel, approve) carry them. */
export function serialiseMetadata(input: CancelModalMetadata): string {
  const problem = metadataProblem(input);
  if (problem !== undefined) throw new Error(`Cannot open the cancel dialog: ${problem}.`);
  const text = JSON.stringify({
    channel: input.channelId,
    ts: input.messageTs,
    // Left out for the default account, as dialogs opened before several accounts wrote it.
    ...(input.account === DEFAULT_ACCOUNT_NAME ? {} : { account: input.account }),
    region: input.region,
    jobId: input.jobId,
  });
  // Unreachable with validated fields (they total well under 200 characters); kept as a guard.
  if (text.length > SLACK_LIMITS.privateMetadata) throw new Error('The cancel dialog metadata is too long.');
  return text;
}

function metadataProblem(fields: Record<keyof CancelModalMetadata, unknown>): string | undefined {
  if (typeof fields.channelId !== 'string' || !CHANNEL_ID.test(fields.channelId)) {
    return 'the channel id must look like "C0123ABC"';
  }
  if (typeof fields.messageTs !== 'string' || !MESSAGE_TS.test(fields.messageTs)) {
    return 'the message ts must look like "1700000000.000100"';
  }
  return accountProblem(fields.account) ?? regionProblem(fields.region) ?? jobIdProblem(fields.jobId);
}

/** Reads private_metadata back from a view_submission. Anything unexpected is refused, not repaired. */
export function parseCancelModalMetadata(text: unknown): CancelModalMetadataResult {
  if (typeof text !== 'string') {
    return { ok: false, error: `The dialog metadata must be text, not ${describeType(text)}.` };
  }
  if (text.length > SLACK_LIMITS.privateMetadata) {
    return {
      ok: false,
      error: `The dialog metadata is ${text.length} characters; at most 3000 are expected.`,
    };
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { ok: false, error: 'The dialog metadata is not JSON; the dialog was not opened by cosjob.' };
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    return { ok: false, error: `The dialog metadata must be a JSON object, not ${describeType(parsed)}.` };
  }
  const record = parsed as Record<string, unknown>;
  const fields = {
    channelId: record.channel,
    messageTs: record.ts,
    account: record.account ?? DEFAULT_ACCOUNT_NAME,
    region: record.region,
    jobId: record.jobId,
  };
  const problem = metadataProblem(fields);
  if (problem !== undefined) return { ok: false, error: `The dialog metadata is not usable: ${problem}.` };
  return { ok: true, metadata: fields as CancelModalMetadata };
}

/**
 * The reason limit is in bytes, while Slack counts characters; this names the size in bytes so the
 * person knows how much to remove. Undefined when the reason fits.
 */
export function validateReasonBytes(text: string, maxBytes: number = MAX_REASON_BYTES): string | undefined {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes <= maxBytes) return undefined;
  const over = bytes - maxBytes;
  return (
    `The reason is ${bytes} bytes; the limit is ${maxBytes} bytes of UTF-8 ` +
    '(emoji and CJK characters count 3–4 bytes each). ' +
    `Shorten it by ${over} ${over === 1 ? 'byte' : 'bytes'}.`
  );
}

/**
 * The typed reason from `view.state.values`. An empty optional input arrives as `value: null`, which is
 * returned as ''. Anything else unexpected (a different element, a non-string) is refused.
 */
export function readCancelReason(
  stateValues: unknown,
): { ok: true; reason: string } | { ok: false; error: string } {
  const block = pick(stateValues, REASON_BLOCK_ID);
  const input = pick(block, REASON_ACTION_ID);
  if (input === undefined) return { ok: false, error: 'The dialog did not include the reason field.' };
  const value = pick(input, 'value');
  if (value === undefined || value === null) return { ok: true, reason: '' };
  if (typeof value !== 'string') return { ok: false, error: 'The reason must be text.' };
  return { ok: true, reason: normaliseReason(value).trim() };
}

/**
 * Control characters other than tab and newline (NUL, ESC, DEL…) are refused with a field error before
 * anything is written: the audit trail does not store them. Undefined when the reason is plain text.
 */
export function validateReasonCharacters(text: string): string | undefined {
  if (!hasControlCharacters(text)) return undefined;
  return 'The reason contains control characters (such as NUL, ESC or DEL), perhaps from pasted text. Type it again as plain text; line breaks and tabs are fine.';
}

function pick(value: unknown, key: string): unknown {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  return Object.hasOwn(value, key) ? (value as Record<string, unknown>)[key] : undefined;
}
