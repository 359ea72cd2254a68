/**
 * Structured logging on pino that never prints secrets. Call sites use `logger.info(message, fields)`;
 * every field and message is redacted here, before pino sees it, so redaction holds whatever the
 * destination (JSON lines on stderr, pino-pretty, or a test's line collector).
 */
import { type DestinationStream, type Logger as PinoLogger, pino, stdSerializers } from 'pino';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];
export type LogFormat = 'json' | 'pretty';

export interface Logger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
  /** A logger whose every line also carries these fields (region, jobId, Slack user…). */
  child(bindings: Record<string, unknown>): Logger;
  /** The lowest level written; adapters (Bolt, the Web API client) start at it. */
  readonly level?: LogLevel;
}

const SECRET_KEY =
  /secret|token|password|passwd|authorization|signature|hmac|credential|api_?key|private_?key/i;
const SECRET_VALUE = /\b(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+|q-signature=[0-9a-f]+)/g;

/** Registered secret values (from the configuration) are masked wherever they appear. */
const knownSecrets = new Set<string>();

export function registerSecret(value: string | undefined): void {
  if (value && value.length >= 6) knownSecrets.add(value);
}

export function redactText(text: string): string {
  let out = text.replace(SECRET_VALUE, (m) => `${m.slice(0, 5)}[redacted]`);
  for (const secret of knownSecrets) out = out.split(secret).join('[redacted]');
  return out;
}

export function redact(value: unknown, depth = 0): unknown {
  if (depth > 6) return '[deep]';
  if (typeof value === 'string') return redactText(value);
  if (value instanceof Error) {
    // pino's serializer keeps type, message, stack, `cause` (recursively) and the error's own fields;
    // the stack repeats the message, so it is redacted like any other text.
    return redact({ ...stdSerializers.errWithCause(value) }, depth + 1);
  }
  if (Array.isArray(value)) return value.map((v) => redact(v, depth + 1));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_KEY.test(k) && typeof v === 'string' ? '[redacted]' : redact(v, depth + 1);
    }
    return out;
  }
  return value;
}

export interface ConsoleLoggerOptions {
  level?: LogLevel;
  name?: string;
  /** Receives each JSON line (without the newline), synchronously: tests and the CLI's --verbose. */
  write?: (line: string) => void;
  /** `pretty`: human-readable lines through pino-pretty (ignored with `write`). Default `json`. */
  format?: LogFormat;
}

function lineCollector(write: (line: string) => void): DestinationStream {
  return {
    write(chunk: string) {
      for (const line of chunk.split('\n')) if (line !== '') write(line);
    },
  };
}

async function prettyStream(): Promise<DestinationStream> {
  const { default: pretty } = await import('pino-pretty');
  return pretty({ destination: 2, colorize: process.stderr.isTTY === true, sync: true });
}

/**
 * stderr through pino's asynchronous destination: a burst of lines never blocks the event loop, and
 * pino flushes what is buffered when the process exits (see flushLogs for exits on a fatal error).
 */
let asyncDestination: ReturnType<typeof pino.destination> | undefined;
function stderrDestination(): DestinationStream {
  asyncDestination ??= pino.destination({ dest: 2, sync: false, minLength: 0 });
  return asyncDestination;
}

/** Writes out buffered log lines now; call before process.exit after a fatal error. */
export function flushLogs(): void {
  try {
    asyncDestination?.flushSync();
  } catch {
    // Nothing buffered, or stderr is gone: there is nowhere left to report to.
  }
}

function wrap(base: PinoLogger, level: LogLevel): Logger {
  const at =
    (method: LogLevel) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (!base.isLevelEnabled(method)) return;
      const text = redactText(message);
      if (fields === undefined) base[method](text);
      else base[method](redact(fields) as object, text);
    };
  return {
    level,
    debug: at('debug'),
    info: at('info'),
    warn: at('warn'),
    error: at('error'),
    child: (bindings) => wrap(base.child(redact(bindings) as Record<string, unknown>), level),
  };
}

function build(options: ConsoleLoggerOptions, stream: DestinationStream): Logger {
  const level = options.level ?? 'info';
  const base = pino(
    {
      level,
      name: options.name ?? 'cosjob',
      // No pid or hostname on every line (an empty base); the name pino adds to it stays.
      base: {},
      timestamp: pino.stdTimeFunctions.isoTime,
      // Level names rather than numbers: what people grep for, and what LOG_LEVEL accepts.
      formatters: { level: (label) => ({ level: label }) },
    },
    stream,
  );
  return wrap(base, level);
}

export function createLogger(options: ConsoleLoggerOptions = {}): Logger {
  if (options.write) return build(options, lineCollector(options.write));
  return build(options, stderrDestination());
}

/** Like createLogger, with `format: 'pretty'` honoured (pino-pretty is loaded only then). */
export async function createProcessLogger(options: ConsoleLoggerOptions = {}): Promise<Logger> {
  if (options.format === 'pretty' && !options.write) return build(options, await prettyStream());
  return createLogger(options);
}

export const silentLogger: Logger = {
  debug() {},
  info() {},
  warn() {},
  error() {},
  child: () => silentLogger,
};
