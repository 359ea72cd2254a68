/**
 * A thin check in front of Bolt's HTTP receiver for POST /slack/events. Bolt refuses a stale timestamp
 * but accepts any timestamp in the future, and a signed body that parses to something other than an
 * object (`payload=null`, an array, a number) reaches its listeners and rejects unhandled. Here every
 * request is read once (Bolt reuses the buffered body), its signature checked with Bolt's own
 * isValidSlackRequest, its timestamp held to five minutes either side, and its body parsed the way Bolt
 * parses it; only a well-formed event from this installation goes on to Bolt.
 */
import type { IncomingMessage, RequestListener, ServerResponse } from 'node:http';
import { parse as parseQuery } from 'node:querystring';
import { defaultBodyLimit, HTTPModuleFunctions, isRawBodyError, isValidSlackRequest } from '@slack/bolt';
import type { Logger } from '../logger.js';

/** Slack's documented replay window: requests more than five minutes off are refused, either way. */
export const MAX_TIMESTAMP_SKEW_SECONDS = 5 * 60;

/** Who cosjob is installed as: payloads naming another team, app or enterprise are refused. */
export interface Installation {
  teamId?: string;
  appId?: string;
  enterpriseId?: string;
}

export interface RequestGuardOptions {
  signingSecret: string;
  /** The paths Bolt serves events on (default /slack/events). */
  endpoints?: readonly string[];
  installation: () => Installation;
  logger: Logger;
  now?: () => number;
  /** A request refused because it came from another installation (audited by the caller when it can). */
  onForeign?: (refusal: ForeignRequest) => void;
}

export interface ForeignRequest {
  field: 'team_id' | 'api_app_id' | 'enterprise_id';
  expected: string;
  received: string | undefined;
  userId: string | undefined;
  body: Record<string, unknown>;
}

type Refusal = { status: number; message: string };

function answer(res: ServerResponse, { status, message }: Refusal): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(message);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** The media type without parameters, lower case (`application/json; charset=utf-8` → `application/json`). */
function mediaType(header: string | undefined): string {
  return (header ?? '').split(';')[0]!.trim().toLowerCase();
}

/**
 * The event Bolt would see, or why it is malformed. Form bodies are slash commands (a `command` field)
 * or interactivity (`payload`, a JSON object with a `type`); JSON bodies are Events API envelopes with
 * a `type`. `ssl_check=1` passes unparsed: Bolt answers it.
 */
export function parseSlackBody(
  contentType: string | undefined,
  text: string,
): { ok: true; body: Record<string, unknown> | undefined } | { ok: false; problem: string } {
  const type = mediaType(contentType);
  if (type === 'application/x-www-form-urlencoded') {
    // Bolt compares the header exactly; anything else it would JSON-parse, so the header must be exact.
    if (contentType !== 'application/x-www-form-urlencoded') {
      return { ok: false, problem: 'content type must be exactly application/x-www-form-urlencoded' };
    }
    const form = parseQuery(text);
    if (form.ssl_check === '1') return { ok: true, body: undefined };
    if (form.payload !== undefined) {
      if (typeof form.payload !== 'string') return { ok: false, problem: 'payload appears more than once' };
      let payload: unknown;
      try {
        payload = JSON.parse(form.payload);
      } catch {
        return { ok: false, problem: 'payload is not JSON' };
      }
      if (!isObject(payload)) return { ok: false, problem: 'payload is not a JSON object' };
      if (typeof payload.type !== 'string' || payload.type === '') {
        return { ok: false, problem: 'payload has no type' };
      }
      return { ok: true, body: payload };
    }
    if (typeof form.command !== 'string' || form.command === '') {
      return { ok: false, problem: 'form body is neither a slash command nor an interactivity payload' };
    }
    return { ok: true, body: form as Record<string, unknown> };
  }
  if (type === 'application/json') {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return { ok: false, problem: 'body is not JSON' };
    }
    if (!isObject(body)) return { ok: false, problem: 'body is not a JSON object' };
    if (typeof body.type !== 'string' || body.type === '') return { ok: false, problem: 'body has no type' };
    return { ok: true, body };
  }
  return { ok: false, problem: 'content type must be application/x-www-form-urlencoded or application/json' };
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** The installation fields a payload names, wherever its kind puts them. */
export function installationOf(body: Record<string, unknown>): {
  teamId: string | undefined;
  appId: string | undefined;
  enterpriseId: string | undefined;
  userId: string | undefined;
} {
  const team = isObject(body.team) ? body.team : {};
  const user = isObject(body.user) ? body.user : {};
  const enterprise = isObject(body.enterprise) ? body.enterprise : {};
  return {
    teamId: text(body.team_id) ?? text(team.id) ?? text(user.team_id),
    appId: text(body.api_app_id),
    enterpriseId: text(body.enterprise_id) ?? text(enterprise.id),
    userId: text(body.user_id) ?? text(user.id),
  };
}

/** Which installation field of the payload differs from this installation's, if any. */
export function foreignRequest(
  body: Record<string, unknown>,
  installation: Installation,
): ForeignRequest | undefined {
  const named = installationOf(body);
  const checks: [ForeignRequest['field'], string | undefined, string | undefined][] = [
    ['team_id', installation.teamId, named.teamId],
    ['api_app_id', installation.appId, named.appId],
    ['enterprise_id', installation.enterpriseId, named.enterpriseId],
  ];
  for (const [field, expected, received] of checks) {
    if (expected !== undefined && received !== expected) {
      return { field, expected, received, userId: named.userId, body };
    }
  }
  return undefined;
}

export function guardSlackRequests(listener: RequestListener, o: RequestGuardOptions): RequestListener {
  const endpoints = o.endpoints ?? ['/slack/events'];
  const now = o.now ?? Date.now;

  async function check(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    let raw: Buffer;
    try {
      raw = (await HTTPModuleFunctions.bufferIncomingMessage(req, defaultBodyLimit)).rawBody;
    } catch (error) {
      if (isRawBodyError(error) && (error.type === 'entity.too.large' || error.statusCode === 413)) {
        answer(res, { status: 413, message: 'request body too large' });
      } else {
        answer(res, { status: 400, message: 'request body could not be read' });
      }
      return false;
    }
    const body = raw.toString('utf8');
    const signature = req.headers['x-slack-signature'];
    const timestampHeader = req.headers['x-slack-request-timestamp'];
    const timestamp = typeof timestampHeader === 'string' ? Number(timestampHeader) : Number.NaN;
    const contentType = req.headers['content-type'];
    // Bolt lets ssl_check through unsigned (it carries nothing); so does this.
    if (contentType === 'application/x-www-form-urlencoded' && parseQuery(body).ssl_check === '1')
      return true;
    if (
      typeof signature !== 'string' ||
      !Number.isInteger(timestamp) ||
      !isValidSlackRequest({
        signingSecret: o.signingSecret,
        body,
        headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
        nowMilliseconds: now(),
      })
    ) {
      o.logger.warn('refused a Slack request: signature missing, invalid or stale');
      answer(res, { status: 401, message: 'invalid or stale request signature' });
      return false;
    }
    if (timestamp > Math.floor(now() / 1000) + MAX_TIMESTAMP_SKEW_SECONDS) {
      o.logger.warn('refused a signed Slack request dated in the future', { timestamp });
      answer(res, { status: 401, message: 'request timestamp is in the future' });
      return false;
    }
    const parsed = parseSlackBody(typeof contentType === 'string' ? contentType : undefined, body);
    if (!parsed.ok) {
      o.logger.warn('refused a malformed signed Slack request', { problem: parsed.problem });
      answer(res, { status: 400, message: `malformed Slack request: ${parsed.problem}` });
      return false;
    }
    if (parsed.body && parsed.body.type !== 'url_verification') {
      const foreign = foreignRequest(parsed.body, o.installation());
      if (foreign) {
        o.logger.warn('refused a Slack request from another installation', {
          field: foreign.field,
          received: foreign.received ?? null,
          userId: foreign.userId ?? null,
        });
        o.onForeign?.(foreign);
        answer(res, { status: 403, message: `request is not for this installation (${foreign.field})` });
        return false;
      }
    }
    return true;
  }

  return (req, res) => {
    const { pathname } = new URL(req.url ?? '/', 'http://localhost');
    if (req.method?.toUpperCase() !== 'POST' || !endpoints.includes(pathname)) {
      listener(req, res);
      return;
    }
    check(req, res)
      .then((pass) => {
        if (pass) listener(req, res);
      })
      .catch((error: unknown) => {
        o.logger.error('could not check a Slack request', { error });
        answer(res, { status: 500, message: 'internal error' });
      });
  };
}
