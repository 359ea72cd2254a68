/**
 * (Moved from test/helpers: the demo and the tests share it.)
 * A fake Slack Web API on 127.0.0.1:<ephemeral port>, for tests that run the real WebClient and Bolt
 * against it (`clientOptions.slackApiUrl = fake.apiUrl`). It keeps the messages the bot posted, threads and
 * views, records every call, injects faults per method, and rejects what real Slack would reject
 * (missing token, unknown message, expired or reused trigger_id, Block Kit limits exceeded). With
 * `enableSocketMode` it also answers Socket Mode's `apps.connections.open` (see fake-socket-mode.ts).
 *
 * Platform errors are HTTP 200 with `{ ok: false, error }`, as Slack does; only injected faults use 429/500.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type Clock, systemClock } from '../../src/clock.js';
import { ConditionWaiters } from './waiters.js';

/**
 * `{ status: 500, afterEffect: true }` serves the call (a message really is posted) and then answers 500:
 * the ambiguous failure a timeout or a dropped connection produces, after which a careful caller must
 * check before sending again.
 */
export type SlackFault =
  | { error: string }
  | { status: 429; retryAfterSec: number }
  | { status: 500; afterEffect?: boolean };

/** Holds a token so tests can check it without it ever appearing in a snapshot, diff or log. */
export class RecordedToken {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  matches(expected: string): boolean {
    return this.#value === expected;
  }
  get kind(): string {
    return /^(xox[a-z]|xapp)-/.exec(this.#value)?.[1] ?? 'unknown';
  }
  toString(): string {
    return '[redacted token]';
  }
  toJSON(): string {
    return '[redacted token]';
  }
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return 'RecordedToken([redacted])';
  }
}

export interface RecordedCall {
  /** 1, 2, 3… in arrival order. */
  seq: number;
  /** The Web API method (e.g. `chat.postMessage`), or `response_url` for posts to `/response/<id>`. */
  method: string;
  path: string;
  /** Form or JSON fields, with `blocks`, `view`, `attachments` and `metadata` JSON-decoded; never the token. */
  params: Record<string, unknown>;
  token?: RecordedToken;
  tokenSource?: 'header' | 'form';
  contentType: string;
  /** From the fake's clock. */
  receivedAt: number;
  status: number;
  response: unknown;
  fault?: SlackFault;
}

export interface StoredMessage {
  channel: string;
  ts: string;
  /** The parent's ts when this is a thread reply. */
  threadTs?: string;
  text?: string;
  blocks?: unknown[];
  user: string;
  botId?: string;
  replyBroadcast: boolean;
  /** How many chat.update calls changed it. */
  updates: number;
  /** The `metadata` posted with the message (event_type + event_payload), returned by conversations.history. */
  metadata?: unknown;
}

export interface StoredEphemeral {
  channel: string;
  user: string;
  messageTs: string;
  threadTs?: string;
  text?: string;
  blocks?: unknown[];
}

export interface StoredView {
  id: string;
  hash: string;
  triggerId?: string;
  externalId?: string;
  view: Record<string, unknown>;
  updates: number;
}

export interface ResponseUrlPost {
  id: string;
  body: unknown;
  receivedAt: number;
}

/** What `apps.connections.open` needs to answer (see FakeSlack#enableSocketMode). */
export interface SocketModeEndpoint {
  /** The only token accepted for apps.connections.open. */
  appToken: string;
  /** A fresh WebSocket URL for each call (Slack's carry a single-use ticket). */
  issueUrl: () => string;
}

export interface FakeSlackUser {
  id: string;
  name: string;
  realName?: string;
  displayName?: string;
  isBot?: boolean;
  deleted?: boolean;
}

export interface FakeSlackOptions {
  /** When set, any other token gets `invalid_auth`. A missing token always gets `not_authed`. */
  expectedToken?: string;
  users?: FakeSlackUser[];
  /** Usergroup id → member user ids, for `usergroups.users.list`. */
  usergroups?: Record<string, string[]>;
  /**
   * When set, views.open accepts only trigger ids from `issueTriggerId()` that are younger than this
   * (by `clock`); otherwise any non-empty trigger id is accepted once.
   */
  triggerTtlMs?: number;
  clock?: Clock;
  teamId?: string;
  botUserId?: string;
  botId?: string;
  /** Check posted blocks and views against Block Kit limits (default true). */
  validateBlocks?: boolean;
  /** conversations.info answers is_member: false for these channels (the bot was not invited). */
  channelsWithoutBot?: string[];
}

type Predicate<T> = (fake: FakeSlack) => T | undefined | null | false;
type Reply = { status: number; body: unknown; headers?: Record<string, string> };

const JSON_FIELDS = new Set(['blocks', 'view', 'attachments', 'metadata']);
const MAX_BODY_BYTES = 2 * 1024 * 1024;

export class FakeSlack {
  readonly url: string;
  /** Pass as `slackApiUrl` (it ends with `/api/`). */
  readonly apiUrl: string;
  readonly #server: Server;
  readonly #clock: Clock;
  readonly #options: FakeSlackOptions;
  readonly #calls: RecordedCall[] = [];
  readonly #messages = new Map<string, StoredMessage[]>();
  readonly #ephemerals: StoredEphemeral[] = [];
  readonly #views = new Map<string, StoredView>();
  readonly #responses: ResponseUrlPost[] = [];
  readonly #responseContexts = new Map<string, { user: string; channel: string }>();
  readonly #users = new Map<string, FakeSlackUser>();
  readonly #usergroups = new Map<string, string[]>();
  readonly #faults = new Map<string, SlackFault[]>();
  readonly #issuedTriggers = new Map<string, number>();
  readonly #usedTriggers = new Set<string>();
  readonly #waiters = new ConditionWaiters<FakeSlack>(this);
  readonly #baseSeconds: number;
  #socketMode: SocketModeEndpoint | undefined;
  #tsCounter = 0;
  #viewCounter = 0;
  #closed = false;

  private constructor(server: Server, url: string, options: FakeSlackOptions) {
    this.#server = server;
    this.url = url;
    this.apiUrl = `${url}/api/`;
    this.#options = options;
    this.#clock = options.clock ?? systemClock;
    this.#baseSeconds = Math.floor(this.#clock.now() / 1000);
    for (const user of options.users ?? []) this.#users.set(user.id, user);
    for (const [id, members] of Object.entries(options.usergroups ?? {}))
      this.#usergroups.set(id, [...members]);
  }

  static async start(options: FakeSlackOptions = {}): Promise<FakeSlack> {
    let fake: FakeSlack | undefined;
    const server = createServer((req, res) => {
      if (!fake) {
        res.writeHead(503).end();
        return;
      }
      fake.#handle(req, res).catch((error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`fake slack failed: ${error instanceof Error ? error.message : String(error)}`);
      });
    });
    server.keepAliveTimeout = 1000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = server.address() as AddressInfo;
    fake = new FakeSlack(server, `http://127.0.0.1:${port}`, options);
    return fake;
  }

  // ---- configuration ----------------------------------------------------------------------------------

  /**
   * A response_url. With `context` (who clicked, where), an ephemeral answer posted to it is also kept as
   * an ephemeral message to that user, as Slack shows it.
   */
  responseUrl(id: string, context?: { user: string; channel: string }): string {
    if (context) this.#responseContexts.set(id, context);
    return `${this.url}/response/${encodeURIComponent(id)}`;
  }

  setUser(user: FakeSlackUser): void {
    this.#users.set(user.id, user);
  }

  setUsergroup(id: string, members: string[]): void {
    this.#usergroups.set(id, [...members]);
  }

  /** A trigger id the fake knows the age of (see `triggerTtlMs`). */
  issueTriggerId(): string {
    const id = `${this.#baseSeconds}.${this.#issuedTriggers.size + 1}.${randomBytes(6).toString('hex')}`;
    this.#issuedTriggers.set(id, this.#clock.now());
    return id;
  }

  /**
   * Serves `apps.connections.open`: only `appToken` (an `xapp-` app-level token, as a Bearer header) gets
   * `{ ok: true, url: issueUrl() }`. A bot or user token gets `not_allowed_token_type`, as on Slack, and so
   * does the app token on any other method. FakeSocketMode (fake-socket-mode.ts) calls this for you.
   */
  enableSocketMode(endpoint: SocketModeEndpoint): void {
    if (!endpoint.appToken.startsWith('xapp-')) {
      throw new Error('enableSocketMode: appToken must be an app-level token (it starts with xapp-)');
    }
    this.#socketMode = endpoint;
  }

  /** The next `times` calls to `method` (or `response_url`) fail this way instead of being served. */
  failNext(method: string, fault: SlackFault, times = 1): void {
    const queue = this.#faults.get(method) ?? [];
    for (let i = 0; i < times; i++) queue.push(fault);
    this.#faults.set(method, queue);
  }

  /** A message that exists before the test starts (e.g. a card posted by an earlier process). */
  seedMessage(channel: string, message: { text?: string; blocks?: unknown[]; threadTs?: string }): string {
    const stored = this.#storeMessage(channel, message.text, message.blocks, message.threadTs, false);
    return stored.ts;
  }

  // ---- inspection -------------------------------------------------------------------------------------

  get calls(): readonly RecordedCall[] {
    return this.#calls;
  }

  callsTo(method: string): RecordedCall[] {
    return this.#calls.filter((c) => c.method === method);
  }

  /** Top-level messages in a channel, oldest first. */
  messages(channel: string): StoredMessage[] {
    return (this.#messages.get(channel) ?? []).filter((m) => m.threadTs === undefined);
  }

  /** Replies in the thread under `parentTs`, oldest first. */
  thread(channel: string, parentTs: string): StoredMessage[] {
    return (this.#messages.get(channel) ?? []).filter((m) => m.threadTs === parentTs);
  }

  /** Any message (top-level or reply) by its ts. */
  message(channel: string, ts: string): StoredMessage | undefined {
    return (this.#messages.get(channel) ?? []).find((m) => m.ts === ts);
  }

  ephemerals(channel?: string): StoredEphemeral[] {
    return this.#ephemerals.filter((e) => channel === undefined || e.channel === channel);
  }

  views(): StoredView[] {
    return [...this.#views.values()];
  }

  responses(id?: string): ResponseUrlPost[] {
    return this.#responses.filter((r) => id === undefined || r.id === id);
  }

  /**
   * Resolves with the predicate's first truthy result, checked now and after every request the fake
   * serves; rejects after `timeoutMs` naming the calls seen so far.
   */
  waitFor<T>(predicate: Predicate<T>, timeoutMs = 5000): Promise<T> {
    return this.#waiters.waitFor(predicate, timeoutMs, () => {
      const seen = this.#calls.map((c) => c.method).join(', ') || 'none';
      return `fake Slack: condition not met within ${timeoutMs} ms; calls so far: ${seen}`;
    });
  }

  waitForCall(
    method: string,
    predicate?: (call: RecordedCall) => boolean,
    timeoutMs = 5000,
  ): Promise<RecordedCall> {
    return this.waitFor((fake) => fake.callsTo(method).find((c) => predicate?.(c) ?? true), timeoutMs);
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#server.closeAllConnections();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  // ---- request handling -------------------------------------------------------------------------------

  async #handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    const raw = await readBody(req);
    const contentType = String(req.headers['content-type'] ?? '');
    const isResponseUrl = path.startsWith('/response/');
    const method = isResponseUrl ? 'response_url' : path.startsWith('/api/') ? path.slice(5) : path;

    let reply: Reply;
    let params: Record<string, unknown> = {};
    let token: string | undefined;
    let tokenSource: 'header' | 'form' | undefined;
    const fault = this.#faults.get(method)?.shift();

    if (raw === undefined) {
      reply = { status: 413, body: { ok: false, error: 'request_too_large' } };
    } else if (req.method !== 'POST') {
      reply = { status: 405, body: { ok: false, error: 'method_not_allowed' } };
    } else if (isResponseUrl) {
      params = { body: parseJsonOrText(raw) };
      reply = fault
        ? faultReply(fault)
        : this.#responseUrl(decodeURIComponent(path.slice('/response/'.length)), params.body);
    } else {
      const parsed = parseParams(raw, contentType);
      params = parsed.params;
      const header = req.headers.authorization;
      if (typeof header === 'string' && /^Bearer\s+\S/.test(header)) {
        token = header.replace(/^Bearer\s+/, '');
        tokenSource = 'header';
      } else if (typeof params.token === 'string' && params.token !== '') {
        token = params.token;
        tokenSource = 'form';
      }
      delete params.token;
      if (fault && !isAfterEffect(fault)) reply = faultReply(fault);
      else if (parsed.error) reply = ok200({ ok: false, error: parsed.error });
      else if (token === undefined) reply = ok200({ ok: false, error: 'not_authed' });
      else if (method === 'apps.connections.open') {
        const served = ok200(this.#connectionsOpen(token));
        reply = fault ? faultReply(fault) : served;
      } else if (token.startsWith('xapp-')) reply = ok200({ ok: false, error: 'not_allowed_token_type' });
      else if (this.#options.expectedToken !== undefined && token !== this.#options.expectedToken) {
        reply = ok200({ ok: false, error: 'invalid_auth' });
      } else {
        const served = ok200(this.#dispatch(method, params));
        reply = fault ? faultReply(fault) : served;
      }
    }

    const call: RecordedCall = {
      seq: this.#calls.length + 1,
      method,
      path,
      params,
      contentType,
      receivedAt: this.#clock.now(),
      status: reply.status,
      response: reply.body,
    };
    if (token !== undefined) call.token = new RecordedToken(token);
    if (tokenSource !== undefined) call.tokenSource = tokenSource;
    if (fault) call.fault = fault;
    this.#calls.push(call);

    res.writeHead(reply.status, { 'content-type': 'application/json; charset=utf-8', ...reply.headers });
    res.end(JSON.stringify(reply.body));
    this.#waiters.notify();
  }

  #dispatch(method: string, params: Record<string, unknown>): Record<string, unknown> {
    switch (method) {
      case 'auth.test':
        return {
          ok: true,
          url: 'https://fake.slack.test/',
          team: 'Fake Team',
          user: 'cosjob',
          team_id: this.#teamId,
          user_id: this.#botUserId,
          bot_id: this.#botId,
        };
      case 'chat.postMessage':
        return this.#postMessage(params);
      case 'conversations.history':
        return this.#history(params);
      case 'chat.update':
        return this.#update(params);
      case 'chat.postEphemeral':
        return this.#postEphemeral(params);
      case 'views.open':
        return this.#viewsOpen(params);
      case 'views.update':
        return this.#viewsUpdate(params);
      case 'users.info':
        return this.#usersInfo(params);
      case 'usergroups.users.list':
        return this.#usergroupUsers(params);
      case 'conversations.info': {
        const channel = typeof params.channel === 'string' ? params.channel : '';
        if (!/^[CGD][A-Z0-9]{2,}$/.test(channel)) return { ok: false, error: 'channel_not_found' };
        const member = !(this.#options.channelsWithoutBot ?? []).includes(channel);
        return { ok: true, channel: { id: channel, is_channel: true, is_member: member } };
      }
      default:
        return { ok: false, error: 'unknown_method' };
    }
  }

  /** Socket Mode's handshake: an app-level token buys a single-use WebSocket URL. */
  #connectionsOpen(token: string): Record<string, unknown> {
    if (!token.startsWith('xapp-')) return { ok: false, error: 'not_allowed_token_type' };
    if (!this.#socketMode || token !== this.#socketMode.appToken) return { ok: false, error: 'invalid_auth' };
    return { ok: true, url: this.#socketMode.issueUrl() };
  }

  get #teamId(): string {
    return this.#options.teamId ?? 'T0FAKE';
  }
  get #botUserId(): string {
    return this.#options.botUserId ?? 'U0BOT';
  }
  get #botId(): string {
    return this.#options.botId ?? 'B0BOT';
  }

  #nextTs(): string {
    this.#tsCounter++;
    const seconds = this.#baseSeconds + Math.floor(this.#tsCounter / 1_000_000);
    return `${seconds}.${String(this.#tsCounter % 1_000_000).padStart(6, '0')}`;
  }

  #storeMessage(
    channel: string,
    text: string | undefined,
    blocks: unknown[] | undefined,
    threadTs: string | undefined,
    replyBroadcast: boolean,
  ): StoredMessage {
    const message: StoredMessage = {
      channel,
      ts: this.#nextTs(),
      user: this.#botUserId,
      botId: this.#botId,
      replyBroadcast,
      updates: 0,
    };
    if (threadTs !== undefined) message.threadTs = threadTs;
    if (text !== undefined) message.text = text;
    if (blocks !== undefined) message.blocks = blocks;
    const list = this.#messages.get(channel) ?? [];
    list.push(message);
    this.#messages.set(channel, list);
    return message;
  }

  #messageContentProblem(params: Record<string, unknown>): Record<string, unknown> | undefined {
    if (params.blocks !== undefined && !Array.isArray(params.blocks)) {
      return { ok: false, error: 'invalid_blocks_format' };
    }
    if (this.#options.validateBlocks !== false && Array.isArray(params.blocks)) {
      const problems = blockKitProblems(params.blocks, 'message');
      if (problems.length > 0) {
        return {
          ok: false,
          error: 'invalid_blocks',
          errors: problems,
          response_metadata: { messages: problems },
        };
      }
    }
    return undefined;
  }

  #postMessage(params: Record<string, unknown>): Record<string, unknown> {
    const channel = stringParam(params.channel);
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const text = stringParam(params.text);
    const blocks = Array.isArray(params.blocks) ? params.blocks : undefined;
    if (!text && (!blocks || blocks.length === 0) && params.attachments === undefined) {
      return { ok: false, error: 'no_text' };
    }
    const problem = this.#messageContentProblem(params);
    if (problem) return problem;
    let threadTs = stringParam(params.thread_ts);
    if (threadTs !== undefined) {
      const parent = this.message(channel, threadTs);
      // Slack files a reply to a reply under the same parent; an unknown ts is a bug in the caller.
      if (!parent) return { ok: false, error: 'thread_not_found' };
      threadTs = parent.threadTs ?? parent.ts;
    }
    const stored = this.#storeMessage(channel, text, blocks, threadTs, isTrue(params.reply_broadcast));
    if (params.metadata !== undefined) stored.metadata = params.metadata;
    return { ok: true, channel, ts: stored.ts, message: messageJson(stored) };
  }

  /** Top-level messages, newest first; `metadata` only with include_all_metadata, as Slack does. */
  #history(params: Record<string, unknown>): Record<string, unknown> {
    const channel = stringParam(params.channel);
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const requested = Number(stringParam(params.limit) ?? 100);
    const limit = Number.isFinite(requested) && requested > 0 ? Math.min(requested, 999) : 100;
    const withMetadata = isTrue(params.include_all_metadata);
    const newestFirst = this.messages(channel).reverse();
    const page = newestFirst.slice(0, limit).map((m) => ({
      ...messageJson(m),
      ...(withMetadata && m.metadata !== undefined ? { metadata: m.metadata } : {}),
    }));
    return { ok: true, messages: page, has_more: newestFirst.length > limit };
  }

  #update(params: Record<string, unknown>): Record<string, unknown> {
    const channel = stringParam(params.channel);
    const ts = stringParam(params.ts);
    if (!channel) return { ok: false, error: 'channel_not_found' };
    const message = ts ? this.message(channel, ts) : undefined;
    if (!message) return { ok: false, error: 'message_not_found' };
    const problem = this.#messageContentProblem(params);
    if (problem) return problem;
    const text = stringParam(params.text);
    if (text !== undefined) message.text = text;
    if (Array.isArray(params.blocks)) message.blocks = params.blocks;
    message.updates++;
    return { ok: true, channel, ts: message.ts, text: message.text ?? '', message: messageJson(message) };
  }

  #postEphemeral(params: Record<string, unknown>): Record<string, unknown> {
    const channel = stringParam(params.channel);
    const user = stringParam(params.user);
    if (!channel) return { ok: false, error: 'channel_not_found' };
    if (!user) return { ok: false, error: 'user_not_in_channel' };
    const text = stringParam(params.text);
    const blocks = Array.isArray(params.blocks) ? params.blocks : undefined;
    if (!text && (!blocks || blocks.length === 0)) return { ok: false, error: 'no_text' };
    const problem = this.#messageContentProblem(params);
    if (problem) return problem;
    const ephemeral: StoredEphemeral = { channel, user, messageTs: this.#nextTs() };
    if (text !== undefined) ephemeral.text = text;
    if (blocks !== undefined) ephemeral.blocks = blocks;
    const threadTs = stringParam(params.thread_ts);
    if (threadTs !== undefined) ephemeral.threadTs = threadTs;
    this.#ephemerals.push(ephemeral);
    return { ok: true, message_ts: ephemeral.messageTs };
  }

  #triggerProblem(triggerId: string): string | undefined {
    if (this.#usedTriggers.has(triggerId)) return 'exchanged_trigger_id';
    const issuedAt = this.#issuedTriggers.get(triggerId);
    const ttl = this.#options.triggerTtlMs;
    if (ttl !== undefined) {
      if (issuedAt === undefined) return 'invalid_trigger_id';
      if (this.#clock.now() - issuedAt > ttl) return 'expired_trigger_id';
    }
    return undefined;
  }

  #viewProblem(view: unknown): Record<string, unknown> | undefined {
    if (view === null || typeof view !== 'object' || Array.isArray(view)) {
      return {
        ok: false,
        error: 'invalid_arguments',
        response_metadata: { messages: ['[ERROR] missing view'] },
      };
    }
    if (this.#options.validateBlocks !== false) {
      const problems = viewProblems(view as Record<string, unknown>);
      if (problems.length > 0) {
        return { ok: false, error: 'invalid_arguments', response_metadata: { messages: problems } };
      }
    }
    return undefined;
  }

  #viewJson(stored: StoredView): Record<string, unknown> {
    return {
      ...stored.view,
      id: stored.id,
      hash: stored.hash,
      team_id: this.#teamId,
      app_id: 'A0FAKE',
      bot_id: this.#botId,
      root_view_id: stored.id,
      previous_view_id: null,
      state: { values: {} },
      ...(stored.externalId ? { external_id: stored.externalId } : {}),
    };
  }

  #viewsOpen(params: Record<string, unknown>): Record<string, unknown> {
    const triggerId = stringParam(params.trigger_id);
    if (!triggerId) {
      return {
        ok: false,
        error: 'invalid_arguments',
        response_metadata: { messages: ['[ERROR] missing trigger_id'] },
      };
    }
    const triggerProblem = this.#triggerProblem(triggerId);
    if (triggerProblem) return { ok: false, error: triggerProblem };
    const problem = this.#viewProblem(params.view);
    if (problem) return problem;
    this.#usedTriggers.add(triggerId);
    this.#viewCounter++;
    const view = params.view as Record<string, unknown>;
    const stored: StoredView = {
      id: `V${String(this.#viewCounter).padStart(8, '0')}`,
      hash: `${this.#baseSeconds}.${randomBytes(4).toString('hex')}`,
      triggerId,
      view,
      updates: 0,
    };
    const externalId = stringParam(view.external_id);
    if (externalId) stored.externalId = externalId;
    this.#views.set(stored.id, stored);
    return { ok: true, view: this.#viewJson(stored) };
  }

  #viewsUpdate(params: Record<string, unknown>): Record<string, unknown> {
    const viewId = stringParam(params.view_id);
    const externalId = stringParam(params.external_id);
    const stored = viewId
      ? this.#views.get(viewId)
      : externalId
        ? [...this.#views.values()].find((v) => v.externalId === externalId)
        : undefined;
    if (!stored) return { ok: false, error: 'not_found' };
    const hash = stringParam(params.hash);
    if (hash !== undefined && hash !== stored.hash) return { ok: false, error: 'hash_conflict' };
    const problem = this.#viewProblem(params.view);
    if (problem) return problem;
    stored.view = params.view as Record<string, unknown>;
    stored.hash = `${this.#baseSeconds}.${randomBytes(4).toString('hex')}`;
    stored.updates++;
    return { ok: true, view: this.#viewJson(stored) };
  }

  #usersInfo(params: Record<string, unknown>): Record<string, unknown> {
    const user = this.#users.get(stringParam(params.user) ?? '');
    if (!user) return { ok: false, error: 'user_not_found' };
    return {
      ok: true,
      user: {
        id: user.id,
        team_id: this.#teamId,
        name: user.name,
        real_name: user.realName ?? user.name,
        deleted: user.deleted ?? false,
        is_bot: user.isBot ?? false,
        profile: { display_name: user.displayName ?? user.name, real_name: user.realName ?? user.name },
      },
    };
  }

  #usergroupUsers(params: Record<string, unknown>): Record<string, unknown> {
    const members = this.#usergroups.get(stringParam(params.usergroup) ?? '');
    if (!members) return { ok: false, error: 'no_such_subteam' };
    return { ok: true, users: [...members] };
  }

  #responseUrl(id: string, body: unknown): Reply {
    this.#responses.push({ id, body, receivedAt: this.#clock.now() });
    const context = this.#responseContexts.get(id);
    const message = (body ?? {}) as {
      response_type?: unknown;
      text?: unknown;
      blocks?: unknown;
      replace_original?: unknown;
    };
    // response_url answers are ephemeral unless they say in_channel or replace the original message.
    if (context && message.response_type !== 'in_channel' && message.replace_original !== true) {
      const ephemeral: StoredEphemeral = {
        channel: context.channel,
        user: context.user,
        messageTs: this.#nextTs(),
      };
      if (typeof message.text === 'string') ephemeral.text = message.text;
      if (Array.isArray(message.blocks)) ephemeral.blocks = message.blocks;
      this.#ephemerals.push(ephemeral);
    }
    return ok200({ ok: true });
  }
}

export function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  return FakeSlack.start(options);
}

// ---- helpers ------------------------------------------------------------------------------------------

function ok200(body: unknown): Reply {
  return { status: 200, body };
}

function isAfterEffect(fault: SlackFault): boolean {
  return 'status' in fault && fault.status === 500 && fault.afterEffect === true;
}

function faultReply(fault: SlackFault): Reply {
  if ('error' in fault) return ok200({ ok: false, error: fault.error });
  if (fault.status === 429) {
    return {
      status: 429,
      body: { ok: false, error: 'ratelimited' },
      headers: { 'retry-after': String(fault.retryAfterSec) },
    };
  }
  return { status: 500, body: { ok: false, error: 'internal_error' } };
}

function readBody(req: IncomingMessage): Promise<string | undefined> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) tooLarge = true;
      else chunks.push(chunk);
    });
    req.on('end', () => resolve(tooLarge ? undefined : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function parseParams(raw: string, contentType: string): { params: Record<string, unknown>; error?: string } {
  const params: Record<string, unknown> = {};
  if (contentType.startsWith('application/json')) {
    const parsed = parseJsonOrText(raw);
    if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
      return { params, error: 'invalid_json' };
    }
    return { params: { ...(parsed as Record<string, unknown>) } };
  }
  if (raw !== '' && !contentType.startsWith('application/x-www-form-urlencoded')) {
    return { params, error: 'invalid_form_data' };
  }
  for (const [key, value] of new URLSearchParams(raw)) {
    if (JSON_FIELDS.has(key)) {
      try {
        params[key] = JSON.parse(value);
      } catch {
        return { params, error: key === 'blocks' ? 'invalid_blocks_format' : 'invalid_arguments' };
      }
    } else {
      params[key] = value;
    }
  }
  return { params };
}

function parseJsonOrText(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function stringParam(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

function isTrue(value: unknown): boolean {
  return value === true || value === 'true' || value === '1';
}

function messageJson(message: StoredMessage): Record<string, unknown> {
  return {
    type: 'message',
    ts: message.ts,
    text: message.text ?? '',
    blocks: message.blocks ?? [],
    user: message.user,
    bot_id: message.botId,
    ...(message.threadTs ? { thread_ts: message.threadTs } : {}),
  };
}

// ---- Block Kit limits ---------------------------------------------------------------------------------

/**
 * An independent check of Block Kit's documented limits (@slack/types JSDoc, docs.slack.dev), used by the
 * fake to refuse what Slack would refuse and by tests as an oracle for the builders. Returns one line
 * per problem, empty when the blocks are acceptable.
 */
export function blockKitProblems(blocks: unknown, surface: 'message' | 'modal'): string[] {
  const problems: string[] = [];
  if (!Array.isArray(blocks)) return ['blocks must be an array'];
  const maxBlocks = surface === 'message' ? 50 : 100;
  if (blocks.length > maxBlocks) problems.push(`${blocks.length} blocks; at most ${maxBlocks}`);
  const blockIds = new Set<string>();
  blocks.forEach((block, index) => {
    const where = `blocks[${index}]`;
    if (!isRecord(block) || typeof block.type !== 'string') {
      problems.push(`${where} has no type`);
      return;
    }
    if (block.block_id !== undefined) {
      const id = block.block_id;
      if (typeof id !== 'string' || id.length === 0 || id.length > 255)
        problems.push(`${where}.block_id length`);
      else if (blockIds.has(id)) problems.push(`${where}.block_id ${id} is not unique`);
      else blockIds.add(id);
    }
    switch (block.type) {
      case 'section':
        if (block.text === undefined && block.fields === undefined)
          problems.push(`${where} needs text or fields`);
        if (block.text !== undefined) checkText(block.text, 3000, `${where}.text`, problems);
        if (block.fields !== undefined) {
          if (!Array.isArray(block.fields) || block.fields.length > 10)
            problems.push(`${where}.fields: at most 10`);
          else
            block.fields.forEach((f, i) => {
              checkText(f, 2000, `${where}.fields[${i}]`, problems);
            });
        }
        if (block.accessory !== undefined) checkElement(block.accessory, `${where}.accessory`, problems);
        break;
      case 'header':
        checkText(block.text, 150, `${where}.text`, problems, 'plain_text');
        break;
      case 'context':
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 10) {
          problems.push(`${where}.elements: 1 to 10`);
        } else {
          block.elements.forEach((e, i) => {
            if (isRecord(e) && e.type === 'image') return;
            checkText(e, 3000, `${where}.elements[${i}]`, problems);
          });
        }
        break;
      case 'actions': {
        if (!Array.isArray(block.elements) || block.elements.length === 0 || block.elements.length > 25) {
          problems.push(`${where}.elements: 1 to 25`);
          break;
        }
        const actionIds = new Set<string>();
        block.elements.forEach((e, i) => {
          checkElement(e, `${where}.elements[${i}]`, problems);
          const id = isRecord(e) ? e.action_id : undefined;
          if (typeof id === 'string') {
            if (actionIds.has(id)) problems.push(`${where}.elements[${i}].action_id ${id} is not unique`);
            actionIds.add(id);
          }
        });
        break;
      }
      case 'input':
        if (surface === 'message') problems.push(`${where}: input blocks belong in modals`);
        checkText(block.label, 2000, `${where}.label`, problems, 'plain_text');
        if (block.hint !== undefined) checkText(block.hint, 2000, `${where}.hint`, problems, 'plain_text');
        checkElement(block.element, `${where}.element`, problems);
        break;
      case 'divider':
      case 'image':
      case 'rich_text':
      case 'markdown':
        break;
      default:
        problems.push(`${where}: unexpected block type ${block.type}`);
    }
  });
  return problems;
}

/** Modal-level limits plus the blocks inside. */
export function viewProblems(view: Record<string, unknown>): string[] {
  const problems: string[] = [];
  if (view.type !== 'modal') problems.push('view.type must be "modal"');
  checkText(view.title, 24, 'view.title', problems, 'plain_text');
  if (view.submit !== undefined) checkText(view.submit, 24, 'view.submit', problems, 'plain_text');
  if (view.close !== undefined) checkText(view.close, 24, 'view.close', problems, 'plain_text');
  if (view.private_metadata !== undefined) {
    if (typeof view.private_metadata !== 'string' || view.private_metadata.length > 3000) {
      problems.push('view.private_metadata: a string of at most 3000 characters');
    }
  }
  if (view.callback_id !== undefined) {
    if (typeof view.callback_id !== 'string' || view.callback_id.length > 255)
      problems.push('view.callback_id length');
  }
  const blocks = view.blocks;
  problems.push(...blockKitProblems(blocks, 'modal'));
  if (
    Array.isArray(blocks) &&
    blocks.some((b) => isRecord(b) && b.type === 'input') &&
    view.submit === undefined
  ) {
    problems.push('view.submit is required when the view has input blocks');
  }
  return problems;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function checkText(
  value: unknown,
  max: number,
  where: string,
  problems: string[],
  only?: 'plain_text' | 'mrkdwn',
): void {
  if (!isRecord(value) || (value.type !== 'plain_text' && value.type !== 'mrkdwn')) {
    problems.push(`${where} must be a text object`);
    return;
  }
  if (only && value.type !== only) problems.push(`${where} must be ${only}`);
  if (typeof value.text !== 'string' || value.text.length === 0) problems.push(`${where}.text is empty`);
  else if (value.text.length > max)
    problems.push(`${where}.text is ${value.text.length} characters; at most ${max}`);
}

function checkElement(element: unknown, where: string, problems: string[]): void {
  if (!isRecord(element)) {
    problems.push(`${where} must be an object`);
    return;
  }
  if (element.action_id !== undefined) {
    if (
      typeof element.action_id !== 'string' ||
      element.action_id.length === 0 ||
      element.action_id.length > 255
    ) {
      problems.push(`${where}.action_id length`);
    }
  }
  if (element.type === 'button') {
    checkText(element.text, 75, `${where}.text`, problems, 'plain_text');
    if (element.value !== undefined && (typeof element.value !== 'string' || element.value.length > 2000)) {
      problems.push(`${where}.value: a string of at most 2000 characters`);
    }
    if (element.style !== undefined && element.style !== 'primary' && element.style !== 'danger') {
      problems.push(`${where}.style`);
    }
    if (element.confirm !== undefined) {
      const confirm = element.confirm;
      if (!isRecord(confirm)) problems.push(`${where}.confirm must be an object`);
      else {
        if (confirm.title !== undefined)
          checkText(confirm.title, 100, `${where}.confirm.title`, problems, 'plain_text');
        checkText(confirm.text, 300, `${where}.confirm.text`, problems);
        if (confirm.confirm !== undefined)
          checkText(confirm.confirm, 30, `${where}.confirm.confirm`, problems, 'plain_text');
        if (confirm.deny !== undefined)
          checkText(confirm.deny, 30, `${where}.confirm.deny`, problems, 'plain_text');
      }
    }
  } else if (element.type === 'plain_text_input') {
    const max = element.max_length;
    if (max !== undefined && (typeof max !== 'number' || max < 1 || max > 3000))
      problems.push(`${where}.max_length: 1 to 3000`);
    if (element.placeholder !== undefined)
      checkText(element.placeholder, 150, `${where}.placeholder`, problems, 'plain_text');
  }
}
