/**
 * Socket Mode end to end: the production composition root (startRuntime) with SLACK_APP_TOKEN set and no
 * signing secret, so Bolt runs its SocketModeReceiver (@slack/socket-mode over undici's WebSocket) against
 * a loopback fake of Slack's Socket Mode; the fake Web API serves apps.connections.open and the chat.*
 * calls, with the COS emulator and a real redis-server behind.
 */
import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { WebSocket } from 'ws';
import { type AppConfig, accountFromEnvironment } from '../../../src/config/index.js';
import { createLogger } from '../../../src/logger.js';
import { type Runtime, startRuntime } from '../../../src/runtime.js';
import { FakeSocketMode, type SocketConnection } from '../../../tools/fakes/fake-socket-mode.js';
import { type CosFixture, startCosFixture, TEST_ACCOUNT } from '../../helpers/cos-fixture.js';
import { type FakeSlack, type StoredMessage, startFakeSlack } from '../../helpers/fake-slack.js';
import { useRedis } from '../../helpers/redis.js';
import { blockActionPayload, slashCommandBody } from '../../helpers/slack-requests.js';

const APP_TOKEN = 'xapp-1-A0FAKE-1111-socketmodetestapptoken';
const BOT_TOKEN = 'xoxb-socket-0000-test-token';
const CHANNEL = 'C0SOCKET';
const REGION = 'ap-guangzhou';
const BOT = { botId: 'B0BOT', botUserId: 'U0BOT' };
const ALICE = { id: 'UALICE', name: 'alice' };
const APPROVED_TITLE = '✅ COS batch job approved';

const redis = useRedis();
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

interface Stack {
  cos: CosFixture;
  slack: FakeSlack;
  socket: FakeSocketMode;
  runtime: Runtime;
  logLines: string[];
  /** Stops the runtime once (the afterEach cleanup skips it when a test already did). */
  stopRuntime(): Promise<void>;
}

async function startStack(): Promise<Stack> {
  const cos = await startCosFixture({ regions: [REGION] });
  cleanups.push(() => cos.close());
  const slack = await startFakeSlack({ expectedToken: BOT_TOKEN, ...BOT, users: [ALICE] });
  cleanups.push(() => slack.close());
  const socket = await FakeSocketMode.start({ appToken: APP_TOKEN, slack });
  cleanups.push(() => socket.close());

  const config: AppConfig = {
    accounts: [
      accountFromEnvironment({
        secretId: TEST_ACCOUNT.secretId,
        secretKey: TEST_ACCOUNT.secretKey,
        appId: TEST_ACCOUNT.appId,
        uin: TEST_ACCOUNT.uin,
        regions: [REGION],
      }),
    ],
    cosEndpoint: cos.emulator.url,
    redis: { url: redis.url, keyPrefix: redis.keyPrefix },
    approvals: {
      approverUserIds: [ALICE.id],
      approverUsergroupIds: [],
      requiredApprovals: 1,
      requireCancelReason: true,
    },
    audit: { checkpointIntervalMs: 3_600_000, checkpointChannelId: CHANNEL },
    watcher: { pollIntervalSeconds: 60 },
    // No signingSecret: Socket Mode needs none, and the app must not fall back to HTTP.
    slack: { botToken: BOT_TOKEN, appToken: APP_TOKEN, channelId: CHANNEL, port: 0, apiUrl: slack.apiUrl },
  };
  const logLines: string[] = [];
  // startRuntime resolves after the hello; a refused handshake would retry forever, so bound it.
  const runtime = await withinMs(
    startRuntime({
      config,
      logger: createLogger({ level: 'debug', write: (line) => logLines.push(line) }),
      clock: cos.clock,
      cosOverrides: { timeouts: { deadlineMs: 3_000 }, retry: { baseDelayMs: 5, maxDelayMs: 20 } },
      slack: { bot: BOT, postIntervalMs: 0 },
      engine: {
        reconcileGraceMs: 0,
        progressIntervalMs: 0,
        instanceId: `socket-${randomBytes(3).toString('hex')}`,
      },
      startWatcher: false,
    }),
    10_000,
    'startRuntime (connecting over Socket Mode)',
  );
  let stopped: Promise<void> | undefined;
  const stopRuntime = () => {
    stopped ??= runtime.stop();
    return stopped;
  };
  cleanups.push(stopRuntime);
  return { cos, slack, socket, runtime, logLines, stopRuntime };
}

/** A Suspended job announced by one watcher pass; returns its id and card. */
async function pendingCard(stack: Stack): Promise<{ jobId: string; card: StoredMessage }> {
  const jobId = stack.cos.createSuspendedJob(REGION);
  await stack.runtime.engine.watcher.pollOnce();
  await stack.runtime.slack.poster.idle();
  const card = stack.slack
    .messages(CHANNEL)
    .find((m) => JSON.stringify(m.blocks ?? []).includes(`|${jobId}"`));
  if (!card) throw new Error(`no card was posted for ${jobId}`);
  return { jobId, card };
}

function approveClick(slack: FakeSlack, jobId: string, card: StoredMessage): Record<string, unknown> {
  return blockActionPayload({
    actionId: 'cosjob_approve',
    value: `${REGION}|${jobId}`,
    userId: ALICE.id,
    userName: ALICE.name,
    channelId: CHANNEL,
    messageTs: card.ts,
    responseUrl: slack.responseUrl(`click-${randomBytes(4).toString('hex')}`, {
      user: ALICE.id,
      channel: CHANNEL,
    }),
  });
}

function helpCommand(slack: FakeSlack, responseId: string): Record<string, unknown> {
  return slashCommandBody({
    text: 'help',
    userId: ALICE.id,
    userName: ALICE.name,
    channelId: CHANNEL,
    responseUrl: slack.responseUrl(responseId),
  });
}

/** Fallback text and every string in the blocks. */
function textOf(message: { text?: unknown; blocks?: unknown } | undefined): string {
  const parts: string[] = [];
  const walk = (value: unknown): void => {
    if (typeof value === 'string') parts.push(value);
    else if (Array.isArray(value)) value.forEach(walk);
    else if (value !== null && typeof value === 'object') Object.values(value).forEach(walk);
  };
  walk(message?.text);
  walk(message?.blocks);
  return parts.join('\n');
}

function titleOf(message: { blocks?: unknown[] } | undefined): string {
  const header = (message?.blocks ?? []).find(
    (b): b is { type: 'header'; text: { text: string } } => (b as { type?: string }).type === 'header',
  );
  return header?.text.text ?? '';
}

function statusUpdates(stack: Stack, jobId: string) {
  return stack.cos.emulator.stats.statusUpdates.filter((u) => u.jobId === jobId);
}

async function auditActions(stack: Stack, jobId: string): Promise<string[]> {
  return (await stack.runtime.audit.history({ account: 'default', region: REGION, jobId: jobId })).map(
    (e) => e.action,
  );
}

/** Waits for the card's approved state and every queued thread reply, so nothing is still in flight. */
async function approvedCard(stack: Stack, card: StoredMessage): Promise<StoredMessage> {
  const final = await stack.slack.waitFor((fake) => {
    const message = fake.message(CHANNEL, card.ts);
    return titleOf(message) === APPROVED_TITLE ? message : undefined;
  });
  await stack.runtime.slack.poster.idle();
  return final;
}

function withinMs<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe('Socket Mode', () => {
  it('connects with the app-level token and answers /cosjob help in the ack', async () => {
    const stack = await startStack();
    const { slack, socket } = stack;

    // startRuntime resolved only after the hello, on the one URL apps.connections.open handed out.
    const opens = slack.callsTo('apps.connections.open');
    expect(opens).toHaveLength(1);
    expect(opens[0]?.status).toBe(200);
    expect(opens[0]?.response).toMatchObject({ ok: true });
    expect(opens[0]?.token?.matches(APP_TOKEN)).toBe(true);
    expect(opens[0]?.tokenSource).toBe('header');
    expect(socket.connections).toHaveLength(1);
    expect(socket.connections[0]?.helloSent).toBe(true);
    expect(socket.refusedUpgrades).toEqual([]);

    const ack = await socket.deliver({ type: 'slash_commands', payload: helpCommand(slack, 'help-1') });
    expect(ack.connectionId).toBe(1);
    expect(ack.payload?.response_type).toBe('ephemeral');
    const help = textOf(ack.payload);
    expect(help).toContain('cosjob commands');
    expect(help).toContain('/cosjob approve');
    expect(help).toContain('/cosjob audit');
    // The help is the ack itself: nothing went through the response_url.
    expect(slack.responses('help-1')).toHaveLength(0);

    // The app token went to apps.connections.open only; everything else used the bot token.
    for (const call of slack.calls.filter((c) => c.method !== 'apps.connections.open')) {
      expect(call.token?.kind).toBe('xoxb');
    }
    expect(socket.protocolErrors).toEqual([]);
    expect(stack.logLines.join('\n')).not.toContain(APP_TOKEN);
    expect(stack.logLines.join('\n')).not.toContain(BOT_TOKEN);
  });

  it('approves from a card once, even when Slack redelivers the envelope', async () => {
    const stack = await startStack();
    const { slack, socket } = stack;
    const { jobId, card } = await pendingCard(stack);
    const click = approveClick(slack, jobId, card);

    const first = await socket.deliver({ type: 'interactive', payload: click });
    // A bare ack(): the person sees the result on the card, not in the ack.
    expect(first.payload).toEqual({});
    // Redelivered at once, as Slack does when it thinks the ack was late; it may race the first.
    const again = await socket.deliver({
      type: 'interactive',
      payload: click,
      envelopeId: first.envelopeId,
      retryAttempt: 1,
      retryReason: 'timeout',
    });
    expect(again.envelopeId).toBe(first.envelopeId);

    const final = await approvedCard(stack, card);
    expect(textOf(final)).toContain('*Approved* by <@UALICE>');
    // The redelivery is refused (busy or already decided) and Alice is told so privately.
    const told = await slack.waitFor((fake) =>
      fake.ephemerals(CHANNEL).length > 0 ? fake.ephemerals(CHANNEL) : undefined,
    );
    expect(told).toHaveLength(1);
    expect(told[0]?.user).toBe(ALICE.id);
    expect(textOf(told[0])).toMatch(/already (approving|approved)/);

    const job = stack.cos.emulator.store.getJob(REGION, jobId);
    expect(job?.status).toBe('Ready');
    expect(job?.statusUpdateReason).toBe('approved by alice (UALICE) via Slack');
    expect(statusUpdates(stack, jobId)).toHaveLength(1);
    const actions = await auditActions(stack, jobId);
    expect(actions.filter((a) => a === 'approve_requested')).toHaveLength(1);
    expect(actions.filter((a) => a === 'approved')).toHaveLength(1);
    expect(socket.acksFor(first.envelopeId)).toHaveLength(2);
    expect(socket.protocolErrors).toEqual([]);
  });

  it('acknowledges but refuses a click from another team, and audits it against the job it names', async () => {
    const stack = await startStack();
    const { slack, socket } = stack;
    const { jobId, card } = await pendingCard(stack);
    const click = {
      ...approveClick(slack, jobId, card),
      team: { id: 'T0OTHERTEAM', domain: 'other' },
      user: { id: ALICE.id, username: ALICE.name, name: ALICE.name, team_id: 'T0OTHERTEAM' },
    };
    const acked = await socket.deliver({ type: 'interactive', payload: click });
    expect(acked.payload).toEqual({});
    await vi.waitFor(async () => expect(await auditActions(stack, jobId)).toEqual(['posted', 'denied']));
    expect(statusUpdates(stack, jobId)).toHaveLength(0);
    expect(slack.ephemerals()).toHaveLength(0);
  });

  it('reconnects when Slack asks it to, keeps working, and stop() closes the socket', async () => {
    const stack = await startStack();
    const { slack, socket } = stack;
    const { jobId, card } = await pendingCard(stack);
    const click = approveClick(slack, jobId, card);
    const first = await socket.deliver({ type: 'interactive', payload: click });
    await approvedCard(stack, card);

    const old = socket.requestReconnect('refresh_requested');
    const closed = await socket.waitForClose(old);
    expect(closed.closeCode).toBe(1000);
    // @slack/socket-mode waits clientPingTimeout (5 s, not configurable through Bolt's App) first.
    const fresh = await socket.waitForConnection(2, 10_000);
    expect(fresh.id).toBe(2);
    expect(fresh.ticket).not.toBe(old.ticket);
    const opens = slack.callsTo('apps.connections.open');
    expect(opens).toHaveLength(2);
    expect(opens.every((c) => c.token?.matches(APP_TOKEN))).toBe(true);
    expect(socket.refusedUpgrades).toEqual([]);

    // An envelope that was in flight on the old connection comes back on the new one: no second COS call.
    const redelivered = await socket.deliver({
      type: 'interactive',
      payload: click,
      envelopeId: first.envelopeId,
      retryAttempt: 2,
      retryReason: 'timeout',
    });
    expect(redelivered.connectionId).toBe(2);
    await slack.waitFor((fake) => fake.ephemerals(CHANNEL).length === 1);
    expect(statusUpdates(stack, jobId)).toHaveLength(1);

    // And new work goes through the new connection.
    const help = await socket.deliver({ type: 'slash_commands', payload: helpCommand(slack, 'help-2') });
    expect(help.connectionId).toBe(2);
    expect(textOf(help.payload)).toContain('cosjob commands');
    const second = await pendingCard(stack);
    const ack = await socket.deliver({
      type: 'interactive',
      payload: approveClick(slack, second.jobId, second.card),
    });
    expect(ack.connectionId).toBe(2);
    await approvedCard(stack, second.card);
    expect(statusUpdates(stack, second.jobId)).toHaveLength(1);
    expect(stack.cos.emulator.store.getJob(REGION, second.jobId)?.status).toBe('Ready');

    // Shutdown is bounded and resolves only once the client has closed the socket with a close frame
    // (main.ts exits right after stop(); a dropped link would make Slack redeliver and log errors).
    await withinMs(stack.stopRuntime(), 10_000, 'runtime.stop()');
    const last: SocketConnection | undefined = socket.connections[1];
    expect(last?.closedAt).toBeDefined();
    expect(last?.closeCode).toBe(1000);
    expect(socket.openConnections).toEqual([]);
    expect(slack.callsTo('apps.connections.open')).toHaveLength(2);
    expect(socket.protocolErrors).toEqual([]);
  });
});

describe('the Socket Mode fakes', () => {
  it('hand a WebSocket URL only to the app-level token, and each URL connects once', async () => {
    const slack = await startFakeSlack({ expectedToken: BOT_TOKEN, ...BOT, users: [ALICE] });
    cleanups.push(() => slack.close());
    const socket = await FakeSocketMode.start({ appToken: APP_TOKEN, slack });
    cleanups.push(() => socket.close());
    const open = async (token: string) => {
      const response = await fetch(`${slack.apiUrl}apps.connections.open`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/x-www-form-urlencoded' },
        body: '',
      });
      return (await response.json()) as { ok: boolean; url?: string; error?: string };
    };

    expect(await open(BOT_TOKEN)).toEqual({ ok: false, error: 'not_allowed_token_type' });
    expect(await open('xapp-1-A0OTHER-2222-someoneelse')).toEqual({ ok: false, error: 'invalid_auth' });
    const granted = await open(APP_TOKEN);
    expect(granted.ok).toBe(true);
    expect(granted.url).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/link\/\?ticket=[0-9a-f-]{36}&app_id=A0FAKE$/);
    // The app token is for Socket Mode only; chat.* with it is refused as on Slack.
    const post = await fetch(`${slack.apiUrl}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${APP_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: CHANNEL, text: 'hi' }),
    });
    expect(await post.json()).toEqual({ ok: false, error: 'not_allowed_token_type' });

    const url = granted.url ?? '';
    const client = new WebSocket(url);
    cleanups.push(async () => client.terminate());
    const hello = await new Promise<Record<string, unknown>>((resolve, reject) => {
      client.once('message', (data) => resolve(JSON.parse(String(data)) as Record<string, unknown>));
      client.once('error', reject);
    });
    expect(hello).toMatchObject({ type: 'hello', num_connections: 1, connection_info: { app_id: 'A0FAKE' } });
    expect(hello.debug_info).toMatchObject({ host: expect.any(String) });

    // An ack for an envelope the fake never sent is a protocol error, not an ack.
    client.send(JSON.stringify({ envelope_id: 'never-sent', payload: {} }));
    await socket.waitFor((fake) => fake.protocolErrors.length > 0);
    expect(socket.acks).toHaveLength(0);
    const envelopeId = socket.send({ type: 'slash_commands', payload: { command: '/cosjob', text: 'help' } });
    const envelope = await new Promise<Record<string, unknown>>((resolve) =>
      client.once('message', (data) => resolve(JSON.parse(String(data)) as Record<string, unknown>)),
    );
    expect(envelope).toEqual({
      envelope_id: envelopeId,
      type: 'slash_commands',
      payload: { command: '/cosjob', text: 'help' },
      accepts_response_payload: true,
    });
    client.send(JSON.stringify({ envelope_id: envelopeId, payload: { text: 'ok' } }));
    await socket.waitFor((fake) => fake.acksFor(envelopeId).length === 1);
    expect(socket.acksFor(envelopeId)[0]?.payload).toEqual({ text: 'ok' });
    await socket.ping();

    // The same URL again: refused, as Slack's single-use tickets are.
    const reused = new WebSocket(url);
    const refusal = await new Promise<string>((resolve) => {
      reused.once('unexpected-response', (_req, res) => resolve(String(res.statusCode)));
      reused.once('error', (error) => resolve(error.message));
    });
    reused.terminate();
    expect(refusal).toContain('401');
    expect(socket.refusedUpgrades).toEqual(['ticket already used (each URL connects once)']);
  });
});
