/**
 * Text primitives shared by every builder: Slack's size limits, mrkdwn escaping, truncation that never
 * splits a character or an escape sequence, and mentions that only render for well-formed ids.
 */
import type {
  ActionsBlock,
  Button,
  ContextBlock,
  DividerBlock,
  HeaderBlock,
  KnownBlock,
  MrkdwnElement,
  PlainTextElement,
  SectionBlock,
} from '@slack/types';
import { SYSTEM_ACTOR } from '../../approvals/ports.js';

/** What every message builder returns: `text` is the notification fallback, `blocks` what people see. */
export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** Documented Block Kit limits (@slack/types JSDoc and docs.slack.dev). Lengths are in characters. */
export const SLACK_LIMITS = {
  blocksPerMessage: 50,
  blocksPerModal: 100,
  sectionText: 3000,
  fieldText: 2000,
  fieldsPerSection: 10,
  headerText: 150,
  contextElements: 10,
  contextText: 3000,
  buttonText: 75,
  buttonValue: 2000,
  actionsElements: 25,
  actionId: 255,
  blockId: 255,
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,
  modalTitle: 24,
  modalButton: 24,
  privateMetadata: 3000,
  callbackId: 255,
  inputLabel: 2000,
  inputHint: 2000,
  placeholder: 150,
} as const;

/**
 * Slack rejects messages with `msg_blocks_too_long` well below the sum of the per-block limits (seen at
 * about 13,000 characters of block text, bolt-js #2509). Builders that grow with their input keep their
 * total under this budget.
 */
export const MESSAGE_TEXT_BUDGET = 11_000;

/** Keep the notification fallback short; it is shown in push notifications and screen readers. */
export const FALLBACK_TEXT_LIMIT = 3000;

const ELLIPSIS = '…';
const graphemes = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * The longest prefix of `text` made of whole grapheme clusters (so an emoji, a flag or a letter with its
 * accents is never cut in half) whose UTF-16 length is at most `maxUnits`. UTF-16 units are never fewer
 * than characters, so the result also fits a limit counted in code points.
 */
function prefixOfWholeCharacters(text: string, maxUnits: number): string {
  if (text.length <= maxUnits) return text;
  // Segmenting only a window past the cut keeps huge inputs cheap; a grapheme cut by the window ends past
  // maxUnits and is excluded anyway.
  const window = text.slice(0, maxUnits + 64);
  let end = 0;
  for (const { segment, index } of graphemes.segment(window)) {
    if (index + segment.length > maxUnits) break;
    end = index + segment.length;
  }
  if (end > 0) return text.slice(0, end);
  // One enormous grapheme (e.g. thousands of combining marks): fall back to code points.
  let out = '';
  for (const codePoint of text) {
    if (out.length + codePoint.length > maxUnits) break;
    out += codePoint;
  }
  return out;
}

/** Truncates plain text to `max` characters, ending with "…" when something was cut. */
export function truncate(text: string, max: number): string {
  if (text.length <= max) return text;
  if (max <= ELLIPSIS.length) return prefixOfWholeCharacters(text, max);
  return prefixOfWholeCharacters(text, max - ELLIPSIS.length) + ELLIPSIS;
}

/**
 * Truncates mrkdwn without leaving half an escape (`&am`) or half a token (`<@U12`, `<!date^…`), either
 * of which would render as garbage or, worse, change how the rest of the text is parsed.
 */
export function truncateMrkdwn(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = prefixOfWholeCharacters(text, Math.max(0, max - ELLIPSIS.length));
  cut = cut.replace(/&[#A-Za-z0-9]{0,8}$/, '').replace(/<[^<>]*$/, '');
  return cut + ELLIPSIS;
}

/**
 * Escapes the three characters Slack treats as control characters in mrkdwn. Without it a job
 * description could contain `<!channel>` (pinging everyone) or `<https://evil|Approve here>`.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * User or COS text, escaped, ready to drop into mrkdwn, at most `max` characters after escaping (so a
 * string of `&` cannot grow fivefold past the budget its caller planned for).
 */
export function userText(text: string, max: number): string {
  return truncateMrkdwn(escapeMrkdwn(truncate(text, max)), max);
}

/**
 * Inline code for ids and keys. Backticks inside would end the span early, so they are swapped for a
 * look-alike; the value is for reading, not copying into a shell.
 */
export function code(text: string, max = 200): string {
  const shown = userText(text, max).replace(/`/g, 'ˋ');
  return shown.length > 0 ? `\`${shown}\`` : '(empty)';
}

const USER_ID = /^[UW][A-Z0-9]{2,20}$/;
const USERGROUP_ID = /^S[A-Z0-9]{2,20}$/;

/** `<@U…>` for a real Slack user id; anything else is shown as escaped text so it cannot ping anyone. */
export function mentionUser(userId: string): string {
  if (userId === SYSTEM_ACTOR.id) return 'cosjob (automatic)';
  if (USER_ID.test(userId)) return `<@${userId}>`;
  return userText(userId, 40);
}

export function mentionUsergroup(groupId: string): string {
  if (USERGROUP_ID.test(groupId)) return `<!subteam^${groupId}>`;
  return userText(groupId, 40);
}

export function mentionUsers(userIds: readonly string[], max = 20): string {
  const shown = userIds.slice(0, max).map(mentionUser).join(', ');
  return userIds.length > max ? `${shown} and ${userIds.length - max} more` : shown;
}

/**
 * A timestamp every reader sees in their own time zone (Slack's `<!date>` token), with the ISO text as
 * the fallback. Unparseable input is shown escaped as it came.
 */
export function slackTime(iso: string): string {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms)) return userText(iso, 64);
  const seconds = Math.floor(ms / 1000);
  const fallback = new Date(ms).toISOString();
  return `<!date^${seconds}^{date_short_pretty} at {time}|${fallback}>`;
}

/** The same instant without tokens, for notification fallbacks (still mrkdwn, so escaped). */
export function plainTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? userText(iso, 64) : new Date(ms).toISOString().replace('.000Z', 'Z');
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${count.toLocaleString('en-US')} ${count === 1 ? singular : pluralForm}`;
}

// ---- Block constructors that enforce the limits -------------------------------------------------------

export function plain(text: string, max: number): PlainTextElement {
  // Slack rejects empty plain_text objects.
  return { type: 'plain_text', text: truncate(text, max) || ' ', emoji: true };
}

export function mrkdwn(text: string, max: number = SLACK_LIMITS.sectionText): MrkdwnElement {
  return { type: 'mrkdwn', text: truncateMrkdwn(text, max) || ' ' };
}

export function header(text: string): HeaderBlock {
  return { type: 'header', text: plain(text, SLACK_LIMITS.headerText) };
}

export function section(text: string, blockId?: string): SectionBlock {
  const block: SectionBlock = { type: 'section', text: mrkdwn(text, SLACK_LIMITS.sectionText) };
  if (blockId !== undefined) block.block_id = blockId;
  return block;
}

export function fieldsSection(fields: readonly string[]): SectionBlock {
  return {
    type: 'section',
    fields: fields.slice(0, SLACK_LIMITS.fieldsPerSection).map((f) => mrkdwn(f, SLACK_LIMITS.fieldText)),
  };
}

export function context(lines: readonly string[]): ContextBlock {
  return {
    type: 'context',
    elements: lines.slice(0, SLACK_LIMITS.contextElements).map((l) => mrkdwn(l, SLACK_LIMITS.contextText)),
  };
}

export function divider(): DividerBlock {
  return { type: 'divider' };
}

export function actions(blockId: string, elements: Button[]): ActionsBlock {
  return {
    type: 'actions',
    block_id: truncate(blockId, SLACK_LIMITS.blockId),
    elements: elements.slice(0, SLACK_LIMITS.actionsElements),
  };
}

export interface ButtonSpec {
  actionId: string;
  text: string;
  value: string;
  style?: 'primary' | 'danger';
  confirm?: { title: string; text: string; confirm: string; deny: string; style?: 'primary' | 'danger' };
}

export function button(spec: ButtonSpec): Button {
  if (spec.value.length > SLACK_LIMITS.buttonValue) {
    // Truncating an identifier would silently point at another job; refuse instead.
    throw new Error(
      `A button value is ${spec.value.length} characters; Slack allows ${SLACK_LIMITS.buttonValue}.`,
    );
  }
  const element: Button = {
    type: 'button',
    action_id: spec.actionId,
    text: plain(spec.text, SLACK_LIMITS.buttonText),
    value: spec.value,
  };
  if (spec.style) element.style = spec.style;
  if (spec.confirm) {
    element.confirm = {
      title: plain(spec.confirm.title, SLACK_LIMITS.confirmTitle),
      text: mrkdwn(spec.confirm.text, SLACK_LIMITS.confirmText),
      confirm: plain(spec.confirm.confirm, SLACK_LIMITS.confirmButton),
      deny: plain(spec.confirm.deny, SLACK_LIMITS.confirmButton),
    };
    if (spec.confirm.style) element.confirm.style = spec.confirm.style;
  }
  return element;
}

/** Characters of text (every `text` string at any depth) in a set of blocks, to compare with MESSAGE_TEXT_BUDGET. */
export function blockTextLength(blocks: readonly unknown[]): number {
  let total = 0;
  const visit = (node: unknown): void => {
    if (Array.isArray(node)) {
      for (const item of node) visit(item);
    } else if (node !== null && typeof node === 'object') {
      for (const [key, value] of Object.entries(node)) {
        if (key === 'text' && typeof value === 'string') total += value.length;
        else visit(value);
      }
    }
  };
  visit(blocks);
  return total;
}

export function fallbackText(text: string): string {
  return truncateMrkdwn(text, FALLBACK_TEXT_LIMIT);
}
