/**
 * The bot as a child process for the fault suite: src/main.ts's wiring (configuration from the environment,
 * startRuntime with the watcher running), minus the start-up checks, plus the short lease, claim and
 * deadline settings the environment does not offer, so a SIGKILLed leader or claim holder is replaced in
 * about a second instead of 15 s / 120 s. Run with `node --import tsx test/faults/bot-entry.ts`.
 */
import { environmentSource, loadConfig } from '../../src/config/index.js';
import { createLogger } from '../../src/logger.js';
import { startRuntime } from '../../src/runtime.js';

const loaded = loadConfig(environmentSource(process.env));
const logger = createLogger({ level: 'info', write: (line) => process.stdout.write(`${line}\n`) });
const numberFrom = (name: string, fallback: number): number => Number(process.env[name] ?? fallback);

const runtime = await startRuntime({
  config: loaded.app,
  logger,
  cosOverrides: { timeouts: { deadlineMs: 2_000 }, retry: { baseDelayMs: 5, maxDelayMs: 20 } },
  slack: { processBeforeResponse: true, postIntervalMs: 0 },
  engine: {
    leaseTtlMs: numberFrom('FAULT_LEASE_TTL_MS', 1_000),
    claimTtlMs: numberFrom('FAULT_CLAIM_TTL_MS', 1_500),
    reconcileGraceMs: 0,
    progressIntervalMs: 0,
    ...(process.env.FAULT_INSTANCE_ID ? { instanceId: process.env.FAULT_INSTANCE_ID } : {}),
  },
});
logger.info('fault-suite bot running', { port: runtime.slack.port });
process.on('SIGTERM', () => {
  runtime.stop().finally(() => process.exit(0));
});
