/**
 * The `fetch` cosjob gives Slack's Web API clients and Bolt's respond(): undici's request() on its own
 * keep-alive agent, the body read once into memory. The global fetch builds WHATWG streams, a Request and
 * a Response around every call; in the bench's click storm (three to four Slack calls per click) that was
 * the largest share of cosjob's CPU under src/ (see the README's Benchmarks). WebClient and respond() read
 * the whole body anyway (text() or only the status), so nothing streams that could.
 */
import { STATUS_CODES } from 'node:http';
import type { FetchFunction } from '@slack/web-api';
import { Agent, type Dispatcher, request } from 'undici';

type FetchInit = Parameters<FetchFunction>[1];
type FetchResponse = Awaited<ReturnType<FetchFunction>>;

/** Web API answers are a few KB; one larger than this is refused rather than held in memory. */
export const MAX_SLACK_RESPONSE_BYTES = 16 * 1024 * 1024;

export class SlackResponseTooLargeError extends Error {
  constructor(url: string) {
    super(`Slack's answer to ${new URL(url).pathname} is larger than ${MAX_SLACK_RESPONSE_BYTES} bytes`);
    this.name = 'SlackResponseTooLargeError';
  }
}

/** Header names are case-insensitive: undici gives them lower-cased, a repeated one as an array. */
class BufferedHeaders {
  constructor(private readonly raw: Record<string, string | string[] | undefined>) {}

  get(name: string): string | null {
    const value = this.raw[name.toLowerCase()];
    if (value === undefined) return null;
    return Array.isArray(value) ? value.join(', ') : value;
  }

  *entries(): IterableIterator<[string, string]> {
    for (const [name, value] of Object.entries(this.raw)) {
      if (value !== undefined) yield [name, Array.isArray(value) ? value.join(', ') : value];
    }
  }
}

/** A response whose body is already read: text(), json() and arrayBuffer() may each be called any number of times. */
export class BufferedResponse implements FetchResponse {
  readonly ok: boolean;
  readonly statusText: string;
  readonly headers: BufferedHeaders;

  constructor(
    readonly url: string,
    readonly status: number,
    headers: Record<string, string | string[] | undefined>,
    private readonly body: Buffer,
  ) {
    this.ok = status >= 200 && status < 300;
    this.statusText = STATUS_CODES[status] ?? '';
    this.headers = new BufferedHeaders(headers);
  }

  async text(): Promise<string> {
    return this.body.toString('utf8');
  }

  async json(): Promise<unknown> {
    return JSON.parse(this.body.toString('utf8'));
  }

  async arrayBuffer(): Promise<ArrayBuffer> {
    const copy = new ArrayBuffer(this.body.byteLength);
    new Uint8Array(copy).set(this.body);
    return copy;
  }
}

async function readBody(body: Dispatcher.ResponseData['body'], url: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    size += buffer.byteLength;
    if (size > MAX_SLACK_RESPONSE_BYTES) {
      body.destroy();
      throw new SlackResponseTooLargeError(url);
    }
    chunks.push(buffer);
  }
  return chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
}

/**
 * A FetchFunction over `dispatcher` (by default an agent of its own, so Slack's connections never wait
 * behind COS's pool). Redirects are not followed (WebClient asks for `redirect: 'error'`, and a redirect
 * is a non-200 answer it reports as such). A FormData body (file uploads, which cosjob never makes) goes
 * to the global fetch, which knows how to encode it.
 */
export function bufferedSlackFetch(dispatcher: Dispatcher = new Agent()): FetchFunction {
  return async (url: string | URL, init?: FetchInit): Promise<FetchResponse> => {
    const target = typeof url === 'string' ? url : url.href;
    if (init?.body !== undefined && typeof init.body !== 'string') {
      return (globalThis.fetch as FetchFunction)(url, init);
    }
    const response = await request(target, {
      dispatcher,
      method: (init?.method ?? 'GET') as Dispatcher.HttpMethod,
      ...(init?.headers ? { headers: init.headers } : {}),
      ...(init?.body !== undefined ? { body: init.body } : {}),
      ...(init?.signal ? { signal: init.signal } : {}),
    });
    const body = await readBody(response.body, target);
    return new BufferedResponse(target, response.statusCode, response.headers, body);
  };
}

/** The one buffered fetch the process's Slack clients share (the metrics observer wraps this same one). */
export const slackFetch: FetchFunction = bufferedSlackFetch();
