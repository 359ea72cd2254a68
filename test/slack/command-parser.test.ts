/** `/cosjob` text → command: every valid form, and every malformed one answered with why and the usage. */
import { describe, expect, it } from 'vitest';
import { type CosjobCommand, FULL_USAGE, parseCosjobCommand, USAGE } from '../../src/slack/command-parser.js';

const REGIONS = ['ap-guangzhou', 'ap-shanghai'];
const JOB = '53dc6228-c50b-46f7-8ad7-65e7159f1aae';

function parsed(text: string): CosjobCommand {
  const result = parseCosjobCommand(text, REGIONS);
  if (!result.ok) throw new Error(`expected "${text}" to parse, got: ${result.error}`);
  return result.command;
}

function refused(text: string): { error: string; usage: string } {
  const result = parseCosjobCommand(text, REGIONS);
  if (result.ok) throw new Error(`expected "${text}" to be refused, got ${JSON.stringify(result.command)}`);
  return result;
}

describe('parseCosjobCommand: valid forms', () => {
  it.each(['', '   ', 'help', 'HELP', ' help '])('%j is help', (text) => {
    expect(parsed(text)).toEqual({ kind: 'help' });
  });

  it.each<[string, CosjobCommand]>([
    ['list', { kind: 'list', status: 'Suspended' }],
    ['LIST', { kind: 'list', status: 'Suspended' }],
    ['list all', { kind: 'list', status: 'all' }],
    ['list ALL', { kind: 'list', status: 'all' }],
    ['list active', { kind: 'list', status: 'Active' }],
    ['list Cancelled', { kind: 'list', status: 'Cancelled' }],
    ['list failed', { kind: 'list', status: 'Failed' }],
    ['list --region ap-shanghai', { kind: 'list', status: 'Suspended', region: 'ap-shanghai' }],
    ['list all --region=ap-guangzhou', { kind: 'list', status: 'all', region: 'ap-guangzhou' }],
    ['--region ap-guangzhou list complete', { kind: 'list', status: 'Complete', region: 'ap-guangzhou' }],
  ])('%j', (text, command) => {
    expect(parsed(text)).toEqual(command);
  });

  it.each<[string, CosjobCommand]>([
    [`status ${JOB}`, { kind: 'status', jobId: JOB }],
    [`STATUS ${JOB} --region ap-shanghai`, { kind: 'status', jobId: JOB, region: 'ap-shanghai' }],
    [`audit ${JOB}`, { kind: 'audit', jobId: JOB }],
    [`audit --region=ap-guangzhou ${JOB}`, { kind: 'audit', jobId: JOB, region: 'ap-guangzhou' }],
    [`approve ${JOB}`, { kind: 'approve', jobId: JOB }],
    [`approve ${JOB} checked the manifest`, { kind: 'approve', jobId: JOB, reason: 'checked the manifest' }],
    [`cancel ${JOB}`, { kind: 'cancel', jobId: JOB }],
    [`cancel ${JOB}   wrong manifest  `, { kind: 'cancel', jobId: JOB, reason: 'wrong manifest' }],
    [`cancel ${JOB} 重复的任务 😀`, { kind: 'cancel', jobId: JOB, reason: '重复的任务 😀' }],
    [
      `cancel ${JOB} wrong bucket --region ap-shanghai`,
      { kind: 'cancel', jobId: JOB, reason: 'wrong bucket', region: 'ap-shanghai' },
    ],
    [`cancel x_1 ${'a'.repeat(256)}`, { kind: 'cancel', jobId: 'x_1', reason: 'a'.repeat(256) }],
  ])('%j', (text, command) => {
    expect(parsed(text)).toEqual(command);
  });

  it('keeps the reason’s inner spacing and punctuation as typed', () => {
    expect(parsed(`cancel ${JOB} dup of #42:  see ticket (ops)`)).toMatchObject({
      reason: 'dup of #42:  see ticket (ops)',
    });
  });

  it('accepts a reason of exactly 256 bytes of multi-byte text', () => {
    const reason = `${'界'.repeat(85)}a`; // 256 bytes
    expect(parsed(`cancel ${JOB} ${reason}`)).toMatchObject({ reason });
  });

  it('accepts a 64-byte JobId', () => {
    const id = `a${'b'.repeat(63)}`;
    expect(parsed(`status ${id}`)).toEqual({ kind: 'status', jobId: id });
  });
});

describe('parseCosjobCommand: malformed forms', () => {
  it.each<[string, RegExp, string]>([
    ['frobnicate', /Unknown subcommand "frobnicate"/, FULL_USAGE],
    ['approve', /`approve` needs a JobId/, USAGE.approve],
    ['cancel', /`cancel` needs a JobId/, USAGE.cancel],
    ['status', /`status` needs a JobId/, USAGE.status],
    ['audit', /`audit` needs a JobId/, USAGE.audit],
    ['status ../etc/passwd', /not a valid JobId: the JobId may contain only letters/, USAGE.status],
    ['approve -leading-dash', /not a valid JobId/, USAGE.approve],
    ['approve _leading', /not a valid JobId/, USAGE.approve],
    [`status a${'b'.repeat(64)}`, /longer than 64 bytes/, USAGE.status],
    ['approve <@U123>', /not a valid JobId/, USAGE.approve],
    [`status ${JOB} extra`, /`status` takes only a JobId/, USAGE.status],
    [`audit ${JOB} extra words`, /`audit` takes only a JobId/, USAGE.audit],
    ['list sleeping', /Unknown status "sleeping"/, USAGE.list],
    ['list active all', /at most one status/, USAGE.list],
    [`cancel ${JOB} ${'界'.repeat(85)}ab`, /257 bytes; the limit is 256 bytes/, USAGE.cancel],
    [`approve ${JOB} ${'x'.repeat(257)}`, /257 bytes/, USAGE.approve],
    [
      'list --region eu-frankfurt',
      /Region eu-frankfurt is not one cosjob watches. Configured: ap-guangzhou, ap-shanghai/,
      FULL_USAGE,
    ],
    [
      'list --region Mars!',
      /--region needs a region name such as ap-guangzhou: the region must look like/,
      FULL_USAGE,
    ],
    ['list --region=', /--region needs a region name/, FULL_USAGE],
    ['list --region', /--region needs a region name/, FULL_USAGE],
    [`status ${JOB} --region`, /--region needs a region name/, FULL_USAGE],
    ['list --region ap-guangzhou --region ap-shanghai', /only once/, FULL_USAGE],
    ['list --region ap-guangzhou --region=ap-guangzhou', /only once/, FULL_USAGE],
    ['list --region ap-guangzhou --region', /only once/, FULL_USAGE],
    [
      'list --verbose',
      /Unknown option --verbose. The only options are --account A and --region R/,
      FULL_USAGE,
    ],
    ['list --regions ap-guangzhou', /Unknown option --regions/, FULL_USAGE],
    [`approve ${JOB} --force`, /Unknown option --force/, FULL_USAGE],
  ])('%j is refused', (text, why, usage) => {
    const result = refused(text);
    expect(result.error).toMatch(why);
    expect(result.usage).toBe(usage);
  });

  it('refuses a command longer than 4000 characters without echoing it', () => {
    const result = refused(`cancel ${JOB} ${'x'.repeat(4000)}`);
    expect(result.error).toMatch(/too long/);
    expect(result.error.length).toBeLessThan(100);
  });

  it('echoes at most a short piece of what was typed', () => {
    expect(refused(`${'z'.repeat(500)}`).error.length).toBeLessThan(100);
    expect(refused(`status ${'%'.repeat(500)}`).error.length).toBeLessThan(300);
  });

  it('names every configured region when a region is unknown', () => {
    const result = parseCosjobCommand('list --region ap-beijing', ['ap-chengdu']);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error).toContain('Configured: ap-chengdu');
  });

  it('every usage line names its subcommand', () => {
    for (const [kind, usage] of Object.entries(USAGE)) expect(usage).toContain(`/cosjob ${kind}`);
    expect(FULL_USAGE.split('\n')).toHaveLength(Object.keys(USAGE).length);
  });
});

describe('Slack command text escaping', () => {
  it('undoes the &amp; &lt; &gt; escaping Slack applies to command text, once', async () => {
    const { unescapeSlackText } = await import('../../src/slack/listeners/commands.js');
    expect(unescapeSlackText('wrong &lt;prefix&gt; &amp; bucket')).toBe('wrong <prefix> & bucket');
    expect(unescapeSlackText('&amp;lt;')).toBe('&lt;');
  });
});
