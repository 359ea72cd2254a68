/**
 * `npx tsx bench/footprint.ts`: the app suite's click storm alone (bench/suites/app.ts), for measuring
 * cosjob's memory: RSS and heap at idle and after the storm, with the storm's ack and event-loop figures
 * beside them so a tuning that saves memory but slows clicks shows up. Prints one line per run and the
 * medians; writes nothing.
 *
 *   --runs <n>              repeat the storm n times (fresh processes each time; default 1)
 *   --node-options "<opts>" cosjob's node options instead of package.json's start script ("" for none)
 *   --heap-snapshots <dir>  write a V8 heap snapshot of cosjob at idle and after the storm into <dir>
 *   --trace-gc              run cosjob with --trace-gc and print its last GC lines at each phase
 *   --env NAME=value        add a variable to cosjob's environment (repeatable)
 */
import { existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { loadavg } from 'node:os';
import { resolve } from 'node:path';
import type { AppProcess } from './app/processes.js';
import { startScriptNodeOptions } from './app/processes.js';
import { FULL_APP_PARAMS } from './params.js';
import type { BenchRow } from './report.js';
import { clickStorm } from './suites/app.js';

const SHOWN = [
  'footprint.time_to_ready_s',
  'footprint.rss_idle_mb',
  'footprint.heap_used_idle_mb',
  'footprint.bare_bolt_rss_idle_mb',
  'footprint.rss_after_storm_mb',
  'footprint.heap_used_after_storm_mb',
  'footprint.heap_total_after_storm_mb',
  'footprint.external_after_storm_mb',
  'footprint.bare_bolt_rss_after_storm_mb',
  'click_storm.bare_ack_p99_ms',
  'click_storm.cosjob_ack_p99_ms',
  'click_storm.ack_p99_ratio',
  'click_storm.cosjob_event_loop_lag_p99_ms',
  'click_storm.cosjob_event_loop_lag_max_ms',
  'click_storm.cosjob_cpu_ms_per_click',
  'click_storm.click_to_card_p99_ms',
  'click_storm.update_job_status_calls',
  'click_storm.duplicates',
  // From the idle figures to the after-storm ones: the storm and the settling of its card updates.
  'storm.gc_pause_ms',
  'storm.gc_pauses',
] as const;

interface Args {
  runs: number;
  nodeOptions: string[];
  snapshotDir?: string;
  traceGc: boolean;
  env: Record<string, string>;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { runs: 1, nodeOptions: startScriptNodeOptions(), traceGc: false, env: {} };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = (): string => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${flag} needs a value`);
      return next;
    };
    if (flag === '--runs') {
      args.runs = Number(value());
      if (!Number.isInteger(args.runs) || args.runs < 1) throw new Error('--runs needs a whole number ≥ 1');
    } else if (flag === '--node-options') args.nodeOptions = value().split(/\s+/).filter(Boolean);
    else if (flag === '--heap-snapshots') args.snapshotDir = resolve(value());
    else if (flag === '--trace-gc') args.traceGc = true;
    else if (flag === '--env') {
      const [name, ...rest] = value().split('=');
      if (name === undefined || name === '' || rest.length === 0) throw new Error('--env needs NAME=value');
      args.env[name] = rest.join('=');
    } else throw new Error(`unknown option ${flag} (see the comment at the top of bench/footprint.ts)`);
  }
  return args;
}

/** Sends SIGUSR2 (--heapsnapshot-signal) and waits until the new snapshot's size stops changing. */
async function snapshot(proc: AppProcess, dir: string, phase: string): Promise<void> {
  const before = new Set(readdirSync(dir));
  process.kill(proc.pid, 'SIGUSR2');
  const deadline = Date.now() + 60_000;
  let lastSize = -1;
  while (Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 500));
    const fresh = readdirSync(dir).find((f) => !before.has(f) && f.endsWith('.heapsnapshot'));
    if (fresh === undefined) continue;
    const size = statSync(`${dir}/${fresh}`).size;
    if (size > 0 && size === lastSize) {
      process.stdout.write(`  ${phase}: heap snapshot ${dir}/${fresh} (${(size / 1e6).toFixed(1)} MB)\n`);
      return;
    }
    lastSize = size;
  }
  throw new Error(`no heap snapshot in ${dir} within 60 s`);
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
};

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const { snapshotDir } = args;
  if (snapshotDir !== undefined && !existsSync(snapshotDir)) mkdirSync(snapshotDir, { recursive: true });
  const nodeOptions = [
    ...args.nodeOptions,
    ...(snapshotDir === undefined
      ? []
      : ['--heapsnapshot-signal=SIGUSR2', `--diagnostic-dir=${snapshotDir}`]),
    ...(args.traceGc ? ['--trace-gc'] : []),
  ];
  process.stdout.write(
    `cosjob node options: ${nodeOptions.join(' ') || '(none)'}; extra env: ${JSON.stringify(args.env)}; load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}\n`,
  );
  const all: Record<string, number>[] = [];
  for (let run = 1; run <= args.runs; run++) {
    const figures: Record<string, number> = {};
    const rows: BenchRow[] = [];
    let gcAtIdle = { ms: 0, count: 0 };
    await clickStorm(FULL_APP_PARAMS, figures, rows, [], {
      nodeOptions,
      env: args.env,
      onPhase: async (phase, cosjob) => {
        const pauses = await cosjob.gcPauses();
        if (phase === 'idle') gcAtIdle = pauses;
        else {
          figures['storm.gc_pause_ms'] = pauses.ms - gcAtIdle.ms;
          figures['storm.gc_pauses'] = pauses.count - gcAtIdle.count;
        }
        const split = cosjob.rssSplitMb();
        const spaces = (await cosjob.heapSpacesMb())
          .filter((space) => space.size >= 0.5)
          .map(
            (space) =>
              `${space.name.replace(/_space$/, '')} ${space.used.toFixed(1)}/${space.size.toFixed(1)}`,
          );
        process.stdout.write(
          `  ${phase}: rss ${(await cosjob.rssMb()).toFixed(1)} MB` +
            (split ? ` (anon ${split.anon.toFixed(1)}, file ${split.file.toFixed(1)})` : '') +
            `; heap used/size MB: ${spaces.join(', ')}\n`,
        );
        if (args.traceGc) {
          const gcLines = cosjob
            .output()
            .split('\n')
            .filter((line) => /Scavenge|Mark-Compact|Mark-sweep/.test(line))
            .slice(-4);
          process.stdout.write(`  ${phase}: last GC lines\n${gcLines.map((l) => `    ${l}`).join('\n')}\n`);
        }
        if (snapshotDir !== undefined) await snapshot(cosjob, snapshotDir, phase);
      },
    });
    all.push(figures);
    process.stdout.write(
      `run ${run} (load ${loadavg()[0]?.toFixed(2)}): ${SHOWN.map((k) => `${k.split('.')[1]}=${figures[k]?.toFixed(1)}`).join(' ')}\n`,
    );
  }
  process.stdout.write('median:\n');
  for (const key of SHOWN) {
    const values = all.map((f) => f[key] ?? Number.NaN);
    process.stdout.write(
      `  ${key.padEnd(42)} ${median(values).toFixed(2).padStart(9)}   (${values.map((v) => v.toFixed(1)).join(', ')})\n`,
    );
  }
}

main().catch((error: unknown) => {
  process.stderr.write(
    `footprint: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(1);
});
