/**
 * Anchors the audit chain outside Redis: on the leader, a checkpoint (global seq and head hash, HMAC'd
 * when AUDIT_HMAC_KEY is set) goes to the audit channel and, when configured, to an append-only file or
 * stdout, every AUDIT_CHECKPOINT_INTERVAL_MINUTES when the chain moved. `cosjob audit verify
 * --checkpoints` reads them back and names any the chain no longer contains.
 */
import type { WebClient } from '@slack/web-api';
import type { ApprovalEngine } from './approvals/engine.js';
import { ChainReads } from './audit/chain-reads.js';
import {
  CheckpointFileWriter,
  CheckpointScheduler,
  CheckpointSigner,
  type CheckpointSink,
  type CheckpointFileWriter as FileWriter,
  publisherSink,
  readChainHead,
} from './audit/checkpoints.js';
import type { Clock } from './clock.js';
import type { AppConfig } from './config/index.js';
import type { Logger } from './logger.js';
import type { RedisClient } from './redis/connection.js';
import type { KeySpace } from './redis/keys.js';
import { SlackCheckpointPublisher } from './slack/audit-checkpoints.js';

export interface RunningCheckpoints {
  scheduler: CheckpointScheduler;
  stop(): Promise<void>;
}

export async function startCheckpointing(parts: {
  config: Pick<AppConfig, 'audit' | 'approvals' | 'redis'>;
  redis: RedisClient;
  keys: KeySpace;
  engine: ApprovalEngine;
  webClient: WebClient;
  clock: Clock;
  logger: Logger;
}): Promise<RunningCheckpoints> {
  const { config, logger } = parts;
  // The file is opened at start, so a path that cannot be written stops start-up instead of failing hourly.
  const file: FileWriter | undefined =
    config.audit.checkpointFile === undefined
      ? undefined
      : await CheckpointFileWriter.open(config.audit.checkpointFile);
  const sinks: CheckpointSink[] = [
    publisherSink(new SlackCheckpointPublisher(parts.webClient, config.audit.checkpointChannelId)),
    ...(file ? [file] : []),
  ];
  const reads = new ChainReads(parts.redis, parts.keys);
  const scheduler = new CheckpointScheduler({
    head: () => readChainHead(reads),
    signer: new CheckpointSigner(config.approvals.auditHmacKey),
    trail: config.redis.keyPrefix,
    sinks,
    intervalMs: config.audit.checkpointIntervalMs,
    clock: parts.clock,
    logger: logger.child({ component: 'audit-checkpoints' }),
    // One writer for the whole deployment: the replica that holds the watcher lease.
    shouldRun: () => parts.engine.isLeader,
  });
  scheduler.start();
  return {
    scheduler,
    async stop() {
      await scheduler.stop();
      await file?.close();
    },
  };
}
