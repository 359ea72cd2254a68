import type { IncomingMessage } from 'node:http';
import type { Reply } from './types.js';

/** Reading Slack Web API requests as Slack does: form or JSON bodies, JSON-encoded fields, a size cap. */

const JSON_FIELDS = new Set(['blocks', 'view', 'attachments', 'metadata']);
const MAX_BODY_BYTES = 2 * 1024 * 1024;

export function ok200(body: unknown): Reply {
  return { status: 200, body };
}

/** The body as text, or undefined when it is over 2 MiB (the caller answers 413). */
export function readBody(req: IncomingMessage): Promise<string | undefined> {
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

export function parseParams(
  raw: string,
  contentType: string,
): { params: Record<string, unknown>; error?: string } {
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

export function parseJsonOrText(raw: string): unknown {
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export function stringParam(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : undefined;
}

export function isTrue(value: unknown): boolean {
  return value === true || value === 'true' || value === '1';
}
