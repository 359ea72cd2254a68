import { redactText } from '../logger.js';

/**
 * One line a person can act on: COS errors carry a code and an explanation (src/cos/errors.ts), so
 * the line reads e.g. "SignatureDoesNotMatch: COS computed a different request signature…".
 */
export function explainFailure(error: unknown): string {
  const e = error as { code?: unknown; explanation?: unknown; message?: unknown } | null | undefined;
  const code = typeof e?.code === 'string' ? e.code : undefined;
  const words =
    typeof e?.explanation === 'string'
      ? e.explanation
      : typeof e?.message === 'string'
        ? e.message
        : String(error);
  return redactText(code === undefined ? words : `${code}: ${words}`).slice(0, 500);
}
