/**
 * Requests Slack sends about an app's Home tab: the `app_home_opened` event (an Events API envelope, JSON,
 * signed like every request: HMAC-SHA256 `v0` over `v0:<timestamp>:<raw body>`) and a button click on a
 * published Home view (`block_actions` with `container.type: view` and `view.type: home`, and no
 * channel, message or response_url).
 */
import { randomBytes } from 'node:crypto';
import { payloadSender, signSlackRequest } from './slack-requests.js';

export interface AppHomeOpenedInput {
  userId: string;
  /** Default `home`; Slack sends `messages` when the Messages tab is opened. */
  tab?: 'home' | 'messages';
  teamId?: string;
  /** The view last published for the user, when there is one (Slack then includes it). */
  view?: Record<string, unknown>;
}

/** The Events API envelope Slack posts to the app's request URL for `app_home_opened`. */
export function appHomeOpenedEnvelope(input: AppHomeOpenedInput): Record<string, unknown> {
  const teamId = input.teamId ?? 'T0FAKE';
  const nowSec = Math.floor(Date.now() / 1000);
  return {
    token: 'legacy-verification-token-unused',
    team_id: teamId,
    api_app_id: 'A0FAKE',
    event: {
      type: 'app_home_opened',
      user: input.userId,
      channel: `D${randomBytes(4).toString('hex').toUpperCase()}`,
      tab: input.tab ?? 'home',
      event_ts: `${nowSec}.${String(randomBytes(3).readUIntBE(0, 3)).padStart(6, '0')}`,
      ...(input.view ? { view: input.view } : {}),
    },
    type: 'event_callback',
    event_id: `Ev${randomBytes(6).toString('hex').toUpperCase()}`,
    event_time: nowSec,
    authorizations: [
      { enterprise_id: null, team_id: teamId, user_id: 'U0BOT', is_bot: true, is_enterprise_install: false },
    ],
    is_ext_shared_channel: false,
  };
}

/** Signs and POSTs an Events API envelope as JSON (Slack's content type for events). */
export function postEventToBolt(
  url: string,
  secret: string,
  envelope: Record<string, unknown>,
  extraHeaders: Record<string, string> = {},
): Promise<Response> {
  const rawBody = JSON.stringify(envelope);
  const headers = {
    ...signSlackRequest(secret, rawBody),
    'content-type': 'application/json',
    ...extraHeaders,
  };
  return fetch(url, { method: 'POST', headers, body: rawBody });
}

export interface HomeBlockActionInput {
  actionId: string;
  value: string;
  userId: string;
  userName?: string;
  viewId?: string;
  blockId?: string;
  teamId?: string;
  /** The Home view's blocks as Slack would send them back (default: none). */
  viewBlocks?: unknown[];
}

/** A `block_actions` payload for a button click on the Home tab, shaped as Slack posts it. */
export function homeBlockActionPayload(input: HomeBlockActionInput): Record<string, unknown> {
  const sender = payloadSender(input);
  const teamId = sender.team.id;
  const viewId = input.viewId ?? 'V0HOME0001';
  const nowSec = Math.floor(Date.now() / 1000);
  return {
    type: 'block_actions',
    ...sender,
    container: { type: 'view', view_id: viewId },
    view: {
      id: viewId,
      team_id: teamId,
      type: 'home',
      blocks: input.viewBlocks ?? [],
      private_metadata: '',
      callback_id: '',
      state: { values: {} },
      hash: `${nowSec}.fake`,
      clear_on_close: false,
      notify_on_close: false,
      root_view_id: viewId,
      previous_view_id: null,
      app_id: 'A0FAKE',
      external_id: '',
      bot_id: 'B0BOT',
    },
    actions: [
      {
        type: 'button',
        action_id: input.actionId,
        block_id: input.blockId ?? 'home',
        value: input.value,
        action_ts: `${nowSec}.${randomBytes(3).readUIntBE(0, 3)}`,
        text: { type: 'plain_text', text: input.actionId, emoji: true },
      },
    ],
  };
}
