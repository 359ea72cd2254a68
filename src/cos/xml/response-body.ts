/**
 * Reading a COS response: the body as bounded UTF-8 text, and header values.
 */
import { CosError } from '../errors.js';

/** Larger bodies are refused: a ListJobs page of 1000 members is about 400 KiB. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

export type ResponseHeaders = Readonly<Record<string, string | string[] | undefined>>;

/**
 * Reads a streamed body as UTF-8, refusing (and abandoning the stream) as soon as it exceeds
 * `maxBytes`, so a runaway or hostile response cannot exhaust memory.
 */
export async function readLimitedText(
  source: AsyncIterable<Uint8Array | string>,
  maxBytes = MAX_RESPONSE_BYTES,
): Promise<string> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of source) {
    // undici yields Buffers: used as they are, not copied.
    const buffer =
      typeof chunk === 'string'
        ? Buffer.from(chunk, 'utf8')
        : Buffer.isBuffer(chunk)
          ? chunk
          : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    total += buffer.length;
    if (total > maxBytes) {
      // Leaving the loop early closes the stream (the iterator's return() destroys it).
      throw tooLarge(maxBytes);
    }
    chunks.push(buffer);
  }
  if (chunks.length === 1) return (chunks[0] as Buffer).toString('utf8');
  return Buffer.concat(chunks, total).toString('utf8');
}

/**
 * Reads a body whose length was announced in Content-Length and found within MAX_RESPONSE_BYTES: HTTP/1.1
 * framing ends the body at that length, so it needs no running count, and undici's own collector (one
 * listener, no async iterator and no promise per chunk) reads it, as bytes (a view, not a copy). The
 * caller decodes them, rather than undici's text(), which would drop a byte-order mark the parsers and
 * error messages expect to see.
 */
export async function readDeclaredBytes(body: { bytes(): Promise<Uint8Array> }): Promise<Buffer> {
  const bytes = await body.bytes();
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
}

/** Not retryable: the same request would bring back the same oversize body. */
export function responseTooLarge(message: string): CosError {
  return new CosError({ code: 'InvalidResponse', message, retryable: false });
}

export function tooLarge(maxBytes: number): CosError {
  return responseTooLarge(
    `The response body is larger than ${maxBytes} bytes; cosjob refuses to read it. COS job responses are far smaller, so check COS_ENDPOINT and any proxy in between.`,
  );
}

export function headerValue(headers: ResponseHeaders, name: string): string | undefined {
  const value = headers[name] ?? headers[name.toLowerCase()];
  const first = Array.isArray(value) ? value[0] : value;
  return first === undefined || first === '' ? undefined : first;
}
