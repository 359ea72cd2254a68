/**
 * Builds and signs requests the way Slack sends them to a Bolt HTTP receiver: interactivity payloads as
 * `payload=<url-encoded JSON>`, slash commands as plain form fields, with an HMAC-SHA256 `v0` signature
 * over `v0:<timestamp>:<raw body>` and a content-type of exactly `application/x-www-form-urlencoded`
 * (Bolt compares it with ===; fetch would add `;charset=UTF-8` to a URLSearchParams body, so bodies are
 * always sent as strings).
 */
import { createHmac, randomBytes } from 'node:crypto';

export const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';

export interface SignedHeaders {
  'content-type': string;
  'x-slack-request-timestamp': string;
  'x-slack-signature': string;
}

/** Headers for `rawBody`. `timestampSec` is Unix seconds (not milliseconds); default: now. */
export function signSlackRequest(secret: string, rawBody: string, timestampSec?: number): SignedHeaders {
  const timestamp = timestampSec ?? Math.floor(Date.now() / 1000);
  const signature = createHmac('sha256', secret).update(`v0:${timestamp}:${rawBody}`).digest('hex');
  return {
    'content-type': FORM_CONTENT_TYPE,
    'x-slack-request-timestamp': String(timestamp),
    'x-slack-signature': `v0=${signature}`,
  };
}

function randomTriggerId(): string {
  return `${Date.now()}.${randomBytes(4).readUInt32BE()}.${randomBytes(8).toString('hex')}`;
}

/** Who an interaction payload comes from, as every payload Slack posts to the app names it. */
export function payloadSender(input: { userId: string; userName?: string; teamId?: string }) {
  const teamId = input.teamId ?? 'T0FAKE';
  const userName = input.userName ?? input.userId.toLowerCase();
  return {
    team: { id: teamId, domain: 'fake' },
    user: { id: input.userId, username: userName, name: userName, team_id: teamId },
    api_app_id: 'A0FAKE',
    token: 'legacy-verification-token-unused',
    trigger_id: randomTriggerId(),
  };
}

export interface BlockActionInput {
  actionId: string;
  value: string;
  userId: string;
  userName?: string;
  channelId: string;
  messageTs: string;
  /** Default: a fresh random id (Slack never repeats one). */
  triggerId?: string;
  responseUrl?: string;
  teamId?: string;
  blockId?: string;
  /** The message's blocks as Slack would send them back (default: none). */
  messageBlocks?: unknown[];
  messageText?: string;
}

/** A `block_actions` payload for a button click on a message, shaped as Slack posts it to the app. */
export function blockActionPayload(input: BlockActionInput): Record<string, unknown> {
  const teamId = input.teamId ?? 'T0FAKE';
  const userName = input.userName ?? input.userId.toLowerCase();
  const payload: Record<string, unknown> = {
    type: 'block_actions',
    team: { id: teamId, domain: 'fake' },
    user: { id: input.userId, username: userName, name: userName, team_id: teamId },
    api_app_id: 'A0FAKE',
    token: 'legacy-verification-token-unused',
    trigger_id: input.triggerId ?? randomTriggerId(),
    container: {
      type: 'message',
      message_ts: input.messageTs,
      channel_id: input.channelId,
      is_ephemeral: false,
    },
    channel: { id: input.channelId, name: 'fake-channel' },
    message: {
      type: 'message',
      ts: input.messageTs,
      text: input.messageText ?? '',
      blocks: input.messageBlocks ?? [],
    },
    actions: [
      {
        type: 'button',
        action_id: input.actionId,
        block_id: input.blockId ?? 'cosjob_actions',
        value: input.value,
        action_ts: `${Math.floor(Date.now() / 1000)}.${randomBytes(3).readUIntBE(0, 3)}`,
        text: { type: 'plain_text', text: input.actionId, emoji: true },
      },
    ],
  };
  if (input.responseUrl !== undefined) payload.response_url = input.responseUrl;
  return payload;
}

/** A leaf of `view.state.values`: a string or null is taken as a plain_text_input value. */
export type ViewStateLeaf = string | null | { type: string; [key: string]: unknown };

export interface ViewSubmissionInput {
  callbackId: string;
  privateMetadata: string;
  /** `values[blockId][actionId]`. */
  values: Record<string, Record<string, ViewStateLeaf>>;
  userId: string;
  userName?: string;
  teamId?: string;
  viewId?: string;
}

/** A `view_submission` payload, shaped as Slack posts it when a modal is submitted. */
export function viewSubmissionPayload(input: ViewSubmissionInput): Record<string, unknown> {
  const teamId = input.teamId ?? 'T0FAKE';
  const userName = input.userName ?? input.userId.toLowerCase();
  const values: Record<string, Record<string, unknown>> = {};
  for (const [blockId, actions] of Object.entries(input.values)) {
    values[blockId] = {};
    for (const [actionId, leaf] of Object.entries(actions)) {
      (values[blockId] as Record<string, unknown>)[actionId] =
        leaf === null || typeof leaf === 'string' ? { type: 'plain_text_input', value: leaf } : leaf;
    }
  }
  const viewId = input.viewId ?? 'V0FAKE0001';
  return {
    type: 'view_submission',
    team: { id: teamId, domain: 'fake' },
    user: { id: input.userId, username: userName, name: userName, team_id: teamId },
    api_app_id: 'A0FAKE',
    token: 'legacy-verification-token-unused',
    trigger_id: randomTriggerId(),
    view: {
      id: viewId,
      type: 'modal',
      callback_id: input.callbackId,
      private_metadata: input.privateMetadata,
      hash: `${Math.floor(Date.now() / 1000)}.fake`,
      state: { values },
      team_id: teamId,
      app_id: 'A0FAKE',
      bot_id: 'B0BOT',
      title: { type: 'plain_text', text: 'Fake view' },
      blocks: [],
      close: null,
      submit: null,
      root_view_id: viewId,
      previous_view_id: null,
      clear_on_close: false,
      notify_on_close: false,
    },
  };
}

export interface SlashCommandInput {
  text: string;
  userId: string;
  channelId: string;
  responseUrl?: string;
  triggerId?: string;
  userName?: string;
  teamId?: string;
  /** Default `/cosjob`. */
  command?: string;
}

/** Slash command form fields (all strings, as Slack sends them). */
export function slashCommandBody(input: SlashCommandInput): Record<string, string> {
  const teamId = input.teamId ?? 'T0FAKE';
  const body: Record<string, string> = {
    token: 'legacy-verification-token-unused',
    team_id: teamId,
    team_domain: 'fake',
    channel_id: input.channelId,
    channel_name: 'fake-channel',
    user_id: input.userId,
    user_name: input.userName ?? input.userId.toLowerCase(),
    command: input.command ?? '/cosjob',
    text: input.text,
    api_app_id: 'A0FAKE',
    is_enterprise_install: 'false',
    trigger_id: input.triggerId ?? randomTriggerId(),
  };
  if (input.responseUrl !== undefined) body.response_url = input.responseUrl;
  return body;
}

export interface PostToBoltOptions {
  /** `payload`: body is an object sent as `payload=<JSON>`; `form`: body is form fields (slash commands). */
  kind: 'payload' | 'form';
  /** Unix seconds to sign with; default now. */
  timestamp?: number;
  /** Added last, so they can replace the signed headers (e.g. a wrong signature or content-type). */
  extraHeaders?: Record<string, string>;
}

export function encodeBoltBody(body: Record<string, unknown>, kind: 'payload' | 'form'): string {
  if (kind === 'payload') return `payload=${encodeURIComponent(JSON.stringify(body))}`;
  const form = new URLSearchParams();
  for (const [key, value] of Object.entries(body)) form.append(key, String(value));
  return form.toString();
}

/** Signs and POSTs to a Bolt HTTP receiver URL (e.g. `http://127.0.0.1:<port>/slack/events`). */
export function postToBolt(
  url: string,
  secret: string,
  body: Record<string, unknown>,
  options: PostToBoltOptions,
): Promise<Response> {
  const rawBody = encodeBoltBody(body, options.kind);
  const headers = { ...signSlackRequest(secret, rawBody, options.timestamp), ...options.extraHeaders };
  return fetch(url, { method: 'POST', headers, body: rawBody });
}
