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
 * Builders do not call this directly: untrusted text goes through `userText`, which also caps it.
 */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * How many characters of each kind of untrusted value a message shows (before escaping). COS statuses
 * are at most 10 characters, JobIds at most 64 bytes, regions at most 40 characters, and COS caps a
 * statusUpdateReason at 256 bytes; anything longer than these caps is not an honest value and is cut.
 */
export const TEXT_CAPS = {
  status: 40,
  /** Rule names are at most 63 characters (src/rules/read-rules.ts). */
  ruleName: 63,
  jobId: 64,
  region: 40,
  errorCode: 64,
  requestId: 128,
  displayName: 80,
  userId: 40,
  bucket: 80,
  prefix: 120,
  objectKey: 400,
  etag: 80,
  versionId: 64,
  operationName: 64,
  parameterName: 64,
  parameterValue: 128,
  tagKey: 64,
  tagValue: 128,
  storageClass: 40,
  reason: 400,
  lineReason: 300,
  failureReason: 300,
  statusUpdateReason: 300,
  suspendedCause: 600,
  outcome: 40,
  action: 40,
  entryId: 64,
  streamId: 40,
  verifyDetail: 300,
  time: 64,
  refusalWhat: 300,
  refusalWhy: 1000,
  descriptionCard: 1000,
  descriptionList: 200,
  descriptionStatus: 1500,
} as const;

/** Whether line breaks in a value are kept ('lines': descriptions, reasons) or folded to spaces. */
export type TextShape = 'line' | 'lines';

const LINE_BREAK = /\r\n?|[\n\u0085\u2028\u2029]/g;
/**
 * C0 controls other than tab and line breaks, DEL, C1 controls, and the Unicode bidirectional
 * embedding, override and isolate controls (U+202A–U+202E, U+2066–U+2069), which can make text read
 * differently from what it says (the "Trojan Source" trick). They are shown as U+FFFD so a person sees
 * that something was there.
 */
const HIDDEN_CONTROL =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u0084\u0086-\u009f\u202a-\u202e\u2066-\u2069]/g;
/** A UTF-16 surrogate without its partner cannot be encoded as UTF-8 and is shown as U+FFFD. */
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

/**
 * Untrusted text with its invisible and layout-changing characters made harmless: tabs become spaces,
 * line breaks become spaces ('line') or single newlines with at most one blank line in a row ('lines'),
 * hidden controls and lone surrogates become U+FFFD. Used for plain_text and mrkdwn alike.
 */
function neutralise(text: string, shape: TextShape): string {
  const lines = text
    .replace(/\t/g, ' ')
    .replace(HIDDEN_CONTROL, '\uFFFD')
    .replace(LONE_SURROGATE, '\uFFFD')
    .replace(LINE_BREAK, shape === 'lines' ? '\n' : ' ');
  return shape === 'lines' ? lines.replace(/\n{3,}/g, '\n\n') : lines;
}

/**
 * The one way untrusted text (from COS, a person or Redis) enters mrkdwn: neutralised, escaped, and at
 * most `max` characters after escaping (so a string of `&` cannot grow fivefold past the budget its
 * caller planned for). Single-line unless `shape` is 'lines'.
 */
export function userText(text: string, max: number, shape: TextShape = 'line'): string {
  return truncateMrkdwn(escapeMrkdwn(truncate(neutralise(text, shape), max)), max);
}

/**
 * Untrusted text for a plain_text element (headers, modal fields, confirm titles): Slack does not parse
 * plain_text, so nothing is escaped, but the value is neutralised and capped like mrkdwn.
 */
export function userPlain(text: string, max: number): string {
  return truncate(neutralise(text, 'line'), max);
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
  return userText(userId, TEXT_CAPS.userId);
}

export function mentionUsergroup(groupId: string): string {
  if (USERGROUP_ID.test(groupId)) return `<!subteam^${groupId}>`;
  return userText(groupId, TEXT_CAPS.userId);
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
  if (Number.isNaN(ms)) return userText(iso, TEXT_CAPS.time);
  const seconds = Math.floor(ms / 1000);
  const fallback = new Date(ms).toISOString();
  return `<!date^${seconds}^{date_short_pretty} at {time}|${fallback}>`;
}

/** The same instant without tokens, for notification fallbacks (still mrkdwn, so escaped). */
export function plainTime(iso: string): string {
  const ms = Date.parse(iso);
  return Number.isNaN(ms) ? userText(iso, TEXT_CAPS.time) : new Date(ms).toISOString().replace('.000Z', 'Z');
}

/** A count or a priority as digits with separators; anything that is not a finite number shows as "?". */
export function numberText(value: number): string {
  return Number.isFinite(value) ? value.toLocaleString('en-US') : '?';
}

export function plural(count: number, singular: string, pluralForm = `${singular}s`): string {
  return `${numberText(count)} ${count === 1 ? singular : pluralForm}`;
}

// ---- Block constructors that enforce the limits -------------------------------------------------------

export function plain(text: string, max: number): PlainTextElement {
  // Slack rejects empty plain_text objects.
  return { type: 'plain_text', text: truncate(text, max) || ' ', emoji: true };
}

/**
 * `verbatim: true` because Slack documents that otherwise it pre-processes mrkdwn: URLs are turned into
 * links, conversation names are linked and certain mentions are parsed automatically, all of which would
 * act on escaped untrusted text. Tokens cosjob writes itself (`<@U…>`, `<!subteam^…>`, `<!date^…>`) are
 * manual parsing strings, which Slack still processes with verbatim set.
 */
export function mrkdwn(text: string, max: number = SLACK_LIMITS.sectionText): MrkdwnElement {
  return { type: 'mrkdwn', text: truncateMrkdwn(text, max) || ' ', verbatim: true };
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
