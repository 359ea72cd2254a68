/**
 * `npx tsx bench/probes/discovery.ts [runs]`: only the app suite's discovery at scale (a real cosjob
 * process, 10,000 jobs of which 1,000 wait), `runs` times in a row, printing the discovery figures of each:
 * a quicker loop than `npm run bench -- --only app` for work on the first or the steady cycle. Node options
 * for cosjob come from BENCH_NODE_OPTIONS as in the suite (package.json's start options otherwise).
 */
import { FULL_APP_PARAMS } from '../params.js';
import { discovery } from '../suites/app.js';

const runs = Number(process.argv[2] ?? 1);
if (!Number.isInteger(runs) || runs < 1) throw new Error('usage: discovery.ts [runs ≥ 1]');
for (let run = 1; run <= runs; run++) {
  const figures: Record<string, number> = {};
  await discovery(FULL_APP_PARAMS, figures, [], []);
  const shown = Object.entries(figures)
    .filter(([key]) => key.startsWith('discovery.'))
    .map(([key, value]) => `${key.replace('discovery.', '')}=${value}`);
  process.stdout.write(`run ${run}: ${shown.join(' ')}\n`);
}
