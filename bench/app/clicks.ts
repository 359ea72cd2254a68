/** Signed Approve clicks as Slack sends them, and a sender that keeps a fixed number in flight. */
import { performance } from 'node:perf_hooks';
import { Pool } from 'undici';
import { blockActionPayload, encodeBoltBody, signSlackRequest } from '../../tools/fakes/slack-requests.js';

export interface ClickTarget {
  /** The Slack message the button is on (the card). */
  channel: string;
  messageTs: string;
  /** The button's value as the card carries it. */
  value: string;
  /** Which job the click is for, for per-job figures. */
  job: string;
}

export interface Click {
  target: ClickTarget;
  userId: string;
  /** The form body, `payload=<JSON>`, built once so both apps get the same bytes. */
  body: string;
}

export function approveClick(
  target: ClickTarget,
  userId: string,
  actionId: string,
  responseUrl: string,
): Click {
  const payload = blockActionPayload({
    actionId,
    value: target.value,
    userId,
    channelId: target.channel,
    messageTs: target.messageTs,
    responseUrl,
  });
  return { target, userId, body: encodeBoltBody(payload, 'payload') };
}

export interface SentClick {
  click: Click;
  /** Date.now() when the request was sent (to compare with the fake Slack's clock). */
  sentAt: number;
  latencyMs: number;
  status: number;
}

/** A deterministic shuffle (mulberry32), so every run sends the clicks in the same order. */
export function shuffled<T>(items: readonly T[], seed: number): T[] {
  let state = seed >>> 0;
  const random = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

export class ClickSender {
  readonly #pool: Pool;
  constructor(
    readonly baseUrl: string,
    private readonly signingSecret: string,
    connections: number,
  ) {
    this.#pool = new Pool(baseUrl, { connections, pipelining: 1 });
  }

  /** One click, signed now (Bolt refuses signatures older than five minutes). */
  async send(click: Click): Promise<SentClick> {
    const headers = signSlackRequest(this.signingSecret, click.body);
    const sentAt = Date.now();
    const t0 = performance.now();
    const response = await this.#pool.request({
      path: '/slack/events',
      method: 'POST',
      headers: { ...headers },
      body: click.body,
    });
    await response.body.dump();
    return { click, sentAt, latencyMs: performance.now() - t0, status: response.statusCode };
  }

  /** All clicks, `inFlight` at a time, in order. */
  async sendAll(clicks: readonly Click[], inFlight: number): Promise<SentClick[]> {
    const results: SentClick[] = new Array(clicks.length);
    let next = 0;
    const worker = async () => {
      while (next < clicks.length) {
        const index = next++;
        results[index] = await this.send(clicks[index] as Click);
      }
    };
    await Promise.all(Array.from({ length: Math.min(inFlight, clicks.length) }, worker));
    return results;
  }

  close(): Promise<void> {
    return this.#pool.close();
  }
}
