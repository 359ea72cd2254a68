/**
 * A loopback fake of Slack's Socket Mode, for tests that run the real Bolt SocketModeReceiver
 * (@slack/socket-mode 3.x, which connects with undici's WebSocket) against it.
 *
 * The protocol as @slack/socket-mode 3.1.0 reads it (SocketModeClient.js, SlackWebSocket.js):
 * - `apps.connections.open` (Web API, Bearer app-level token) returns `{ ok, url }`; the client connects to
 *   that URL as is. Slack's URLs look like `wss://wss-primary.slack.com/link/?ticket=<uuid>&app_id=<id>`
 *   and a ticket works once, so this fake issues `ws://127.0.0.1:<port>/link/?ticket=…&app_id=…` and
 *   refuses an unknown or reused ticket (HTTP 401 on the upgrade).
 * - The client waits for `{"type":"hello"}` before `start()` resolves; it reads only `type`. Slack also
 *   sends `num_connections`, `debug_info` and `connection_info`, so the fake does too.
 * - Envelopes: `{ envelope_id, type, payload, accepts_response_payload, retry_attempt?, retry_reason? }`.
 *   The client answers each with `{ envelope_id, payload: {…} }` (payload `{}` for a bare `ack()`).
 * - `{"type":"disconnect","reason":…}`: the client closes (code 1000) and, unless it is shutting down,
 *   calls apps.connections.open again after `clientPingTimeout` (5 s by default) and reconnects.
 * - Keepalive: the client pings every clientPingTimeout / 3 and disconnects without pongs (ws answers pings
 *   itself); after a server ping it expects another within serverPingTimeout (30 s), so `ping()` is opt-in.
 *
 * Secrets: the app token is never stored here; FakeSlack checks it and records it as a RecordedToken.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { type RawData, type WebSocket, WebSocketServer } from 'ws';
import { type Clock, systemClock } from '../../src/clock.js';
import type { FakeSlack } from './fake-slack.js';
import { ConditionWaiters } from './waiters.js';

export type EnvelopeType = 'slash_commands' | 'interactive' | 'events_api';

export interface EnvelopeInput {
  type: EnvelopeType;
  /** The same object Slack would POST in HTTP mode (slash command fields, or the interactivity payload). */
  payload: Record<string, unknown>;
  /** Default: a fresh UUID. Reuse one to redeliver an envelope, as Slack does when an ack is late. */
  envelopeId?: string;
  /** Default: true for slash commands and view submissions, false otherwise (as Slack sends them). */
  acceptsResponsePayload?: boolean;
  /** 0 on a first delivery, 1, 2… on redeliveries. Omitted when undefined. */
  retryAttempt?: number;
  retryReason?: string;
}

export interface SentEnvelope {
  envelopeId: string;
  type: EnvelopeType;
  connectionId: number;
  retryAttempt?: number;
  sentAt: number;
}

export interface SocketAck {
  envelopeId: string;
  /** What the app put in the ack (`{}` for a bare `ack()`); undefined only when the frame had none. */
  payload?: Record<string, unknown>;
  connectionId: number;
  receivedAt: number;
}

export interface SocketConnection {
  /** 1, 2, 3… in the order clients connected. */
  readonly id: number;
  readonly openedAt: number;
  /** The ticket of the URL it connected with (each is single use). */
  readonly ticket: string;
  helloSent: boolean;
  /** Pings the client sent (the fake answered each with a pong). */
  clientPings: number;
  /** Pongs the client sent back for `ping()`. */
  pongsReceived: number;
  closedAt?: number;
  /** The WebSocket close code (1000 when the client closed normally, 1006 when the TCP link just broke). */
  closeCode?: number;
}

export interface FakeSocketModeOptions {
  /** The app-level token apps.connections.open must be called with (`xapp-…`). */
  appToken: string;
  /** Registers apps.connections.open on this fake Web API. Without it, call `issueUrl()` yourself. */
  slack?: FakeSlack;
  appId?: string;
  clock?: Clock;
}

type Predicate<T> = (fake: FakeSocketMode) => T | undefined | null | false;

const HOST_NAME = 'applink-fake-1';

export class FakeSocketMode {
  /** `ws://127.0.0.1:<port>`; clients need a ticket URL from `issueUrl()` (or apps.connections.open). */
  readonly url: string;
  readonly appId: string;
  readonly #http: Server;
  readonly #wss: WebSocketServer;
  readonly #clock: Clock;
  readonly #issuedTickets = new Set<string>();
  readonly #usedTickets = new Set<string>();
  readonly #connections: SocketConnection[] = [];
  readonly #sockets = new Map<number, WebSocket>();
  readonly #envelopes: SentEnvelope[] = [];
  readonly #acks: SocketAck[] = [];
  readonly #refusedUpgrades: string[] = [];
  readonly #protocolErrors: string[] = [];
  readonly #waiters = new ConditionWaiters<FakeSocketMode>(this);
  #closed = false;

  private constructor(http: Server, wss: WebSocketServer, url: string, options: FakeSocketModeOptions) {
    this.#http = http;
    this.#wss = wss;
    this.url = url;
    this.appId = options.appId ?? 'A0FAKE';
    this.#clock = options.clock ?? systemClock;
  }

  static async start(options: FakeSocketModeOptions): Promise<FakeSocketMode> {
    if (!options.appToken.startsWith('xapp-')) {
      throw new Error('FakeSocketMode: appToken must be an app-level token (it starts with xapp-)');
    }
    const http = createServer((_req, res) => {
      res.writeHead(426, { 'content-type': 'text/plain' }).end('Socket Mode speaks WebSocket only');
    });
    const wss = new WebSocketServer({ noServer: true });
    await new Promise<void>((resolve, reject) => {
      http.once('error', reject);
      http.listen(0, '127.0.0.1', () => resolve());
    });
    const { port } = http.address() as AddressInfo;
    const fake = new FakeSocketMode(http, wss, `ws://127.0.0.1:${port}`, options);
    http.on('upgrade', (req, socket, head) => fake.#upgrade(req, socket as Socket, head));
    options.slack?.enableSocketMode({ appToken: options.appToken, issueUrl: () => fake.issueUrl() });
    return fake;
  }

  // ---- what apps.connections.open hands out -------------------------------------------------------------

  /** A fresh single-use WebSocket URL in Slack's shape. */
  issueUrl(): string {
    const ticket = randomUUID();
    this.#issuedTickets.add(ticket);
    return `${this.url}/link/?ticket=${ticket}&app_id=${encodeURIComponent(this.appId)}`;
  }

  // ---- driving the client -------------------------------------------------------------------------------

  /**
   * Sends an envelope on the newest open connection and returns its envelope_id. Throws when no client
   * is connected (wait with `waitForConnection` first).
   */
  send(input: EnvelopeInput): string {
    const connection = this.#current();
    const envelopeId = input.envelopeId ?? randomUUID();
    const frame: Record<string, unknown> = {
      envelope_id: envelopeId,
      type: input.type,
      payload: input.payload,
      accepts_response_payload: input.acceptsResponsePayload ?? acceptsResponseByDefault(input),
    };
    if (input.retryAttempt !== undefined) frame.retry_attempt = input.retryAttempt;
    if (input.retryReason !== undefined) frame.retry_reason = input.retryReason;
    this.#socket(connection).send(JSON.stringify(frame));
    const sent: SentEnvelope = {
      envelopeId,
      type: input.type,
      connectionId: connection.id,
      sentAt: this.#clock.now(),
    };
    if (input.retryAttempt !== undefined) sent.retryAttempt = input.retryAttempt;
    this.#envelopes.push(sent);
    return envelopeId;
  }

  /**
   * Sends an envelope and resolves with the app's ack for it. Pass the `envelopeId` of an earlier envelope
   * (and a `retryAttempt`) to redeliver: this then waits for an ack that arrives after this send.
   */
  async deliver(input: EnvelopeInput, timeoutMs = 5000): Promise<SocketAck> {
    const before = this.#acks.length;
    const envelopeId = this.send(input);
    return this.waitFor(
      (fake) => fake.#acks.slice(before).find((a) => a.envelopeId === envelopeId),
      timeoutMs,
      `an ack for envelope ${envelopeId}`,
    );
  }

  /** Asks the client to reconnect, as Slack does before recycling a host (`refresh_requested`, `warning`…). */
  requestReconnect(reason = 'refresh_requested'): SocketConnection {
    const connection = this.#current();
    this.#socket(connection).send(
      JSON.stringify({ type: 'disconnect', reason, debug_info: { host: HOST_NAME } }),
    );
    return connection;
  }

  /** Breaks the newest connection without a close frame (a network failure). */
  dropConnection(): SocketConnection {
    const connection = this.#current();
    this.#socket(connection).terminate();
    return connection;
  }

  /** Sends a WebSocket ping as Slack's hosts do, resolving when the client's pong arrives. */
  async ping(timeoutMs = 5000): Promise<void> {
    const connection = this.#current();
    const before = connection.pongsReceived;
    this.#socket(connection).ping(Buffer.from(`Ping from ${HOST_NAME}`));
    await this.waitFor(() => connection.pongsReceived > before, timeoutMs, 'a pong');
  }

  // ---- inspection ---------------------------------------------------------------------------------------

  get connections(): readonly SocketConnection[] {
    return this.#connections;
  }

  get openConnections(): SocketConnection[] {
    return this.#connections.filter((c) => c.closedAt === undefined);
  }

  get envelopes(): readonly SentEnvelope[] {
    return this.#envelopes;
  }

  get acks(): readonly SocketAck[] {
    return this.#acks;
  }

  acksFor(envelopeId: string): SocketAck[] {
    return this.#acks.filter((a) => a.envelopeId === envelopeId);
  }

  /** Why upgrade requests were refused (unknown or reused ticket, wrong path). */
  get refusedUpgrades(): readonly string[] {
    return this.#refusedUpgrades;
  }

  /** Frames from the client that are not acks Slack would accept. A correct client leaves this empty. */
  get protocolErrors(): readonly string[] {
    return this.#protocolErrors;
  }

  /** Resolves once `count` connections in total have received their hello; returns the newest. */
  waitForConnection(count: number, timeoutMs = 5000): Promise<SocketConnection> {
    return this.waitFor(
      (fake) => {
        const greeted = fake.#connections.filter((c) => c.helloSent);
        return greeted.length >= count ? greeted[greeted.length - 1] : undefined;
      },
      timeoutMs,
      `connection #${count}`,
    );
  }

  /** Resolves when this connection has closed (for any reason). */
  waitForClose(connection: SocketConnection, timeoutMs = 5000): Promise<SocketConnection> {
    return this.waitFor(
      () => (connection.closedAt !== undefined ? connection : undefined),
      timeoutMs,
      `connection #${connection.id} to close`,
    );
  }

  /**
   * Resolves with the predicate's first truthy result, checked now and after every connection, frame and
   * close the fake sees; rejects after `timeoutMs` saying what it waited for.
   */
  waitFor<T>(predicate: Predicate<T>, timeoutMs = 5000, what = 'the condition'): Promise<T> {
    return this.#waiters.waitFor(
      predicate,
      timeoutMs,
      () => `fake Socket Mode: no ${what} within ${timeoutMs} ms (${this.#summary()})`,
    );
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const socket of this.#sockets.values()) socket.terminate();
    await new Promise<void>((resolve) => this.#wss.close(() => resolve()));
    this.#http.closeAllConnections();
    await new Promise<void>((resolve) => this.#http.close(() => resolve()));
  }

  // ---- internals ----------------------------------------------------------------------------------------

  #upgrade(req: IncomingMessage, socket: Socket, head: Buffer): void {
    const url = new URL(req.url ?? '/', this.url.replace(/^ws/, 'http'));
    const ticket = url.searchParams.get('ticket') ?? '';
    let refusal: string | undefined;
    if (this.#closed) refusal = 'the fake is closing';
    else if (url.pathname !== '/link/' && url.pathname !== '/link') refusal = `unknown path ${url.pathname}`;
    else if (!this.#issuedTickets.has(ticket)) refusal = 'unknown ticket (call apps.connections.open first)';
    else if (this.#usedTickets.has(ticket)) refusal = 'ticket already used (each URL connects once)';
    if (refusal !== undefined) {
      this.#refusedUpgrades.push(refusal);
      socket.end('HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      this.#notify();
      return;
    }
    this.#usedTickets.add(ticket);
    this.#wss.handleUpgrade(req, socket, head, (ws) => this.#accept(ws, ticket));
  }

  #accept(ws: WebSocket, ticket: string): void {
    const connection: SocketConnection = {
      id: this.#connections.length + 1,
      openedAt: this.#clock.now(),
      ticket,
      helloSent: false,
      clientPings: 0,
      pongsReceived: 0,
    };
    this.#connections.push(connection);
    this.#sockets.set(connection.id, ws);
    ws.on('message', (data, isBinary) => this.#onFrame(connection, data, isBinary));
    ws.on('ping', () => {
      connection.clientPings++;
      this.#notify();
    });
    ws.on('pong', () => {
      connection.pongsReceived++;
      this.#notify();
    });
    ws.on('close', (code) => {
      connection.closedAt = this.#clock.now();
      connection.closeCode = code;
      this.#sockets.delete(connection.id);
      this.#notify();
    });
    ws.on('error', (error) => {
      this.#protocolErrors.push(`connection #${connection.id}: ${error.message}`);
    });
    ws.send(
      JSON.stringify({
        type: 'hello',
        num_connections: this.openConnections.length,
        debug_info: { host: HOST_NAME, build_number: 1, approximate_connection_time: 18060 },
        connection_info: { app_id: this.appId },
      }),
      (error) => {
        if (error) this.#protocolErrors.push(`connection #${connection.id}: hello failed: ${error.message}`);
        else connection.helloSent = true;
        this.#notify();
      },
    );
  }

  #onFrame(connection: SocketConnection, data: RawData, isBinary: boolean): void {
    const where = `connection #${connection.id}`;
    if (isBinary) {
      this.#protocolErrors.push(`${where}: a binary frame (Slack expects JSON text)`);
      this.#notify();
      return;
    }
    let frame: unknown;
    try {
      frame = JSON.parse(rawText(data));
    } catch {
      this.#protocolErrors.push(`${where}: a frame that is not JSON`);
      this.#notify();
      return;
    }
    const envelopeId = isRecord(frame) ? frame.envelope_id : undefined;
    if (!isRecord(frame) || typeof envelopeId !== 'string' || envelopeId === '') {
      this.#protocolErrors.push(`${where}: a frame without an envelope_id`);
    } else if (!this.#envelopes.some((e) => e.envelopeId === envelopeId)) {
      this.#protocolErrors.push(`${where}: an ack for unknown envelope ${envelopeId}`);
    } else if (frame.payload !== undefined && !isRecord(frame.payload)) {
      this.#protocolErrors.push(`${where}: an ack whose payload is not an object`);
    } else {
      const ack: SocketAck = { envelopeId, connectionId: connection.id, receivedAt: this.#clock.now() };
      if (isRecord(frame.payload)) ack.payload = frame.payload;
      this.#acks.push(ack);
    }
    this.#notify();
  }

  #current(): SocketConnection {
    const open = this.#connections.filter((c) => c.helloSent && c.closedAt === undefined);
    const newest = open[open.length - 1];
    if (!newest) {
      throw new Error(`fake Socket Mode: no client is connected (${this.#summary()}); wait for one first`);
    }
    return newest;
  }

  #socket(connection: SocketConnection): WebSocket {
    const socket = this.#sockets.get(connection.id);
    if (!socket) throw new Error(`fake Socket Mode: connection #${connection.id} is closed`);
    return socket;
  }

  #notify(): void {
    this.#waiters.notify();
  }

  #summary(): string {
    const open = this.openConnections.length;
    return `${this.#connections.length} connection(s), ${open} open, ${this.#envelopes.length} envelope(s), ${this.#acks.length} ack(s)`;
  }
}

function acceptsResponseByDefault(input: EnvelopeInput): boolean {
  if (input.type === 'slash_commands') return true;
  return input.type === 'interactive' && input.payload.type === 'view_submission';
}

function rawText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}
