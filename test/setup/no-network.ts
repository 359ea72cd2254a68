/**
 * Tests must never reach the internet. Every TCP connection in a test process goes through
 * net.Socket#connect (undici, fetch, ioredis, Bolt's receiver and client all use it), so refusing
 * anything but loopback there makes an accidental real request fail loudly instead of leaking.
 */
import dns from 'node:dns';
import net from 'node:net';

const LOOPBACK_NAMES = new Set(['localhost', 'localhost.', '::1', '0.0.0.0']);

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '');
  if (LOOPBACK_NAMES.has(bare)) return true;
  if (net.isIPv4(bare)) return bare.startsWith('127.');
  if (net.isIPv6(bare)) return bare === '::1' || bare.startsWith('::ffff:127.');
  return false;
}

export class NetworkAccessBlockedError extends Error {
  constructor(target: string) {
    super(`test tried to reach ${target}: tests may only use loopback (127.0.0.1, ::1, localhost)`);
    this.name = 'NetworkAccessBlockedError';
  }
}

type ConnectArgs = Parameters<net.Socket['connect']>;
const originalConnect = net.Socket.prototype.connect;

function targetOf(args: unknown[]): { host?: string | undefined; path?: string | undefined } {
  const [first, second] = args;
  if (typeof first === 'object' && first !== null && !Array.isArray(first)) {
    const options = first as { host?: string; path?: string };
    return { host: options.host, path: options.path };
  }
  if (typeof first === 'string' && Number.isNaN(Number(first))) return { path: first };
  return { host: typeof second === 'string' ? second : undefined };
}

net.Socket.prototype.connect = function guardedConnect(this: net.Socket, ...args: unknown[]) {
  const { host, path } = targetOf(args);
  if (path === undefined) {
    const effectiveHost = host ?? 'localhost';
    if (!isLoopbackHost(effectiveHost)) throw new NetworkAccessBlockedError(effectiveHost);
  }
  return originalConnect.apply(this, args as ConnectArgs);
} as typeof net.Socket.prototype.connect;

const originalLookup = dns.lookup;
dns.lookup = function guardedLookup(hostname: string, ...rest: unknown[]) {
  if (!isLoopbackHost(hostname)) throw new NetworkAccessBlockedError(hostname);
  return (originalLookup as (...a: unknown[]) => unknown)(hostname, ...rest);
} as typeof dns.lookup;
