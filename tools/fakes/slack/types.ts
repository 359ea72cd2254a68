import type { Clock } from '../../../src/clock.js';

/** The fake Slack's public shapes: what it records, what it stores, and how it is configured. */

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

/** The Home tab views.publish stored for one user (the latest replaces the previous one). */
export interface StoredHomeView {
  userId: string;
  id: string;
  hash: string;
  view: Record<string, unknown>;
  /** How many times a view was published for this user. */
  publishes: number;
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

/** A Web API answer as the fake writes it. */
export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

/** The body of a Web API answer (`{ ok: true, … }` or `{ ok: false, error }`). */
export type MethodResult = Record<string, unknown>;
