/**
 * The buffered undici fetch cosjob gives Slack's Web API clients: against the fake Slack Web API (the real
 * WebClient on top, and the fetch on its own), and against a small local HTTP server for what the fake
 * cannot answer (repeated headers, a redirect, an answer too large to hold, one that never comes).
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { type FetchFunction, LogLevel, WebClient, WebClientEvent } from '@slack/web-api';
import { Agent } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  BufferedResponse,
  bufferedSlackFetch,
  MAX_SLACK_RESPONSE_BYTES,
  SlackResponseTooLargeError,
} from '../../src/slack/http-fetch.js';
import { type FakeSlack, startFakeSlack } from '../helpers/fake-slack.js';

const TOKEN = 'xoxb-http-fetch-0000-test';
const CHANNEL = 'C0FETCH';
const MIB = 1024 * 1024;

/** What the local server did with the last oversized answer it streamed. */
interface StreamReport {
  sent: number;
  completed: boolean;
}

let slack: FakeSlack;
let agent: Agent;
let fetchFn: FetchFunction;
let local: Server;
let localUrl: string;
let lastStream: Promise<StreamReport> | undefined;

function drainedOrClosed(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      res.off('drain', done);
      res.off('close', done);
      resolve();
    };
    res.on('drain', done);
    res.on('close', done);
  });
}

/** Writes `total` bytes in 1 MiB chunks, each only once the previous one drained; stops if the client goes. */
async function streamBytes(res: ServerResponse, total: number): Promise<StreamReport> {
  const chunk = Buffer.alloc(MIB, 0x61);
  let sent = 0;
  let gone = false;
  res.once('close', () => {
    gone = true;
  });
  res.writeHead(200, { 'content-type': 'application/json' });
  while (sent < total && !gone) {
    const drained = res.write(chunk);
    sent += chunk.length;
    if (!drained) await drainedOrClosed(res);
  }
  const completed = sent >= total && !gone;
  if (completed) res.end();
  return { sent, completed };
}

function localHandler(req: IncomingMessage, res: ServerResponse): void {
  const path = req.url ?? '/';
  if (path === '/repeated') {
    // Two header lines of one name, and a name in mixed case.
    res.setHeader('X-Slack-Thing', ['first', 'second']);
    res.setHeader('X-OAuth-Scopes', 'chat:write,users:read');
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
    res.end('{"ok":true}');
  } else if (path === '/redirect') {
    res.writeHead(302, { location: '/repeated' });
    res.end();
  } else if (path === '/exactly-the-limit') {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(Buffer.alloc(MAX_SLACK_RESPONSE_BYTES, 0x62));
  } else if (path.startsWith('/api/huge')) {
    lastStream = streamBytes(res, 2 * MAX_SLACK_RESPONSE_BYTES);
  } else if (path === '/never') {
    // Headers never come: only the caller's signal ends the request.
    req.resume();
  } else {
    res.writeHead(404).end();
  }
}

beforeAll(async () => {
  slack = await startFakeSlack({ expectedToken: TOKEN });
  agent = new Agent();
  fetchFn = bufferedSlackFetch(agent);
  local = createServer(localHandler);
  await new Promise<void>((resolve) => local.listen(0, '127.0.0.1', resolve));
  localUrl = `http://127.0.0.1:${(local.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await agent.close();
  local.closeAllConnections();
  await new Promise<void>((resolve) => local.close(() => resolve()));
  await slack.close();
});

const formPost = (fields: Record<string, string>) => ({
  method: 'POST',
  headers: {
    'Content-Type': 'application/x-www-form-urlencoded',
    Authorization: `Bearer ${TOKEN}`,
  },
  body: new URLSearchParams(fields).toString(),
});

describe('bufferedSlackFetch', () => {
  it('carries the real WebClient: posts a message, reads the result, updates it', async () => {
    const client = new WebClient(TOKEN, {
      logLevel: LogLevel.ERROR,
      slackApiUrl: slack.apiUrl,
      fetch: fetchFn,
      retryConfig: { retries: 0 },
    });
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'through undici' });
    expect(posted).toMatchObject({ ok: true, channel: CHANNEL });
    expect(typeof posted.ts).toBe('string');
    const updated = await client.chat.update({ channel: CHANNEL, ts: posted.ts!, text: 'updated' });
    expect(updated).toMatchObject({ ok: true, ts: posted.ts, text: 'updated' });
    expect(slack.message(CHANNEL, posted.ts!)).toMatchObject({ text: 'updated', updates: 1 });
    // A Slack error (HTTP 200, ok: false) reaches the caller as WebClient's platform error.
    await expect(client.chat.update({ channel: CHANNEL, ts: '1.000', text: 'x' })).rejects.toMatchObject({
      code: 'slack_webapi_platform_error',
      data: { ok: false, error: 'message_not_found' },
    });
    const calls = slack.callsTo('chat.postMessage');
    expect(calls.at(-1)).toMatchObject({
      tokenSource: 'header',
      contentType: 'application/x-www-form-urlencoded',
      params: { channel: CHANNEL, text: 'through undici' },
    });
    expect(calls.at(-1)?.token?.matches(TOKEN)).toBe(true);
  });

  it('answers with status, ok and statusText as fetch does, and a body readable again and again', async () => {
    const answer = await fetchFn(`${slack.apiUrl}auth.test`, formPost({}));
    expect(answer).toBeInstanceOf(BufferedResponse);
    expect(answer.url).toBe(`${slack.apiUrl}auth.test`);
    expect([answer.status, answer.ok, answer.statusText]).toEqual([200, true, 'OK']);
    const text = await answer.text();
    expect(JSON.parse(text)).toMatchObject({ ok: true });
    expect(await answer.text()).toBe(text);
    expect(await answer.json()).toEqual(JSON.parse(text));
    const bytes = await answer.arrayBuffer();
    expect(Buffer.from(bytes).toString('utf8')).toBe(text);
    // Each arrayBuffer() is a copy: changing one leaves the body as it was.
    new Uint8Array(bytes).fill(0);
    expect(await answer.text()).toBe(text);
    expect(Buffer.from(await answer.arrayBuffer()).toString('utf8')).toBe(text);

    slack.failNext('chat.postMessage', { status: 500 });
    const failed = await fetchFn(
      `${slack.apiUrl}chat.postMessage`,
      formPost({ channel: CHANNEL, text: 'x' }),
    );
    expect([failed.status, failed.ok, failed.statusText]).toEqual([500, false, 'Internal Server Error']);
    expect(await failed.json()).toEqual({ ok: false, error: 'internal_error' });

    slack.failNext('chat.postMessage', { status: 429, retryAfterSec: 7 });
    const limited = await fetchFn(
      `${slack.apiUrl}chat.postMessage`,
      formPost({ channel: CHANNEL, text: 'x' }),
    );
    expect([limited.status, limited.ok, limited.statusText]).toEqual([429, false, 'Too Many Requests']);
    expect(limited.headers.get('Retry-After')).toBe('7');

    // The fake refuses anything but POST.
    const get = await fetchFn(`${slack.apiUrl}auth.test`);
    expect([get.status, get.ok, get.statusText]).toEqual([405, false, 'Method Not Allowed']);
  });

  it('reads headers case-insensitively, joins a repeated one, and lists them all', async () => {
    const answer = await fetchFn(`${localUrl}/repeated`);
    expect(answer.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(answer.headers.get('Content-Type')).toBe('application/json; charset=utf-8');
    expect(answer.headers.get('CONTENT-TYPE')).toBe('application/json; charset=utf-8');
    expect(answer.headers.get('x-slack-thing')).toBe('first, second');
    expect(answer.headers.get('X-Slack-Thing')).toBe('first, second');
    expect(answer.headers.get('x-oauth-scopes')).toBe('chat:write,users:read');
    expect(answer.headers.get('x-not-sent')).toBeNull();
    const entries = Object.fromEntries(answer.headers.entries());
    expect(entries).toMatchObject({
      'content-type': 'application/json; charset=utf-8',
      'x-slack-thing': 'first, second',
      'x-oauth-scopes': 'chat:write,users:read',
    });
  });

  it("gives WebClient the headers it reads: the scopes of a result, an HTTP error's headers", async () => {
    const client = new WebClient(TOKEN, {
      logLevel: LogLevel.ERROR,
      slackApiUrl: `${localUrl}/`,
      fetch: fetchFn,
      retryConfig: { retries: 0 },
    });
    const result = await client.apiCall('repeated');
    expect(result.response_metadata?.scopes).toEqual(['chat:write', 'users:read']);

    const failing = new WebClient(TOKEN, {
      logLevel: LogLevel.ERROR,
      slackApiUrl: slack.apiUrl,
      fetch: fetchFn,
      retryConfig: { retries: 0 },
    });
    slack.failNext('chat.postMessage', { status: 500 });
    await expect(failing.chat.postMessage({ channel: CHANNEL, text: 'x' })).rejects.toMatchObject({
      code: 'slack_webapi_http_error',
      statusCode: 500,
      statusMessage: 'Internal Server Error',
      headers: { 'content-type': 'application/json; charset=utf-8' },
    });
  });

  it('does not follow a redirect: the caller sees the 302', async () => {
    const answer = await fetchFn(`${localUrl}/redirect`, { method: 'GET', redirect: 'error' });
    expect([answer.status, answer.ok]).toEqual([302, false]);
    expect(answer.headers.get('Location')).toBe('/repeated');
  });

  it('holds an answer of exactly the limit', async () => {
    const size = await fetchFn(`${localUrl}/exactly-the-limit`).then(
      async (answer) => (await answer.arrayBuffer()).byteLength,
      (e: unknown) => String(e),
    );
    expect(size).toBe(MAX_SLACK_RESPONSE_BYTES);
  });

  it('refuses an answer over the limit with SlackResponseTooLargeError and stops reading it', async () => {
    lastStream = undefined;
    // Only small values reach expect: were the body held, printing it would take the whole worker.
    const error = await fetchFn(`${localUrl}/api/huge?token=${TOKEN}`, formPost({ channel: CHANNEL })).then(
      (answer) => new Error(`answered ${answer.status} instead of refusing`),
      (e: unknown) => e as Error,
    );
    expect(error).toBeInstanceOf(SlackResponseTooLargeError);
    expect(error.name).toBe('SlackResponseTooLargeError');
    expect(error.message).toContain('/api/huge');
    expect(error.message).toContain(String(MAX_SLACK_RESPONSE_BYTES));
    // Only the path is named: a token in the query never reaches a message or a log.
    expect(error.message).not.toContain(TOKEN);
    // The connection was dropped: the server never got to send all it meant to.
    const report = await lastStream!;
    expect(report.completed).toBe(false);
    expect(report.sent).toBeLessThan(2 * MAX_SLACK_RESPONSE_BYTES);

    // Through WebClient it is a request error carrying the same error.
    const client = new WebClient(TOKEN, {
      logLevel: LogLevel.ERROR,
      slackApiUrl: `${localUrl}/api/`,
      fetch: fetchFn,
      retryConfig: { retries: 0 },
    });
    const viaClient = await client.apiCall('huge').then(
      () => ({ code: 'resolved', original: undefined }),
      (e: { code?: unknown; original?: unknown }) => ({ code: e.code, original: e.original }),
    );
    expect(viaClient.code).toBe('slack_webapi_request_error');
    expect(viaClient.original).toBeInstanceOf(SlackResponseTooLargeError);
    expect((await lastStream!).completed).toBe(false);

    // The agent still serves the next call.
    const next = await fetchFn(`${localUrl}/repeated`);
    expect(await next.json()).toEqual({ ok: true });
  });

  it("ends a request when the caller's signal aborts", async () => {
    const controller = new AbortController();
    const pending = fetchFn(`${localUrl}/never`, { method: 'POST', body: 'x', signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('sends a FormData body through the global fetch, which encodes it', async () => {
    const form = new FormData();
    form.append('channel', CHANNEL);
    form.append('token', TOKEN);
    const answer = await fetchFn(`${slack.apiUrl}chat.postMessage`, { method: 'POST', body: form });
    expect(answer).not.toBeInstanceOf(BufferedResponse);
    expect(answer.status).toBe(200);
    const call = slack.calls.at(-1);
    expect(call?.method).toBe('chat.postMessage');
    expect(call?.contentType).toMatch(/^multipart\/form-data; boundary=/);
  });

  it('emits WebClient rate-limit events from the Retry-After it reads', async () => {
    const client = new WebClient(TOKEN, {
      logLevel: LogLevel.ERROR,
      slackApiUrl: slack.apiUrl,
      fetch: fetchFn,
      retryConfig: { retries: 1, factor: 1, minTimeout: 0, maxTimeout: 0 },
    });
    const limits: number[] = [];
    client.on(WebClientEvent.RATE_LIMITED, (retryAfter: number) => limits.push(retryAfter));
    slack.failNext('chat.postMessage', { status: 429, retryAfterSec: 0 });
    const before = slack.callsTo('chat.postMessage').length;
    const posted = await client.chat.postMessage({ channel: CHANNEL, text: 'after the limit' });
    expect(posted.ok).toBe(true);
    expect(limits).toEqual([0]);
    expect(
      slack
        .callsTo('chat.postMessage')
        .slice(before)
        .map((c) => c.status),
    ).toEqual([429, 200]);
  });
});
