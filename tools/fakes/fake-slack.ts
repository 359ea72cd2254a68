/**
 * A fake Slack Web API on 127.0.0.1:<ephemeral port>, for tests that run the real WebClient and Bolt
 * against it (`clientOptions.slackApiUrl = fake.apiUrl`). It keeps the messages the bot posted, threads and
 * views, records every call, injects faults per method, and rejects what real Slack would reject
 * (missing token, unknown message, expired or reused trigger_id, Block Kit limits exceeded). With
 * `enableSocketMode` it also answers Socket Mode's `apps.connections.open` (see fake-socket-mode.ts).
 *
 * Platform errors are HTTP 200 with `{ ok: false, error }`, as Slack does; only injected faults use 429/500.
 *
 * This file is the HTTP server, the routing (token checks, faults, recording) and the public API. The
 * methods live by family in slack/methods/, the workspace state in slack/workspace.ts, faults in
 * slack/faults.ts, Block Kit limits in slack/block-kit.ts; to fake another method, add it to a family's table.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { faultReply, isAfterEffect, SlackFaultQueue } from './slack/faults.js';
import { CHAT_METHODS } from './slack/methods/chat.js';
import type { MethodTable } from './slack/methods/method.js';
import { USER_METHODS } from './slack/methods/users.js';
import { VIEW_METHODS } from './slack/methods/views.js';
import { receiveResponseUrlPost } from './slack/response-url.js';
import {
  type FakeSlackOptions,
  type FakeSlackUser,
  type MethodResult,
  type RecordedCall,
  RecordedToken,
  type Reply,
  type ResponseUrlPost,
  type SlackFault,
  type SocketModeEndpoint,
  type StoredEphemeral,
  type StoredMessage,
  type StoredView,
} from './slack/types.js';
import { ok200, parseJsonOrText, parseParams, readBody } from './slack/wire.js';
import { Workspace } from './slack/workspace.js';
import { ConditionWaiters } from './waiters.js';

export { blockKitProblems, viewProblems } from './slack/block-kit.js';
export type {
  FakeSlackOptions,
  FakeSlackUser,
  RecordedCall,
  ResponseUrlPost,
  SlackFault,
  SocketModeEndpoint,
  StoredEphemeral,
  StoredMessage,
  StoredView,
} from './slack/types.js';
export { RecordedToken } from './slack/types.js';

type Predicate<T> = (fake: FakeSlack) => T | undefined | null | false;

const METHODS: MethodTable = { ...USER_METHODS, ...CHAT_METHODS, ...VIEW_METHODS };

export class FakeSlack {
  readonly url: string;
  /** Pass as `slackApiUrl` (it ends with `/api/`). */
  readonly apiUrl: string;
  readonly #server: Server;
  readonly #options: FakeSlackOptions;
  readonly #workspace: Workspace;
  readonly #calls: RecordedCall[] = [];
  readonly #faults = new SlackFaultQueue();
  readonly #waiters = new ConditionWaiters<FakeSlack>(this);
  #socketMode: SocketModeEndpoint | undefined;
  #closed = false;

  private constructor(server: Server, url: string, options: FakeSlackOptions) {
    this.#server = server;
    this.url = url;
    this.apiUrl = `${url}/api/`;
    this.#options = options;
    this.#workspace = new Workspace(options);
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
    // Node's default (5 s). At 1 s the server announces `Keep-Alive: timeout=1`, which undici (global fetch,
    // so the Slack WebClient) takes as no time to reuse a socket: every Web API call opened and closed a
    // connection, a cost real Slack does not impose. close() ends connections itself.
    server.keepAliveTimeout = 5_000;
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
    if (context) this.#workspace.responseContexts.set(id, context);
    return `${this.url}/response/${encodeURIComponent(id)}`;
  }

  setUser(user: FakeSlackUser): void {
    this.#workspace.users.set(user.id, user);
  }

  setUsergroup(id: string, members: string[]): void {
    this.#workspace.usergroups.set(id, [...members]);
  }

  /** A trigger id the fake knows the age of (see `triggerTtlMs`). */
  issueTriggerId(): string {
    const workspace = this.#workspace;
    const id = `${workspace.baseSeconds}.${workspace.issuedTriggers.size + 1}.${randomBytes(6).toString('hex')}`;
    workspace.issuedTriggers.set(id, workspace.clock.now());
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
    this.#faults.add(method, fault, times);
  }

  /** A message that exists before the test starts (e.g. a card posted by an earlier process). */
  seedMessage(channel: string, message: { text?: string; blocks?: unknown[]; threadTs?: string }): string {
    return this.#workspace.storeMessage(channel, message.text, message.blocks, message.threadTs, false).ts;
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
    return this.#workspace.topLevel(channel);
  }

  /** Replies in the thread under `parentTs`, oldest first. */
  thread(channel: string, parentTs: string): StoredMessage[] {
    return (this.#workspace.messages.get(channel) ?? []).filter((m) => m.threadTs === parentTs);
  }

  /** Any message (top-level or reply) by its ts. */
  message(channel: string, ts: string): StoredMessage | undefined {
    return this.#workspace.message(channel, ts);
  }

  ephemerals(channel?: string): StoredEphemeral[] {
    return this.#workspace.ephemerals.filter((e) => channel === undefined || e.channel === channel);
  }

  views(): StoredView[] {
    return [...this.#workspace.views.values()];
  }

  responses(id?: string): ResponseUrlPost[] {
    return this.#workspace.responses.filter((r) => id === undefined || r.id === id);
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
    const fault = this.#faults.take(method);

    if (raw === undefined) {
      reply = { status: 413, body: { ok: false, error: 'request_too_large' } };
    } else if (req.method !== 'POST') {
      reply = { status: 405, body: { ok: false, error: 'method_not_allowed' } };
    } else if (isResponseUrl) {
      params = { body: parseJsonOrText(raw) };
      reply = fault
        ? faultReply(fault)
        : receiveResponseUrlPost(
            this.#workspace,
            decodeURIComponent(path.slice('/response/'.length)),
            params.body,
          );
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
      receivedAt: this.#workspace.clock.now(),
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

  #dispatch(method: string, params: Record<string, unknown>): MethodResult {
    const serve = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
    return serve ? serve(this.#workspace, params) : { ok: false, error: 'unknown_method' };
  }

  /** Socket Mode's handshake: an app-level token buys a single-use WebSocket URL. */
  #connectionsOpen(token: string): MethodResult {
    if (!token.startsWith('xapp-')) return { ok: false, error: 'not_allowed_token_type' };
    if (!this.#socketMode || token !== this.#socketMode.appToken) return { ok: false, error: 'invalid_auth' };
    return { ok: true, url: this.#socketMode.issueUrl() };
  }
}

export function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  return FakeSlack.start(options);
}
