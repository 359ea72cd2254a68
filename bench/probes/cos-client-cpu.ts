/**
 * `npx tsx bench/probes/cos-client-cpu.ts [requests] [rounds]`: the COS client's own cost per DescribeJob,
 * as CPU time of this process, next to raw undici.request of a pre-signed request on the same Pool, 16 in
 * flight, against the emulator in its own process (as bench/suites/cos-client.ts does). Rounds alternate
 * raw and client so both see the same machine load.
 *
 * Why CPU time: on a shared 2-core machine the rate of either side moves with whatever else runs, while
 * the CPU microseconds this process spends per request move much less; their difference (client − raw)
 * is what the client adds: signing, the deadline, reading the body, parsing, checks. Add `--cpu-prof` to
 * node (`node --import tsx --cpu-prof bench/probes/cos-client-cpu.ts 4000 2 client`) to see where it goes
 * (`npx tsx bench/profile-summary.ts <file>`).
 */
import { performance } from 'node:perf_hooks';
import { request } from 'undici';
import { createCosPool } from '../../src/cos/client.js';
import { cosAuthorization, encodePath, encodeQuery } from '../../src/cos/signing.js';
import { startEmulatorProcess } from '../emulator-process.js';
import { BENCH_ACCOUNT, benchCosClient } from '../fixtures.js';

const IN_FLIGHT = 16;
const WARMUP_REQUESTS = 1000;

interface Round {
  rate: number;
  cpuMicrosPerRequest: number;
}

async function run(operation: () => Promise<unknown>, requests: number): Promise<Round> {
  let started = 0;
  const cpuBefore = process.cpuUsage();
  const wallBefore = performance.now();
  await Promise.all(
    Array.from({ length: IN_FLIGHT }, async () => {
      while (started++ < requests) await operation();
    }),
  );
  const wallSeconds = (performance.now() - wallBefore) / 1000;
  const cpu = process.cpuUsage(cpuBefore);
  return { rate: requests / wallSeconds, cpuMicrosPerRequest: (cpu.user + cpu.system) / requests };
}

async function main(): Promise<void> {
  const requests = Number(process.argv[2] ?? 4000);
  const rounds = Number(process.argv[3] ?? 3);
  const only = process.argv[4]; // 'client' or 'raw': one side only (for a profile)
  if (!Number.isInteger(requests) || requests < 1 || !Number.isInteger(rounds) || rounds < 1) {
    throw new Error('usage: cos-client-cpu.ts [requests ≥ 1] [rounds ≥ 1] [client|raw]');
  }
  const emulator = await startEmulatorProcess(150);
  const pool = createCosPool(emulator.url, {}, IN_FLIGHT);
  const credentials = { secretId: BENCH_ACCOUNT.secretId, secretKey: BENCH_ACCOUNT.secretKey };
  const client = benchCosClient(emulator.url, pool);
  try {
    const path = `/jobs/${emulator.jobId}`;
    const signed = { host: client.host, 'x-cos-appid': BENCH_ACCOUNT.appId };
    const now = Math.floor(Date.now() / 1000);
    const authorization = cosAuthorization({ method: 'GET', path, query: {}, headers: signed }, credentials, {
      start: now - 60,
      end: now + 3600,
    });
    const url = `${emulator.url}${encodePath(path)}${encodeQuery({})}`;
    const headers = { ...signed, authorization };
    const raw = async () => {
      const response = await request(url, { dispatcher: pool, method: 'GET', headers });
      const body = await response.body.text();
      if (response.statusCode !== 200)
        throw new Error(`raw request got HTTP ${response.statusCode}: ${body}`);
    };
    const viaClient = () => client.describeJob(emulator.jobId);
    await run(raw, WARMUP_REQUESTS);
    await run(viaClient, WARMUP_REQUESTS);
    for (let round = 0; round < rounds; round++) {
      const r = only === 'client' ? undefined : await run(raw, requests);
      const c = only === 'raw' ? undefined : await run(viaClient, requests);
      const show = (side: Round | undefined) =>
        side === undefined
          ? '-'
          : `${side.rate.toFixed(0)} req/s, ${side.cpuMicrosPerRequest.toFixed(1)} µs CPU/request`;
      const extra =
        r && c
          ? ` | ratio ${(c.rate / r.rate).toFixed(3)}, client adds ${(c.cpuMicrosPerRequest - r.cpuMicrosPerRequest).toFixed(1)} µs CPU/request`
          : '';
      process.stdout.write(`round ${round + 1}: raw ${show(r)} | client ${show(c)}${extra}\n`);
    }
  } finally {
    await client.close();
    await pool.close();
    await emulator.close();
  }
}

await main();
