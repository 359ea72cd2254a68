import { describe, expect, it } from 'vitest';
import { createLogger, redact, redactText, registerSecret } from '../../src/logger.js';

describe('logger', () => {
  it('masks Slack tokens, COS signatures and registered secrets wherever they appear', () => {
    registerSecret('my-registered-secret-value');
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
    logger.info('calling with xoxb-123-456-abcdef and q-signature=0123abcd', {
      headers: { authorization: 'q-sign-algorithm=sha1&q-signature=ffff', host: 'h' },
      nested: { note: 'the key is my-registered-secret-value' },
      error: new Error('failed with xapp-1-A1-secret'),
      botToken: 'xoxb-plain',
    });
    const out = lines.join('\n');
    for (const secret of [
      'xoxb-123-456-abcdef',
      '0123abcd',
      'ffff',
      'my-registered-secret-value',
      'xapp-1-A1-secret',
      'xoxb-plain',
    ]) {
      expect(out).not.toContain(secret);
    }
    expect(out).toContain('"host":"h"');
    expect(JSON.parse(lines[0]!)).toMatchObject({ level: 'info', name: 'cosjob' });
  });

  it('respects the level and redacts values without touching structure', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'warn', write: (line) => lines.push(line) });
    logger.info('dropped');
    logger.warn('kept');
    expect(lines).toHaveLength(1);
    expect(redact({ list: ['xoxb-a-b'], n: 3 })).toEqual({ list: ['xoxb-[redacted]'], n: 3 });
    expect(redactText('nothing secret')).toBe('nothing secret');
  });
});

describe('logger field names', () => {
  it('keeps ordinary fields such as a Redis key name readable', () => {
    expect(redact({ key: 'cosjob:leader:watcher', secretKey: 'x', hmacKey: 'y', apiKey: 'z' })).toEqual({
      key: 'cosjob:leader:watcher',
      secretKey: '[redacted]',
      hmacKey: '[redacted]',
      apiKey: '[redacted]',
    });
  });
});

describe('logger on pino', () => {
  it('serializes errors with type, stack and cause, redacting secrets in all of them', () => {
    registerSecret('cause-secret-value-123');
    const lines: string[] = [];
    const logger = createLogger({ level: 'info', write: (line) => lines.push(line) });
    const cause = Object.assign(new Error('socket said cause-secret-value-123'), { code: 'ECONNRESET' });
    logger.error('COS call failed', { error: new Error('outer with xoxb-9-9-leak', { cause }) });
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0]!) as {
      level: string;
      time: string;
      msg: string;
      error: {
        type: string;
        message: string;
        stack: string;
        cause: { message: string; code: string; stack: string };
      };
    };
    expect(record).toMatchObject({ level: 'error', msg: 'COS call failed' });
    expect(Number.isNaN(Date.parse(record.time))).toBe(false);
    expect(record.error.type).toBe('Error');
    expect(record.error.stack).toContain('logger.test.ts');
    expect(record.error.cause.code).toBe('ECONNRESET');
    expect(record.error.cause.stack).toContain('socket said');
    expect(lines[0]).not.toContain('cause-secret-value-123');
    expect(lines[0]).not.toContain('xoxb-9-9-leak');
  });

  it('child loggers carry their bindings on every line, redacted too', () => {
    const lines: string[] = [];
    const logger = createLogger({ level: 'debug', write: (line) => lines.push(line) });
    const child = logger.child({
      region: 'ap-guangzhou',
      jobId: 'j1',
      slackUser: 'UALICE',
      token: 'xoxb-1-2-3',
    });
    child.info('decision', { outcome: 'approved' });
    child.child({ attempt: 2 }).debug('retry');
    const [first, second] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(first).toMatchObject({
      region: 'ap-guangzhou',
      jobId: 'j1',
      slackUser: 'UALICE',
      outcome: 'approved',
    });
    expect(first!.token).toBe('[redacted]');
    expect(second).toMatchObject({ jobId: 'j1', attempt: 2, level: 'debug', msg: 'retry' });
    expect(logger.level).toBe('debug');
  });
});

describe('LOG_FORMAT=pretty', () => {
  it('prints readable lines through pino-pretty, still redacted', async () => {
    const { execFile } = await import('node:child_process');
    const script = [
      "import { createProcessLogger, registerSecret } from './src/logger.ts';",
      "registerSecret('pretty-secret-value-42');",
      "const logger = await createProcessLogger({ level: 'info', format: 'pretty' });",
      "logger.info('card posted', { jobId: 'job-1', note: 'has pretty-secret-value-42 and xoxb-1-2-3' });",
    ].join('\n');
    const stderr = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--import', 'tsx', '--input-type=module', '-e', script],
        { env: { PATH: process.env.PATH ?? '' } },
        (error, _stdout, err) => (error ? reject(error) : resolve(err)),
      );
    });
    expect(stderr).toContain('card posted');
    expect(stderr).toContain('job-1');
    expect(stderr).toMatch(/INFO/);
    expect(() => JSON.parse(stderr.trim().split('\n')[0]!)).toThrow();
    expect(stderr).not.toContain('pretty-secret-value-42');
    expect(stderr).not.toContain('xoxb-1-2-3');
  }, 20_000);
});
