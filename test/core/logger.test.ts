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
