import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from '../../src/logger.js';
import { CosApiError, invalidRequest } from './errors.js';
import type { ApiName } from './routes.js';
import type { EmulatorStats } from './stats.js';
import { renderError } from './xml.js';

/** The wire side of every answer: request ids, COS's headers, `<Error>` bodies, body limits, counters. */

export interface Outcome {
  status: number;
  body: string;
  error?: CosApiError;
  traceId?: string;
}

const MAX_BODY_BYTES = 1024 * 1024;

export class Responder {
  // Request ids: unique per emulator, cheap to make (no randomness per request).
  readonly #idPrefix = randomBytes(4).toString('hex');
  #requestSeq = 0;
  #dateSecond = -1;
  #dateText = '';

  constructor(
    private readonly now: () => number,
    private readonly stats: EmulatorStats,
    private readonly logger: Logger,
  ) {}

  nextRequestId(): string {
    return Buffer.from(`${this.#idPrefix}_${(++this.#requestSeq).toString(16)}`).toString('base64');
  }

  /** Writes one answer (unless the socket is gone) and counts it against `api` when the request was routed. */
  send(
    res: ServerResponse,
    api: ApiName | undefined,
    status: number,
    body: string,
    requestId: string | undefined,
    extra?: Record<string, string>,
    contentType = 'application/xml',
  ): void {
    if (res.destroyed || res.headersSent) return;
    const headers: Record<string, string | number> = {
      'content-type': contentType,
      'content-length': Buffer.byteLength(body),
      date: this.#dateHeader(this.now()),
      server: 'tencent-cos',
      ...extra,
    };
    if (requestId !== undefined) headers['x-cos-request-id'] = requestId;
    res.writeHead(status, headers);
    res.end(body);
    if (api !== undefined) this.stats.recordResponse(api, status);
  }

  sendOutcome(res: ServerResponse, api: ApiName | undefined, outcome: Outcome, requestId: string): void {
    const extra = outcome.traceId === undefined ? undefined : { 'x-cos-trace-id': outcome.traceId };
    this.send(res, api, outcome.status, outcome.body, requestId, extra);
  }

  errorOutcome(error: CosApiError, resource: string, requestId: string): Outcome {
    const traceId = randomBytes(18).toString('base64');
    return {
      status: error.httpStatus,
      body: renderError(error.code, error.message, resource, requestId, traceId),
      error,
      traceId,
    };
  }

  toCosError(error: unknown): CosApiError {
    if (error instanceof CosApiError) return error;
    this.logger.error('emulator request failed unexpectedly', { error });
    return new CosApiError(500, 'InternalError', 'We encountered an internal error. Please try again.');
  }

  #dateHeader(ms: number): string {
    const second = Math.floor(ms / 1000);
    if (second !== this.#dateSecond) {
      this.#dateSecond = second;
      this.#dateText = new Date(second * 1000).toUTCString();
    }
    return this.#dateText;
  }
}

/** Reads a request body of at most 1 MiB; a larger one is InvalidRequest, as COS refuses it. */
export function readBody(req: IncomingMessage): Promise<string> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > MAX_BODY_BYTES) {
    return Promise.reject(invalidRequest(`the request body is larger than ${MAX_BODY_BYTES} bytes`));
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY_BYTES) {
        reject(invalidRequest(`the request body is larger than ${MAX_BODY_BYTES} bytes`));
        req.destroy();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}
