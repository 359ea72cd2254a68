import { describe, expect, it } from 'vitest';
import { CosValidationError } from '../../src/cos/errors.js';
import {
  truncateUtf8,
  utf8Length,
  validateJobId,
  validateJobStatusFilter,
  validateMaxResults,
  validateNextToken,
  validatePriority,
  validateRegion,
  validateRequestedJobStatus,
  validateStatusUpdateReason,
} from '../../src/cos/validation.js';

function rejection(run: () => unknown): CosValidationError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(CosValidationError);
    return error as CosValidationError;
  }
  throw new Error('expected a CosValidationError');
}

describe('validateJobId', () => {
  it.each(['53dc6228-c50b-46f7-8ad7-65e7159f1aae', 'a', 'A_b-9', 'x'.repeat(64)])('accepts %s', (id) => {
    expect(validateJobId(id)).toBe(id);
  });

  it.each([
    ['empty', ''],
    ['too long', 'x'.repeat(65)],
    ['a path separator', 'abc/def'],
    ['dot segments', '..'],
    ['a leading dash', '-abc'],
    ['a percent escape', 'abc%2F'],
    ['a query', 'abc?x=1'],
    ['whitespace', 'abc def'],
    ['non-ASCII', 'jöb'],
    ['a newline', 'abc\n'],
  ])('refuses %s, naming the field', (_what, id) => {
    const error = rejection(() => validateJobId(id));
    expect(error.field).toBe('jobId');
    expect(error.message).toMatch(/job id/i);
  });

  it('refuses non-strings', () => {
    expect(rejection(() => validateJobId(42)).field).toBe('jobId');
    expect(rejection(() => validateJobId(undefined)).field).toBe('jobId');
  });
});

describe('validateStatusUpdateReason', () => {
  it('accepts undefined, empty and exactly 256 bytes', () => {
    expect(validateStatusUpdateReason(undefined)).toBeUndefined();
    expect(validateStatusUpdateReason('')).toBe('');
    const cjk = `${'中'.repeat(85)}a`; // 85 * 3 + 1 = 256 bytes
    expect(utf8Length(cjk)).toBe(256);
    expect(validateStatusUpdateReason(cjk)).toBe(cjk);
  });

  it('refuses 257 bytes and says how many bytes it got', () => {
    const error = rejection(() => validateStatusUpdateReason(`${'中'.repeat(85)}ab`));
    expect(error.field).toBe('statusUpdateReason');
    expect(error.message).toContain('257 bytes');
  });

  it('refuses lone surrogates, which cannot be URL-encoded', () => {
    expect(rejection(() => validateStatusUpdateReason('ok \uD83D')).field).toBe('statusUpdateReason');
    expect(rejection(() => validateStatusUpdateReason('\uDE00 ok')).field).toBe('statusUpdateReason');
    expect(validateStatusUpdateReason('ok 😀')).toBe('ok 😀');
  });
});

describe('truncateUtf8', () => {
  it('returns short text unchanged', () => {
    expect(truncateUtf8('hello', 5)).toBe('hello');
    expect(truncateUtf8('', 0)).toBe('');
  });

  it('cuts ASCII at the byte limit', () => {
    expect(truncateUtf8('abcdef', 4)).toBe('abcd');
  });

  it('never splits a multi-byte character', () => {
    expect(truncateUtf8('中文字', 7)).toBe('中文'); // 6 bytes; the third character would need 9
    expect(truncateUtf8('中文字', 2)).toBe('');
  });

  it('never splits a surrogate pair or an emoji sequence', () => {
    expect(truncateUtf8('a😀b', 4)).toBe('a');
    expect(truncateUtf8('a😀b', 5)).toBe('a😀');
    const family = '👨‍👩‍👧'; // 18 bytes with ZWJs
    expect(truncateUtf8(`x${family}`, 10)).toBe('x');
    expect(truncateUtf8(`x${family}`, 19)).toBe(`x${family}`);
    const flag = '🇯🇵'; // 8 bytes, one grapheme
    expect(truncateUtf8(`${flag}${flag}`, 12)).toBe(flag);
    const accented = 'e\u0301'; // e + combining acute: 3 bytes, one grapheme
    expect(truncateUtf8(`${accented}${accented}`, 4)).toBe(accented);
  });

  it('appends a marker within the budget when it cuts', () => {
    const cut = truncateUtf8('中'.repeat(100), 256, '…');
    expect(utf8Length(cut)).toBeLessThanOrEqual(256);
    expect(cut.endsWith('…')).toBe(true);
    expect(cut).toBe(`${'中'.repeat(84)}…`);
    expect(truncateUtf8('short', 256, '…')).toBe('short');
  });

  it('always yields valid reasons for COS', () => {
    const samples = ['😀'.repeat(100), '中a'.repeat(200), 'x'.repeat(1000), `${'é'.repeat(127)}😀😀`];
    for (const sample of samples) {
      const cut = truncateUtf8(sample, 256);
      expect(validateStatusUpdateReason(cut)).toBe(cut);
      expect(sample.startsWith(cut)).toBe(true);
    }
  });

  it('refuses a negative budget', () => {
    expect(rejection(() => truncateUtf8('x', -1)).field).toBe('maxBytes');
  });
});

describe('numbers, regions and statuses', () => {
  it('validates priority 0..2147483647 as an integer', () => {
    expect(validatePriority(0)).toBe(0);
    expect(validatePriority(2147483647)).toBe(2147483647);
    for (const bad of [-1, 2147483648, 1.5, Number.NaN, '5']) {
      expect(rejection(() => validatePriority(bad)).field).toBe('priority');
    }
  });

  it('validates maxResults 1..1000', () => {
    expect(validateMaxResults(1)).toBe(1);
    expect(validateMaxResults(1000)).toBe(1000);
    for (const bad of [0, 1001, 2.5, '10']) {
      expect(rejection(() => validateMaxResults(bad)).field).toBe('maxResults');
    }
  });

  it('validates region names with the config rule', () => {
    expect(validateRegion('ap-guangzhou')).toBe('ap-guangzhou');
    expect(validateRegion('na-siliconvalley')).toBe('na-siliconvalley');
    for (const bad of ['', 'AP-GUANGZHOU', 'guangzhou', 'ap-guangzhou.evil.com', 'ap_guangzhou', 7]) {
      expect(rejection(() => validateRegion(bad)).field).toBe('region');
    }
  });

  it('accepts only Ready and Cancelled as requested statuses', () => {
    expect(validateRequestedJobStatus('Ready')).toBe('Ready');
    expect(validateRequestedJobStatus('Cancelled')).toBe('Cancelled');
    for (const bad of ['ready', 'Active', 'Suspended', '', undefined]) {
      expect(rejection(() => validateRequestedJobStatus(bad)).field).toBe('requestedJobStatus');
    }
  });

  it('accepts the 13 statuses as a list filter', () => {
    expect(validateJobStatusFilter('Suspended')).toBe('Suspended');
    expect(validateJobStatusFilter('Completing')).toBe('Completing');
    const error = rejection(() => validateJobStatusFilter('Pending'));
    expect(error.message).toContain('Suspended');
  });

  it('validates page tokens', () => {
    expect(validateNextToken('53dc6228-c50b-46f7-8ad7-65e7159f1aae')).toBe(
      '53dc6228-c50b-46f7-8ad7-65e7159f1aae',
    );
    for (const bad of ['', 'x'.repeat(65), 'a\nb']) {
      expect(rejection(() => validateNextToken(bad)).field).toBe('nextToken');
    }
  });
});
