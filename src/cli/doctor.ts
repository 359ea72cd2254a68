/** `cosjob doctor [--json]`: every check of the deployment, with ✓/✗ and the fix for each. */
import { allPassed, formatCheck, runDoctor } from '../ops/doctor.js';
import { booleanFlag } from './args.js';
import { type CliCommand, EXIT_FAILURE, EXIT_OK, reportFailure, writeLine } from './command.js';

export const doctorCommand: CliCommand = {
  path: ['doctor'],
  summary: 'Check settings, Redis, COS credentials in every region and Slack; exit 0 when all pass.',
  usage: 'cosjob doctor [--json]',
  flags: { json: 'boolean' },
  async run(context) {
    let results: Awaited<ReturnType<typeof runDoctor>>;
    try {
      results = await runDoctor(context.env);
    } catch (error) {
      return reportFailure(context.io, error, 'doctor');
    }
    const ok = allPassed(results);
    if (booleanFlag(context.args, 'json')) {
      writeLine(context.io.stdout, JSON.stringify({ ok, checks: results }, null, 2));
    } else {
      for (const result of results) writeLine(context.io.stdout, formatCheck(result));
      writeLine(context.io.stdout, ok ? 'All checks passed.' : 'Some checks failed: see the fixes above.');
    }
    return ok ? EXIT_OK : EXIT_FAILURE;
  },
};
