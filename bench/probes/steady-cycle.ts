/**
 * `npx tsx bench/probes/steady-cycle.ts [waiting] [cycles]`: the watcher's poll cycle with nothing new,
 * in this process: the COS emulator (its own process) holds `waiting` Suspended jobs, the engine (the
 * real core on a bench redis-server) announces them in a first cycle, then runs `cycles` more and prints
 * each one's CPU time and wall time. No Slack: what the cycle costs cosjob's watcher alone (the app suite's
 * figure adds the process's idle floor and whatever else runs in its window). Run node with --cpu-prof
 * (`node --import tsx --cpu-prof bench/probes/steady-cycle.ts`) to see where the time goes.
 */
import { performance } from 'node:perf_hooks';
import { buildCore } from '../../src/core.js';
import { createCosPool } from '../../src/cos/client.js';
import { CosClientSet } from '../../src/cos/client-set.js';
import { silentLogger } from '../../src/logger.js';
import { startEmulatorProcess } from '../emulator-process.js';
import { BENCH_REGION, benchCosClient } from '../fixtures.js';
import { startBenchRedis } from '../redis.js';

async function main(): Promise<void> {
  const waiting = Number(process.argv[2] ?? 1000);
  const cycles = Number(process.argv[3] ?? 10);
  if (!Number.isInteger(waiting) || waiting < 1 || !Number.isInteger(cycles) || cycles < 1) {
    throw new Error('usage: steady-cycle.ts [waiting ≥ 1] [cycles ≥ 1]');
  }
  const emulator = await startEmulatorProcess(waiting, waiting);
  const redis = await startBenchRedis('none');
  const pool = createCosPool(emulator.url, {}, 16);
  const client = benchCosClient(emulator.url, pool);
  const core = await buildCore(
    {
      redis: { url: redis.url, keyPrefix: redis.newPrefix() },
      approvals: {
        approverUserIds: ['UPROBE1'],
        approverUsergroupIds: [],
        requiredApprovals: 1,
        requireCancelReason: false,
      },
      watcher: { pollIntervalSeconds: 3600 },
    },
    {
      logger: silentLogger,
      clients: new CosClientSet([{ account: 'default', region: BENCH_REGION, client }]),
    },
  );
  try {
    const first = await core.engine.watcher.pollOnce();
    const announced = first.regions.reduce((n, r) => n + r.announced.length, 0);
    process.stdout.write(`first cycle: ${announced} announced, ${first.tracked} tracked\n`);
    const cpu: number[] = [];
    for (let i = 0; i < cycles; i++) {
      const before = process.cpuUsage();
      const t0 = performance.now();
      const report = await core.engine.watcher.pollOnce();
      const used = process.cpuUsage(before);
      const ms = (used.user + used.system) / 1000;
      cpu.push(ms);
      process.stdout.write(
        `cycle ${i + 1}: ${ms.toFixed(1)} ms CPU, ${(performance.now() - t0).toFixed(1)} ms wall, ${report.tracked} tracked\n`,
      );
    }
    const sorted = [...cpu].sort((a, b) => a - b);
    process.stdout.write(
      `median ${sorted[Math.floor(sorted.length / 2)]?.toFixed(1)} ms CPU per steady cycle\n`,
    );
  } finally {
    await core.close();
    await client.close();
    await pool.close();
    await redis.close();
    await emulator.close();
  }
}

await main();
