/** `npm start` runs the doctor's checks first: every result is logged, and a fatal failure stops it. */
import type { Env } from '../config/index.js';
import type { Logger } from '../logger.js';
import { type CheckResult, type DoctorOptions, runDoctor } from './doctor.js';

export interface StartupCheckResults {
  /** The fatal failures (empty when cosjob may start). */
  fatal: CheckResult[];
  /** Warnings and non-fatal failures: logged here, and told once in the approval channel by the bot. */
  warnings: { id: string; text: string }[];
}

export async function runStartupChecks(
  env: Env,
  logger: Logger,
  observers: Pick<DoctorOptions, 'onCosAttempt' | 'slackClientOptions'> = {},
): Promise<StartupCheckResults> {
  const results = await runDoctor(env, { logger, ...observers });
  for (const result of results) {
    const fields = { check: result.name, detail: result.detail, ...(result.fix ? { fix: result.fix } : {}) };
    if (result.status === 'pass') logger.info('start-up check passed', fields);
    else if (result.status === 'warn') logger.warn('start-up check warning', fields);
    else logger.error('start-up check failed', { ...fields, fatal: result.fatal === true });
  }
  return {
    fatal: results.filter((r) => r.status === 'fail' && r.fatal === true),
    // The settings check repeats what the settings reader already warned about; those are told from there.
    warnings: results
      .filter(
        (r) => (r.status === 'warn' || (r.status === 'fail' && r.fatal !== true)) && r.name !== 'settings',
      )
      .map((r) => ({ id: `doctor:${r.name}`, text: `${r.detail}${r.fix ? ` Fix: ${r.fix}` : ''}` })),
  };
}
