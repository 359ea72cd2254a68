/**
 * Reading the parsed tree: small, strict accessors that turn a missing or malformed element into an
 * InvalidResponse error naming it, so every parser reads COS answers the same way.
 */
import { CosError } from '../errors.js';

export function invalidResponse(message: string, cause?: unknown): CosError {
  return new CosError({ code: 'InvalidResponse', message, cause });
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function child(node: unknown, name: string): unknown {
  return isRecord(node) && Object.hasOwn(node, name) ? node[name] : undefined;
}

/** The text of an element; an element repeated by mistake gives its first occurrence. */
export function textOf(value: unknown): string | undefined {
  const first = Array.isArray(value) ? value[0] : value;
  if (typeof first === 'string') return first;
  if (isRecord(first) && typeof first['#text'] === 'string' && Object.keys(first).length === 1) {
    return first['#text'];
  }
  return undefined;
}

export function leaf(node: unknown, name: string): string | undefined {
  return textOf(child(node, name));
}

/** Trimmed text, or undefined when absent or empty. */
export function token(node: unknown, name: string): string | undefined {
  const value = leaf(node, name)?.trim();
  return value === undefined || value === '' ? undefined : value;
}

/** Free text kept as sent; undefined when absent or empty. */
export function freeText(node: unknown, name: string): string | undefined {
  const value = leaf(node, name);
  return value === undefined || value === '' ? undefined : value;
}

export function list(node: unknown, name: string): unknown[] {
  const value = child(node, name);
  if (value === undefined || typeof value === 'string') return [];
  return Array.isArray(value) ? value : [value];
}

export function required(node: unknown, name: string, where: string): string {
  const value = token(node, name);
  if (value === undefined) {
    throw invalidResponse(
      `The COS response has no <${name}> in <${where}>; it does not look like a COS answer.`,
    );
  }
  return value;
}

export function root(document: Record<string, unknown>, name: string): Record<string, unknown> {
  const node = document[name];
  if (isRecord(node)) return node;
  if (typeof node === 'string') return {};
  const found = Object.keys(document).filter((key) => key !== '#text');
  throw invalidResponse(
    `Expected a <${name}> document but got ${found.length === 0 ? 'no element' : `<${found.join('>, <')}>`}.`,
  );
}

export function count(node: unknown, name: string, fallback = 0): number {
  const text = token(node, name);
  if (text === undefined) return fallback;
  if (!/^\d{1,16}$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw invalidResponse(
      `The COS response has <${name}>${JSON.stringify(text.slice(0, 40))}</${name}>, expected a whole number.`,
    );
  }
  return Number(text);
}

export function optional<K extends string, V>(key: K, value: V | undefined): { [P in K]?: V } {
  return (value === undefined ? {} : { [key]: value }) as { [P in K]?: V };
}
