/**
 * Small observers handed to the parts that do I/O: the COS client (one call per HTTP attempt), the
 * Slack Web API clients (their `fetch`, so Bolt's per-request clients are counted too) and the audit
 * trail (one call per entry newly written).
 */
import type { FetchFunction } from '@slack/web-api';
import type { AuditEntry } from '../audit/types.js';
import type { CosAttempt } from '../cos/client.js';
import type { Logger } from '../logger.js';
import { BufferedResponse, slackFetch } from '../slack/http-fetch.js';
import type { CosjobMetrics } from './metrics.js';

export function recordCosAttempt(metrics: CosjobMetrics): (attempt: CosAttempt) => void {
  return (attempt) => {
    const status =
      attempt.httpStatus === undefined ? (attempt.failure ?? 'error') : String(attempt.httpStatus);
    metrics.cosRequests.inc({ api: attempt.api, status });
    metrics.cosRequestDuration.observe({ api: attempt.api }, attempt.durationSeconds);
  };
}

/**
 * Slack method names are the last path segment of the Web API URL (…/api/chat.postMessage). Bolt sends
 * its `respond()` posts to an interaction's response_url through the same fetch: those are labelled
 * `response_url`.
 */
function slackMethod(url: string | URL): string {
  const path = (typeof url === 'string' ? url : url.href).split('?')[0]!;
  if (!/\/api\/[^/]+$/.test(path)) return 'response_url';
  const name = path.split('/').pop() ?? '';
  // Only names shaped like Slack methods become label values: a label set must stay small.
  return /^[a-z]+(\.[A-Za-z]+){1,3}$/.test(name) ? name : 'other';
}

/** Slack error codes are short snake_case words; anything else is folded so labels stay bounded. */
function slackResult(body: unknown): string {
  const b = body as { ok?: unknown; error?: unknown } | null;
  if (b?.ok === true) return 'ok';
  return typeof b?.error === 'string' && /^[a-z_]{1,40}$/.test(b.error) ? b.error : 'error';
}

/**
 * A `fetch` for WebClientOptions that counts every Web API call by method and result, and 429 answers.
 * WebClient sends each call (and each of its own retries) through the fetch it was given. The base is
 * cosjob's buffered fetch, whose body can be read again: the result is read from it and the same
 * response handed on. Any other base's response is read once and handed on as a fresh Response.
 */
export function observedSlackFetch(metrics: CosjobMetrics, base: FetchFunction = slackFetch): FetchFunction {
  return async (url, init) => {
    const method = slackMethod(url);
    let response: Awaited<ReturnType<FetchFunction>>;
    try {
      response = await base(url, init);
    } catch (error) {
      metrics.slackApiCalls.inc({ method, result: 'network_error' });
      throw error;
    }
    if (response.status === 429) {
      metrics.slackRateLimited.inc();
      metrics.slackApiCalls.inc({ method, result: 'rate_limited' });
      return response;
    }
    if (response.status !== 200) {
      metrics.slackApiCalls.inc({ method, result: `http_${response.status}` });
      return response;
    }
    const text = await response.text();
    metrics.slackApiCalls.inc({ method, result: slackResult(parsedOrUndefined(text)) });
    if (response instanceof BufferedResponse) return response;
    return new Response(text, {
      status: response.status,
      statusText: response.statusText,
      headers: response.headers as unknown as Headers,
    }) as unknown as Awaited<ReturnType<FetchFunction>>;
  };
}

function parsedOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Counts entries by kind and logs each card posted (the `posted` entry is written once per card). */
export function recordAuditEntry(metrics: CosjobMetrics, logger: Logger): (entry: AuditEntry) => void {
  return (entry) => {
    metrics.auditEntries.inc({ kind: entry.action });
    if (entry.action === 'posted') {
      logger.info('card posted', { region: entry.region, jobId: entry.jobId, card: entry.outcome });
    }
  };
}
