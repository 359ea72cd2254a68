/**
 * The story `npm run demo` tells, one chapter per step of the brief. Each chapter acts the way a person
 * or COS would (a signed click, a typed command, a change in the COS console), lets cosjob react, shows
 * what Slack now shows, and checks it: a demo that prints a happy story while the product misbehaves
 * would be worse than none. The summary is counted from the final state (Slack messages, the audit
 * trail, the emulator), not from the story's own bookkeeping.
 */
import { RedisAuditTrail } from '../src/audit/trail.js';
import type { AuditEntry, VerifyResult } from '../src/audit/types.js';
import { KeySpace } from '../src/redis/keys.js';
import { replyPairs, replyStreamRecords, type StreamRecord } from '../src/redis/replies.js';
import { ACTION_IDS } from '../src/slack/blocks/ids.js';
import type { EmulatedJob } from '../tools/emulator/server.js';
import type { StoredMessage } from '../tools/fakes/fake-slack.js';
import { type RenderOptions, renderMessageAsText, renderModalAsText } from './render.js';
import { cardJobId, check, DemoSlackUsers, DemoStepError, type SlackAnswer, titleOf } from './slack-user.js';
import {
  ALICE,
  BOB,
  CHANNEL,
  type DemoStack,
  MALLORY,
  PEOPLE,
  REGIONS,
  type StoryJobs,
  tamperCopyPrefix,
} from './stack.js';

export interface Narrator {
  chapter(title: string): void;
  say(text: string): void;
  /** A block of what someone sees in Slack, indented under a marker. */
  show(text: string, marker?: string): void;
}

export function createNarrator(write: (text: string) => void, quiet: boolean): Narrator {
  if (quiet) return { chapter() {}, say() {}, show() {} };
  let chapters = 0;
  return {
    chapter(title) {
      chapters += 1;
      write(`\n━━ ${chapters}. ${title} ${'━'.repeat(Math.max(3, 72 - title.length))}\n`);
    },
    say(text) {
      write(`${text}\n`);
    },
    show(text, marker = '│') {
      write(
        `${text
          .split('\n')
          .map((line) => `   ${marker} ${line}`.trimEnd())
          .join('\n')}\n`,
      );
    },
  };
}

export interface DemoSummary {
  cardsPosted: number;
  refused: number;
  approvedComplete: number;
  cancelled: number;
  changedOutside: number;
  audit: { ok: boolean; entries: number };
  tamper: { detected: boolean; seq?: number };
  jobs: { copy: string; restore: string; destroy: string };
  cosCancelReason?: string;
}

/** What the summary must say for the demo to count as a success. */
export const EXPECTED = {
  cardsPosted: 3,
  refused: 1,
  approvedComplete: 1,
  cancelled: 1,
  changedOutside: 1,
} as const;

export const CANCEL_REASON = 'wrong prefix';
const JOB_RUN_TIMEOUT_MS = 30_000;
const POLL_EVERY_MS = 300;

const userNames: RenderOptions['userNames'] = Object.fromEntries(PEOPLE.map((p) => [p.id, p.name]));
const render = (message: unknown) => renderMessageAsText(message, { userNames });

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}

class Story {
  private readonly users: DemoSlackUsers;
  /** Thread replies already shown, per card ts. */
  private readonly shownReplies = new Map<string, number>();

  constructor(
    private readonly stack: DemoStack,
    private readonly out: Narrator,
    private readonly signal: AbortSignal,
  ) {
    this.users = new DemoSlackUsers(stack);
  }

  private get runtime() {
    return this.stack.runtime;
  }

  /** One watcher pass, as the timer would run it, and everything it queued for Slack posted. */
  private async poll(): Promise<void> {
    this.signal.throwIfAborted();
    await this.runtime.engine.watcher.pollOnce();
    await this.runtime.slack.poster.idle();
  }

  /** Polls until `done` says so, showing the card's thread replies as they come; bounded in time. */
  private async pollUntil(what: string, card: StoredMessage, done: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + JOB_RUN_TIMEOUT_MS;
    for (;;) {
      await this.poll();
      this.showNewReplies(card);
      if (await done()) return;
      if (Date.now() > deadline) {
        throw new DemoStepError(`${what} did not happen within ${JOB_RUN_TIMEOUT_MS / 1000} s`);
      }
      await sleep(POLL_EVERY_MS, this.signal);
    }
  }

  private cardFor(jobId: string): StoredMessage | undefined {
    return this.stack.slack.messages(CHANNEL).find((m) => cardJobId(m) === jobId);
  }

  private currentCard(card: StoredMessage): StoredMessage {
    const now = this.stack.slack.message(CHANNEL, card.ts);
    check(now !== undefined, `the card ${card.ts} disappeared from the channel`);
    return now;
  }

  private showCard(card: StoredMessage): void {
    this.out.show(render(this.currentCard(card)));
  }

  private showNewReplies(card: StoredMessage): void {
    const replies = this.stack.slack.thread(CHANNEL, card.ts);
    const from = this.shownReplies.get(card.ts) ?? 0;
    for (const reply of replies.slice(from)) this.out.show(render(reply), '🧵');
    this.shownReplies.set(card.ts, replies.length);
  }

  private job(region: string, jobId: string): EmulatedJob {
    const job = this.stack.emulator.store.getJob(region, jobId);
    check(job !== undefined, `the emulator lost job ${jobId} in ${region}`);
    return job;
  }

  private showAnswers(answers: readonly SlackAnswer[]): void {
    check(answers.length > 0, 'the command got no answer');
    for (const answer of answers) this.out.show(render(answer), '👁');
  }

  async run(): Promise<DemoSummary> {
    const jobs = await this.threeCards();
    const copyCard = this.cardFor(jobs.copy.id)!;
    const deleteCard = this.cardFor(jobs.destroy.id)!;
    const restoreCard = this.cardFor(jobs.restore.id)!;
    await this.malloryIsRefused(jobs, copyCard);
    await this.aliceApproves(jobs, copyCard);
    await this.bobCancels(jobs, deleteCard);
    await this.changedInConsole(jobs, restoreCard);
    await this.aliceTypesCommands(jobs);
    const { audit, tamper } = await this.verifyAndTamper(jobs);
    return this.summarise(jobs, audit, tamper);
  }

  // ---- 2. three jobs wait → three cards ----------------------------------------------------------------

  private async threeCards(): Promise<StoryJobs> {
    this.out.chapter('Three COS jobs wait for confirmation → three cards');
    const jobs = this.stack.createStoryJobs();
    this.out.say(
      `In COS: a copy (${jobs.copy.region}), a restore (${jobs.restore.region}) and a destructive delete ` +
        `(${jobs.destroy.region}), created with ConfirmationRequired, now Suspended.\n` +
        'cosjob polls both regions once and posts a card for each:',
    );
    await this.poll();
    for (const job of [jobs.copy, jobs.restore, jobs.destroy]) {
      const card = this.cardFor(job.id);
      check(card !== undefined, `no card was posted for job ${job.id} (${job.description})`);
      check(titleOf(card).includes('awaiting approval'), `the card for ${job.id} is not awaiting approval`);
      this.out.say('');
      this.showCard(card);
    }
    return jobs;
  }

  // ---- 3. a non-approver is refused --------------------------------------------------------------------

  private async malloryIsRefused(jobs: StoryJobs, copyCard: StoredMessage): Promise<void> {
    this.out.chapter('Mallory (not an approver) clicks Approve on the copy');
    const before = this.stack.slack.ephemerals(CHANNEL).length;
    await this.users.click(MALLORY, this.currentCard(copyCard), ACTION_IDS.approve);
    const told = this.stack.slack.ephemerals(CHANNEL).slice(before);
    const refusal = told.find((e) => e.user === MALLORY.id);
    check(refusal !== undefined, 'Mallory was not told why her click did nothing');
    this.out.say('Only Mallory sees:');
    this.out.show(render(refusal), '👁');
    const history = await this.runtime.audit.history({
      account: 'default',
      region: jobs.copy.region,
      jobId: jobs.copy.id,
    });
    const denied = history.find((e) => e.action === 'denied' && e.actor.id === MALLORY.id);
    check(denied !== undefined, "Mallory's refused click was not audited as denied");
    check(
      this.job(jobs.copy.region, jobs.copy.id).status === 'Suspended',
      'the copy job moved after a refused click',
    );
    this.out.say(
      `Nothing was sent to COS. The audit trail records the refusal (entry #${denied.jobSeq} of the job, ` +
        'action "denied"), and cosjob echoes it in the card\'s thread for everyone:',
    );
    this.showNewReplies(copyCard);
  }

  // ---- 4. an approver approves; the job runs to the end ------------------------------------------------

  private async aliceApproves(jobs: StoryJobs, copyCard: StoredMessage): Promise<void> {
    this.out.chapter('Alice approves the copy; COS runs it');
    await this.users.click(ALICE, this.currentCard(copyCard), ACTION_IDS.approve);
    const card = this.currentCard(copyCard);
    check(titleOf(card).startsWith('✅'), `after Alice's approval the card shows "${titleOf(card)}"`);
    const job = this.job(jobs.copy.region, jobs.copy.id);
    const expectedReason = `approved by ${ALICE.name} (${ALICE.id}) via Slack`;
    check(
      job.statusUpdateReason === expectedReason,
      `COS holds the reason "${job.statusUpdateReason ?? ''}", expected "${expectedReason}"`,
    );
    this.out.say('The card everyone sees:');
    this.showCard(copyCard);
    this.out.say(`COS: the job is now ${job.status}, reason “${job.statusUpdateReason}”. In the thread:`);
    this.showNewReplies(copyCard);

    this.out.say('\ncosjob polls COS and reports progress in the thread until the job ends:');
    await this.pollUntil('the copy job finishing', copyCard, async () => {
      const record = await this.runtime.engine.jobRecord({
        account: 'default',
        region: jobs.copy.region,
        jobId: jobs.copy.id,
      });
      return record?.finishedAt !== undefined;
    });
    const finished = this.job(jobs.copy.region, jobs.copy.id);
    check(finished.status === 'Complete', `the copy job ended ${finished.status}, not Complete`);
    const replies = this.stack.slack.thread(CHANNEL, copyCard.ts);
    check(
      replies.some((r) => render(r).includes('Complete')),
      'no "Complete" summary was posted in the thread',
    );
    this.out.say('\nThe card now:');
    this.showCard(copyCard);
  }

  // ---- 5. an approver cancels, with a reason ---------------------------------------------------------

  private async bobCancels(jobs: StoryJobs, deleteCard: StoredMessage): Promise<void> {
    this.out.chapter('Bob cancels the delete, with a reason');
    const opened = this.stack.slack.callsTo('views.open').length;
    await this.users.click(BOB, this.currentCard(deleteCard), ACTION_IDS.cancel);
    check(this.stack.slack.callsTo('views.open').length > opened, 'clicking Cancel opened no dialog');
    const modal = this.users.lastOpenedModal();
    this.out.say('Slack opens this dialog for Bob:');
    this.out.show(renderModalAsText(modal.view, userNames ? { userNames } : {}), '▢');
    this.out.say(`He types “${CANCEL_REASON}” and clicks Cancel job.`);
    const answer = await this.users.submitCancelReason(BOB, modal, CANCEL_REASON);
    check(answer === '', `cosjob kept the dialog open: ${answer}`);
    const card = this.currentCard(deleteCard);
    check(titleOf(card).startsWith('🛑'), `after Bob's cancel the card shows "${titleOf(card)}"`);
    this.showCard(deleteCard);
    this.showNewReplies(deleteCard);

    const expectedReason = `cancelled by ${BOB.name} (${BOB.id}) via Slack: ${CANCEL_REASON}`;
    await this.pollUntil('COS finishing the cancellation', deleteCard, async () => {
      return this.job(jobs.destroy.region, jobs.destroy.id).status === 'Cancelled';
    });
    const job = this.job(jobs.destroy.region, jobs.destroy.id);
    check(
      job.statusUpdateReason === expectedReason,
      `COS holds the reason "${job.statusUpdateReason ?? ''}", expected "${expectedReason}"`,
    );
    this.out.say(`COS: the job is ${job.status}, reason “${job.statusUpdateReason}”.`);
  }

  // ---- 6. a change made outside Slack -----------------------------------------------------------------

  private async changedInConsole(jobs: StoryJobs, restoreCard: StoredMessage): Promise<void> {
    this.out.chapter('Someone confirms the restore in the COS console');
    const { region, id } = jobs.restore;
    this.stack.emulator.store.setStatus(region, id, 'Ready', 'confirmed in the COS console');
    this.out.say(`In the emulator, job ${id} (${region}) goes Suspended → Ready without cosjob. Next poll:`);
    await this.pollUntil('cosjob noticing the change', restoreCard, async () => {
      const record = await this.runtime.engine.jobRecord({ account: 'default', region: region, jobId: id });
      return record?.changedOutsideAt !== undefined;
    });
    const card = this.currentCard(restoreCard);
    check(titleOf(card).includes('changed outside Slack'), `the restore card shows "${titleOf(card)}"`);
    this.showCard(restoreCard);
  }

  // ---- 7. slash commands -------------------------------------------------------------------------------

  private async aliceTypesCommands(jobs: StoryJobs): Promise<void> {
    this.out.chapter('Alice types /cosjob list all and /cosjob audit');
    this.out.say('/cosjob list all  →  only Alice sees:');
    const list = await this.users.command(ALICE, 'list all');
    this.showAnswers(list);
    const listed = list.map(render).join('\n');
    for (const job of [jobs.copy, jobs.restore, jobs.destroy]) {
      check(listed.includes(job.id), `/cosjob list all does not show job ${job.id}`);
    }
    this.out.say(`\n/cosjob audit ${jobs.copy.id}  →  only Alice sees:`);
    const audit = await this.users.command(ALICE, `audit ${jobs.copy.id}`);
    this.showAnswers(audit);
    check(
      audit.map(render).join('\n').includes('Hash chain verified'),
      "/cosjob audit did not report the job's chain as verified",
    );
  }

  // ---- 8. the whole chain, and what tampering looks like --------------------------------------------------

  private async verifyAndTamper(
    jobs: StoryJobs,
  ): Promise<{ audit: VerifyResult; tamper: DemoSummary['tamper'] }> {
    this.out.chapter('The audit chain, and what tampering looks like');
    const audit = await this.runtime.audit.verify({ kind: 'global' });
    check(audit.ok, `the global audit chain does not verify: ${audit.problem?.detail ?? 'no detail'}`);
    this.out.say(
      `✅ Global chain verified: ${audit.entries} entries, each hashed (HMAC) over its fields and the previous ` +
        `entry's hash; head ${audit.headHash?.slice(0, 16) ?? '?'}….`,
    );

    const history = await this.runtime.audit.history({
      account: 'default',
      region: jobs.copy.region,
      jobId: jobs.copy.id,
    });
    const approval = history.find((e) => e.action === 'approved');
    check(approval !== undefined, 'the copy job has no "approved" audit entry');
    const tamper = await this.tamperWithACopy(approval);
    const after = await this.runtime.audit.verify({ kind: 'global' });
    check(after.ok && after.entries === audit.entries, 'the real audit chain changed during the tamper demo');
    this.out.say(`The copy is deleted. The real chain still verifies: ✅ ${after.entries} entries.`);
    return { audit: after, tamper };
  }

  /**
   * Copies the global chain to a separate key prefix, edits one entry there the way someone with Redis
   * access could, and verifies the copy. The real trail is never written to, and the copy is removed.
   */
  private async tamperWithACopy(target: AuditEntry): Promise<DemoSummary['tamper']> {
    const { admin, config } = this.stack;
    const source = new KeySpace(config.redis.keyPrefix);
    const copy = new KeySpace(tamperCopyPrefix(config.redis.keyPrefix));
    const records = replyStreamRecords(await admin.call('XRANGE', source.auditLog(), '-', '+'), 'XRANGE');
    const head = replyPairs(await admin.call('HGETALL', source.auditHead()), 'HGETALL');
    check(records.length > 0 && head.length > 0, 'the audit trail to copy is empty');
    this.out.say(
      `\nTamper check on a COPY: the ${records.length} entries are copied to the key prefix ` +
        `${copy.prefix}, and in the copy entry #${target.seq} (${target.actor.name}'s approval of the copy ` +
        `job) is rewritten to name ${MALLORY.name} instead, as someone with Redis access could do.`,
    );
    try {
      for (const record of records) {
        const edited: StreamRecord =
          record.id === target.streamId
            ? {
                id: record.id,
                fields: record.fields.map(([name, value]) =>
                  name === 'actorName' ? [name, MALLORY.name] : [name, value],
                ),
              }
            : record;
        await admin.call('XADD', copy.auditLog(), edited.id, ...edited.fields.flat());
      }
      await admin.call('HSET', copy.auditHead(), ...head.flat());
      const copied = new RedisAuditTrail(admin, {
        keys: copy,
        ...(config.approvals.auditHmacKey ? { hmacKey: config.approvals.auditHmacKey } : {}),
      });
      const result = await copied.verify({ kind: 'global' });
      const problem = result.problem;
      check(!result.ok && problem !== undefined, 'verify did not notice the edited entry in the copy');
      check(
        problem.kind === 'edited' && problem.streamId === target.streamId,
        `verify named the wrong problem: ${problem.kind} at ${'streamId' in problem ? problem.streamId : '?'}`,
      );
      this.out.show(
        `❌ verify (copy): entry #${problem.seq} was edited — ${problem.detail}\n` +
          `   ${result.entries} entries before it are intact; everything from #${problem.seq} on is untrusted.`,
        '!',
      );
      return { detected: true, seq: problem.seq };
    } finally {
      await admin.call('DEL', copy.auditLog(), copy.auditHead());
    }
  }

  // ---- summary -------------------------------------------------------------------------------------------

  private async summarise(
    jobs: StoryJobs,
    audit: VerifyResult,
    tamper: DemoSummary['tamper'],
  ): Promise<DemoSummary> {
    const storyJobs = [jobs.copy, jobs.restore, jobs.destroy];
    const histories = await Promise.all(
      storyJobs.map((j) => this.runtime.audit.history({ account: 'default', region: j.region, jobId: j.id })),
    );
    const statuses = storyJobs.map((j) => this.job(j.region, j.id).status);
    const has = (i: number, action: AuditEntry['action']) => histories[i]!.some((e) => e.action === action);
    const count = (action: AuditEntry['action']) =>
      histories.flat().filter((e) => e.action === action).length;
    const destroyed = this.job(jobs.destroy.region, jobs.destroy.id);
    return {
      cardsPosted: this.stack.slack.messages(CHANNEL).filter((m) => cardJobId(m) !== undefined).length,
      refused: count('denied'),
      approvedComplete: storyJobs.filter((_, i) => has(i, 'approved') && statuses[i] === 'Complete').length,
      cancelled: storyJobs.filter((_, i) => has(i, 'cancelled') && statuses[i] === 'Cancelled').length,
      changedOutside: count('changed_outside'),
      audit: { ok: audit.ok, entries: audit.entries },
      tamper,
      jobs: { copy: jobs.copy.id, restore: jobs.restore.id, destroy: jobs.destroy.id },
      ...(destroyed.statusUpdateReason ? { cosCancelReason: destroyed.statusUpdateReason } : {}),
    };
  }
}

/** Runs the story on a started stack. Throws DemoStepError when something did not happen as it should. */
export function runStory(stack: DemoStack, out: Narrator, signal: AbortSignal): Promise<DemoSummary> {
  return new Story(stack, out, signal).run();
}

/** The summary's mismatches with EXPECTED, one line each; empty when the demo did what it should. */
export function summaryProblems(summary: DemoSummary): string[] {
  const problems: string[] = [];
  for (const [key, expected] of Object.entries(EXPECTED) as [keyof typeof EXPECTED, number][]) {
    if (summary[key] !== expected) problems.push(`${key}: expected ${expected}, got ${summary[key]}`);
  }
  if (!summary.audit.ok) problems.push('the audit chain did not verify');
  if (!summary.tamper.detected) problems.push('the edited copy was not detected');
  return problems;
}

/** The summary as printed (also with --quiet). */
export function formatSummary(summary: DemoSummary, elapsedMs: number): string {
  const mark = (ok: boolean) => (ok ? '✔' : '✘');
  const lines = [
    `Summary (${(elapsedMs / 1000).toFixed(1)} s, regions ${REGIONS.join(' and ')})`,
    `  ${mark(summary.cardsPosted === EXPECTED.cardsPosted)} ${summary.cardsPosted} cards posted`,
    `  ${mark(summary.refused === EXPECTED.refused)} ${summary.refused} refused (${MALLORY.name} is not an approver; audited as denied)`,
    `  ${mark(summary.approvedComplete === EXPECTED.approvedComplete)} ${summary.approvedComplete} approved → Complete (copy ${summary.jobs.copy})`,
    `  ${mark(summary.cancelled === EXPECTED.cancelled)} ${summary.cancelled} cancelled (delete ${summary.jobs.destroy}: “${summary.cosCancelReason ?? ''}”)`,
    `  ${mark(summary.changedOutside === EXPECTED.changedOutside)} ${summary.changedOutside} changed outside Slack (restore ${summary.jobs.restore})`,
    summary.audit.ok
      ? `  ✔ audit chain verified: ${summary.audit.entries} entries`
      : `  ✘ audit chain NOT verified (${summary.audit.entries} entries intact)`,
    summary.tamper.detected
      ? `  ✔ tampering detected on a copy: entry #${summary.tamper.seq ?? '?'} named as edited`
      : '  ✘ tampering on a copy was not detected',
  ];
  return lines.join('\n');
}
