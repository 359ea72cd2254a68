import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { inspect } from 'node:util';
import { App, type BlockAction, type ButtonAction, LogLevel, verifySlackRequest } from '@slack/bolt';
import {
  WebAPIHTTPError,
  WebAPIPlatformError,
  WebAPIRateLimitedError,
  WebClient,
  WebClientEvent,
  type WebClientOptions,
} from '@slack/web-api';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../src/clock.js';
import { type FakeSlack, type FakeSlackOptions, startFakeSlack } from '../helpers/fake-slack.js';
import {
  blockActionPayload,
  encodeBoltBody,
  postToBolt,
  signSlackRequest,
  slashCommandBody,
  viewSubmissionPayload,
} from '../helpers/slack-requests.js';

const TOKEN = 'xoxb-test-fake-token';
const SIGNING_SECRET = 'test-signing-secret-0123456789';
const CHANNEL = 'C0OPS';

let fake: FakeSlack;
const cleanups: (() => Promise<void>)[] = [];

async function startFake(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const started = await startFakeSlack(options);
  cleanups.push(() => started.close());
  return started;
}

/** The client logs refused calls and retries; the tests assert on them instead. */
const quietLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  setLevel: () => {},
  getLevel: () => LogLevel.ERROR,
  setName: () => {},
};

function client(options: WebClientOptions = {}, token: string | null = TOKEN): WebClient {
  return new WebClient(token ?? undefined, {
    slackApiUrl: fake.apiUrl,
    retryConfig: { retries: 0 },
    logger: quietLogger,
    ...options,
  });
}

/** The Slack error code of a failed call, or 'resolved' when it did not fail. */
async function slackError(call: Promise<unknown>): Promise<string> {
  try {
    await call;
    return 'resolved';
  } catch (error) {
    if (error instanceof WebAPIPlatformError) return error.data.error ?? 'no code';
    throw error;
  }
}

beforeEach(async () => {
  fake = await startFake({
    users: [{ id: 'U0ALICE', name: 'alice', realName: 'Alice Example' }],
    usergroups: { S0APPROVERS: ['U0ALICE', 'U0BOB'] },
  });
});

afterEach(async () => {
  while (cleanups.length > 0) await cleanups.pop()?.();
});

describe('fake Slack Web API with the real WebClient', () => {
  it('stores posted messages with fresh, increasing ts values and decodes blocks', async () => {
    const web = client();
    const blocks = [{ type: 'section', text: { type: 'mrkdwn', text: 'hello *world*' } }];
    const first = await web.chat.postMessage({ channel: CHANNEL, text: 'first', blocks });
    const second = await web.chat.postMessage({ channel: CHANNEL, text: 'second' });
    await web.chat.postMessage({ channel: 'C0OTHER', text: 'elsewhere' });

    expect(first.ok).toBe(true);
    expect(first.ts).toMatch(/^\d+\.\d{6}$/);
    expect(Number(second.ts)).toBeGreaterThan(Number(first.ts));
    expect(fake.messages(CHANNEL).map((m) => m.text)).toEqual(['first', 'second']);
    expect(fake.message(CHANNEL, first.ts as string)?.blocks).toEqual(blocks);
    expect(fake.messages('C0OTHER')).toHaveLength(1);

    const call = fake.callsTo('chat.postMessage')[0];
    expect(call?.params.blocks).toEqual(blocks); // sent JSON-stringified in a form field, decoded here
    expect(call?.contentType).toBe('application/x-www-form-urlencoded');
    expect(call?.tokenSource).toBe('header');
    expect(call?.token?.matches(TOKEN)).toBe(true);
  });

  it('records the token without ever printing it', async () => {
    await client().auth.test();
    const printed = [
      JSON.stringify(fake.calls),
      inspect(fake.calls, { depth: 10 }),
      String(fake.calls[0]?.token),
    ];
    for (const text of printed) expect(text).not.toContain(TOKEN);
    expect(fake.calls[0]?.token?.kind).toBe('xoxb');
    expect(fake.calls[0]?.params).not.toHaveProperty('token');
  });

  it('refuses calls without a token, and with the wrong one when a token is expected', async () => {
    expect(await slackError(client({}, null).chat.postMessage({ channel: CHANNEL, text: 'x' }))).toBe(
      'not_authed',
    );
    fake = await startFake({ expectedToken: TOKEN });
    expect(await slackError(client({}, 'xoxb-wrong').auth.test())).toBe('invalid_auth');
    expect((await client().auth.test()).user_id).toBe('U0BOT');
  });

  it('threads replies under the parent, also when given a reply ts, and rejects unknown parents', async () => {
    const web = client();
    const parent = await web.chat.postMessage({ channel: CHANNEL, text: 'card' });
    const reply = await web.chat.postMessage({
      channel: CHANNEL,
      text: 'r1',
      thread_ts: parent.ts as string,
    });
    await web.chat.postMessage({ channel: CHANNEL, text: 'r2', thread_ts: reply.ts as string });

    expect(fake.messages(CHANNEL).map((m) => m.text)).toEqual(['card']);
    expect(fake.thread(CHANNEL, parent.ts as string).map((m) => m.text)).toEqual(['r1', 'r2']);
    expect(
      await slackError(web.chat.postMessage({ channel: CHANNEL, text: 'x', thread_ts: '1.000001' })),
    ).toBe('thread_not_found');
  });

  it('updates stored messages and reports message_not_found for an unknown ts', async () => {
    const web = client();
    const posted = await web.chat.postMessage({ channel: CHANNEL, text: 'pending' });
    const updated = await web.chat.update({
      channel: CHANNEL,
      ts: posted.ts as string,
      text: 'approved',
      blocks: [],
    });
    expect(updated.ts).toBe(posted.ts);
    expect(fake.message(CHANNEL, posted.ts as string)).toMatchObject({
      text: 'approved',
      blocks: [],
      updates: 1,
    });
    expect(await slackError(web.chat.update({ channel: CHANNEL, ts: '1.000999', text: 'x' }))).toBe(
      'message_not_found',
    );
    expect(
      await slackError(web.chat.update({ channel: 'C0OTHER', ts: posted.ts as string, text: 'x' })),
    ).toBe('message_not_found');
  });

  it('keeps ephemerals apart: they are listed but cannot be updated', async () => {
    const web = client();
    const sent = await web.chat.postEphemeral({ channel: CHANNEL, user: 'U0ALICE', text: 'only you' });
    expect(fake.ephemerals(CHANNEL)).toEqual([
      { channel: CHANNEL, user: 'U0ALICE', messageTs: sent.message_ts, text: 'only you' },
    ]);
    expect(fake.messages(CHANNEL)).toEqual([]);
    expect(
      await slackError(web.chat.update({ channel: CHANNEL, ts: sent.message_ts as string, text: 'x' })),
    ).toBe('message_not_found');
  });

  it('refuses blocks Slack would refuse', async () => {
    const web = client();
    const tooMany = Array.from({ length: 51 }, () => ({ type: 'divider' }));
    expect(await slackError(web.chat.postMessage({ channel: CHANNEL, text: 'x', blocks: tooMany }))).toBe(
      'invalid_blocks',
    );
    const longButton = [
      {
        type: 'actions',
        elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'x'.repeat(76) } }],
      },
    ];
    expect(await slackError(web.chat.postMessage({ channel: CHANNEL, text: 'x', blocks: longButton }))).toBe(
      'invalid_blocks',
    );
    expect(fake.callsTo('chat.postMessage')[1]?.response).toMatchObject({
      errors: ['blocks[0].elements[0].text.text is 76 characters; at most 75'],
    });
    // Bypasses the typed arguments on purpose: a post with neither text nor blocks.
    expect(await slackError(web.apiCall('chat.postMessage', { channel: CHANNEL }))).toBe('no_text');
    expect(fake.messages(CHANNEL)).toEqual([]);
  });

  const modal = {
    type: 'modal' as const,
    callback_id: 'cosjob_cancel_reason',
    title: { type: 'plain_text' as const, text: 'Cancel COS job' },
    blocks: [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: 'Why?' } }],
  };

  it('opens views once per trigger_id and updates them by id with hash checks', async () => {
    const web = client();
    const opened = await web.views.open({ trigger_id: 'trigger-1', view: modal });
    expect(opened.view?.id).toMatch(/^V/);
    expect(fake.views()).toHaveLength(1);
    expect(fake.views()[0]).toMatchObject({
      triggerId: 'trigger-1',
      view: { callback_id: 'cosjob_cancel_reason' },
    });

    expect(await slackError(web.views.open({ trigger_id: 'trigger-1', view: modal }))).toBe(
      'exchanged_trigger_id',
    );
    expect(await slackError(web.views.open({ trigger_id: '', view: modal }))).toBe('invalid_arguments');
    const badTitle = { ...modal, title: { type: 'plain_text' as const, text: 'A title far longer than 24' } };
    expect(await slackError(web.views.open({ trigger_id: 'trigger-2', view: badTitle }))).toBe(
      'invalid_arguments',
    );

    const viewId = opened.view?.id as string;
    const updated = await web.views.update({
      view_id: viewId,
      hash: opened.view?.hash as string,
      view: modal,
    });
    expect(updated.view?.hash).not.toBe(opened.view?.hash);
    expect(
      await slackError(web.views.update({ view_id: viewId, hash: opened.view?.hash as string, view: modal })),
    ).toBe('hash_conflict');
    expect(await slackError(web.views.update({ view_id: 'V0NOPE', view: modal }))).toBe('not_found');
  });

  it('expires trigger ids after the configured TTL, by the injected clock', async () => {
    const clock = new ManualClock();
    fake = await startFake({ triggerTtlMs: 3000, clock });
    const web = client();
    const fresh = fake.issueTriggerId();
    const stale = fake.issueTriggerId();
    clock.advance(2999);
    expect((await web.views.open({ trigger_id: fresh, view: modal })).ok).toBe(true);
    clock.advance(2);
    expect(await slackError(web.views.open({ trigger_id: stale, view: modal }))).toBe('expired_trigger_id');
    expect(await slackError(web.views.open({ trigger_id: 'never-issued', view: modal }))).toBe(
      'invalid_trigger_id',
    );
  });

  it('answers users.info, usergroups.users.list and auth.test from its configuration', async () => {
    const web = client();
    const alice = await web.users.info({ user: 'U0ALICE' });
    expect(alice.user).toMatchObject({ id: 'U0ALICE', name: 'alice', real_name: 'Alice Example' });
    expect(await slackError(web.users.info({ user: 'U0NOBODY' }))).toBe('user_not_found');
    expect((await web.usergroups.users.list({ usergroup: 'S0APPROVERS' })).users).toEqual([
      'U0ALICE',
      'U0BOB',
    ]);
    expect(await slackError(web.usergroups.users.list({ usergroup: 'S0NONE' }))).toBe('no_such_subteam');
    fake.setUsergroup('S0NEW', ['U0CAROL']);
    expect((await web.usergroups.users.list({ usergroup: 'S0NEW' })).users).toEqual(['U0CAROL']);
    expect(await web.auth.test()).toMatchObject({
      ok: true,
      user_id: 'U0BOT',
      bot_id: 'B0BOT',
      team_id: 'T0FAKE',
    });
  });

  it('answers unknown methods with unknown_method', async () => {
    expect(await slackError(client().apiCall('conversations.kick', { channel: CHANNEL }))).toBe(
      'unknown_method',
    );
  });

  it('injects platform errors and HTTP 500s once per failNext', async () => {
    const web = client();
    fake.failNext('chat.postMessage', { error: 'not_in_channel' });
    expect(await slackError(web.chat.postMessage({ channel: CHANNEL, text: 'x' }))).toBe('not_in_channel');
    expect((await web.chat.postMessage({ channel: CHANNEL, text: 'y' })).ok).toBe(true);

    fake.failNext('chat.update', { status: 500 });
    const ts = fake.messages(CHANNEL)[0]?.ts as string;
    await expect(web.chat.update({ channel: CHANNEL, ts, text: 'z' })).rejects.toBeInstanceOf(
      WebAPIHTTPError,
    );
    expect(fake.message(CHANNEL, ts)?.text).toBe('y'); // a faulted call changes nothing
    expect(fake.callsTo('chat.update')[0]).toMatchObject({ status: 500, fault: { status: 500 } });
  });

  it('sends 429 with Retry-After, which the client honours before retrying', async () => {
    const web = client({ retryConfig: { retries: 1, minTimeout: 0, maxTimeout: 0, randomize: false } });
    const rateLimited: number[] = [];
    web.on(WebClientEvent.RATE_LIMITED, (retryAfterSec: number) => rateLimited.push(retryAfterSec));
    fake.failNext('chat.postMessage', { status: 429, retryAfterSec: 1 });

    const result = await web.chat.postMessage({ channel: CHANNEL, text: 'eventually' });

    expect(result.ok).toBe(true);
    expect(rateLimited).toEqual([1]);
    const [limited, retried] = fake.callsTo('chat.postMessage');
    expect(limited?.status).toBe(429);
    expect(retried?.status).toBe(200);
    // The client slept for Retry-After before the retry reached the fake (a lower bound, not a speed check).
    expect((retried?.receivedAt ?? 0) - (limited?.receivedAt ?? 0)).toBeGreaterThanOrEqual(950);
    expect(fake.messages(CHANNEL).map((m) => m.text)).toEqual(['eventually']);
  });

  it('surfaces Retry-After to clients that reject rate-limited calls', async () => {
    const web = client({ rejectRateLimitedCalls: true });
    fake.failNext('chat.postMessage', { status: 429, retryAfterSec: 7 });
    const error = await web.chat.postMessage({ channel: CHANNEL, text: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WebAPIRateLimitedError);
    expect((error as WebAPIRateLimitedError).retryAfter).toBe(7);
  });

  it('collects response_url posts and can fail them', async () => {
    const post = (body: unknown) =>
      fetch(fake.responseUrl('abc'), {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await post({ text: 'done', replace_original: true })).status).toBe(200);
    expect(fake.responses('abc').map((r) => r.body)).toEqual([{ text: 'done', replace_original: true }]);
    fake.failNext('response_url', { status: 500 });
    expect((await post({ text: 'again' })).status).toBe(500);
    expect(fake.responses('abc')).toHaveLength(1);
    expect(fake.responses('other')).toEqual([]);
  });

  it('waitFor resolves on the call it waits for and times out naming the calls seen', async () => {
    const web = client();
    const waiting = fake.waitForCall('chat.update');
    const posted = await web.chat.postMessage({ channel: CHANNEL, text: 'x' });
    await web.chat.update({ channel: CHANNEL, ts: posted.ts as string, text: 'y' });
    expect((await waiting).params.text).toBe('y');
    expect(
      await fake.waitFor((f) => f.message(CHANNEL, posted.ts as string)?.text === 'y' && 'updated'),
    ).toBe('updated');
    await expect(fake.waitForCall('views.open', undefined, 50)).rejects.toThrow(
      /within 50 ms; calls so far: chat.postMessage, chat.update/,
    );
  });

  it('lets a test seed a message posted before it started', async () => {
    const ts = fake.seedMessage(CHANNEL, { text: 'old card' });
    await client().chat.update({ channel: CHANNEL, ts, text: 'updated card' });
    expect(fake.message(CHANNEL, ts)?.text).toBe('updated card');
  });
});

describe('signed requests', () => {
  it('produces signatures Bolt verifies, and only for the right secret and time', () => {
    const body = encodeBoltBody(
      slashCommandBody({ text: 'list', userId: 'U0ALICE', channelId: CHANNEL }),
      'form',
    );
    const now = 1_767_225_600;
    const headers = signSlackRequest(SIGNING_SECRET, body, now);
    expect(headers['content-type']).toBe('application/x-www-form-urlencoded');
    const verify = (secret: string, nowMs: number, rawBody = body) =>
      verifySlackRequest({
        signingSecret: secret,
        body: rawBody,
        headers: {
          'x-slack-signature': headers['x-slack-signature'],
          'x-slack-request-timestamp': Number(headers['x-slack-request-timestamp']),
        },
        nowMilliseconds: nowMs,
      });
    expect(() => verify(SIGNING_SECRET, now * 1000)).not.toThrow();
    expect(() => verify('another-secret', now * 1000)).toThrow();
    expect(() => verify(SIGNING_SECRET, now * 1000, `${body}&x=1`)).toThrow();
    expect(() => verify(SIGNING_SECRET, (now + 301) * 1000)).toThrow();
  });
});

describe('the helpers driving a real Bolt app against the fake', () => {
  let app: App;
  let eventsUrl: string;

  beforeEach(async () => {
    app = new App({
      token: TOKEN,
      signingSecret: SIGNING_SECRET,
      botId: 'B0BOT',
      botUserId: 'U0BOT',
      processBeforeResponse: true,
      convoStore: false,
      logLevel: LogLevel.ERROR,
      clientOptions: { slackApiUrl: fake.apiUrl, retryConfig: { retries: 0 } },
    });
    app.action<BlockAction<ButtonAction>>(
      'cosjob_approve',
      async ({ ack, body, action, client, respond }) => {
        await ack();
        await client.chat.update({
          channel: body.channel?.id as string,
          ts: body.message?.ts as string,
          text: `approved ${action.value} by ${body.user.id}`,
        });
        await respond({ text: 'recorded', response_type: 'ephemeral' });
      },
    );
    app.action<BlockAction<ButtonAction>>('cosjob_cancel', async ({ ack, body, client }) => {
      await ack();
      await client.views.open({ trigger_id: body.trigger_id, view: modal() });
    });
    app.view('cosjob_cancel_reason', async ({ ack, view }) => {
      const reason = view.state.values.reason_block?.reason_input?.value ?? '';
      if (reason.length < 3) {
        await ack({
          response_action: 'errors',
          errors: { reason_block: `too short: ${view.private_metadata}` },
        });
        return;
      }
      await ack();
    });
    app.command('/cosjob', async ({ ack, command, respond }) => {
      await ack();
      await respond({ text: `you said ${command.text}` });
    });
    const server = (await app.start(0)) as Server;
    eventsUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/slack/events`;
    cleanups.push(async () => {
      await app.stop();
    });
  });

  function modal() {
    return {
      type: 'modal' as const,
      callback_id: 'cosjob_cancel_reason',
      title: { type: 'plain_text' as const, text: 'Cancel COS job' },
      submit: { type: 'plain_text' as const, text: 'Cancel job' },
      blocks: [
        {
          type: 'input' as const,
          block_id: 'reason_block',
          label: { type: 'plain_text' as const, text: 'Reason' },
          element: { type: 'plain_text_input' as const, action_id: 'reason_input' },
        },
      ],
    };
  }

  it('delivers a button click: the listener updates the message and answers on response_url', async () => {
    const card = await client().chat.postMessage({
      channel: CHANNEL,
      text: 'card',
    });
    const payload = blockActionPayload({
      actionId: 'cosjob_approve',
      value: 'ap-guangzhou|job-1',
      userId: 'U0ALICE',
      channelId: CHANNEL,
      messageTs: card.ts as string,
      responseUrl: fake.responseUrl('click-1'),
    });
    const response = await postToBolt(eventsUrl, SIGNING_SECRET, payload, { kind: 'payload' });
    expect(response.status).toBe(200);
    expect(fake.message(CHANNEL, card.ts as string)?.text).toBe('approved ap-guangzhou|job-1 by U0ALICE');
    expect(fake.responses('click-1').map((r) => r.body)).toEqual([
      { text: 'recorded', response_type: 'ephemeral' },
    ]);
    expect(fake.callsTo('chat.update')[0]?.token?.matches(TOKEN)).toBe(true);
  });

  it('opens a modal with the trigger id from the click', async () => {
    const triggerId = fake.issueTriggerId();
    const payload = blockActionPayload({
      actionId: 'cosjob_cancel',
      value: 'ap-guangzhou|job-1',
      userId: 'U0ALICE',
      channelId: CHANNEL,
      messageTs: '1700000000.000100',
      triggerId,
    });
    expect((await postToBolt(eventsUrl, SIGNING_SECRET, payload, { kind: 'payload' })).status).toBe(200);
    expect(fake.views()[0]?.triggerId).toBe(triggerId);
  });

  it('delivers a view submission with private metadata and state values', async () => {
    const submit = (reason: string | null) =>
      postToBolt(
        eventsUrl,
        SIGNING_SECRET,
        viewSubmissionPayload({
          callbackId: 'cosjob_cancel_reason',
          privateMetadata: '{"jobId":"job-1"}',
          values: { reason_block: { reason_input: reason } },
          userId: 'U0ALICE',
        }),
        { kind: 'payload' },
      );
    const refused = await submit(null);
    expect(refused.status).toBe(200);
    expect(await refused.json()).toEqual({
      response_action: 'errors',
      errors: { reason_block: 'too short: {"jobId":"job-1"}' },
    });
    const accepted = await submit('duplicate run');
    expect(accepted.status).toBe(200);
    expect(await accepted.text()).toBe('');
  });

  it('delivers a slash command as form fields', async () => {
    const body = slashCommandBody({
      text: 'status job-1',
      userId: 'U0ALICE',
      channelId: CHANNEL,
      responseUrl: fake.responseUrl('cmd-1'),
    });
    expect((await postToBolt(eventsUrl, SIGNING_SECRET, body, { kind: 'form' })).status).toBe(200);
    expect(fake.responses('cmd-1').map((r) => r.body)).toEqual([{ text: 'you said status job-1' }]);
  });

  it('is refused by Bolt when the signature is stale or the content-type is not exact', async () => {
    const body = slashCommandBody({ text: 'list', userId: 'U0ALICE', channelId: CHANNEL });
    const stale = Math.floor(Date.now() / 1000) - 301;
    expect(
      (await postToBolt(eventsUrl, SIGNING_SECRET, body, { kind: 'form', timestamp: stale })).status,
    ).toBe(401);
    expect((await postToBolt(eventsUrl, 'wrong-secret', body, { kind: 'form' })).status).toBe(401);
    const withCharset = { 'content-type': 'application/x-www-form-urlencoded; charset=utf-8' };
    expect(
      (await postToBolt(eventsUrl, SIGNING_SECRET, body, { kind: 'form', extraHeaders: withCharset })).status,
    ).toBe(400);
    expect(fake.calls).toEqual([]);
  });
});
