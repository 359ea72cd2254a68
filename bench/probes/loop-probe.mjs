/**
 * Preloaded into a process under test (`node --import ./bench/probes/loop-probe.mjs <entry>`, started by
 * child_process.fork so an IPC channel exists). It changes nothing in the process: it samples the event
 * loop's delay with perf_hooks.monitorEventLoopDelay and the process's CPU time, and answers the bench over
 * IPC (and, on request, V8's heap spaces and the main thread's GC pauses, from a PerformanceObserver).
 * Without an IPC channel it does nothing.
 *
 * While recording, it closes a window every WINDOW_MS: the window's delay histogram (a copy) and the CPU
 * microseconds spent in it, stamped with Date.now(), so the bench can aggregate any interval it learns of
 * afterwards (e.g. a poll cycle whose bounds the COS emulator's request log gives).
 */
import diagnostics_channel from 'node:diagnostics_channel';
import { createHistogram, monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import v8 from 'node:v8';

const WINDOW_MS = 100;
/** Bounds memory: 20 minutes of windows. */
const MAX_WINDOWS = 12_000;
/** The histogram's resolution: delay is measured by a timer of this period. */
const RESOLUTION_MS = 10;

if (typeof process.send === 'function') {
  const delay = monitorEventLoopDelay({ resolution: RESOLUTION_MS });
  delay.enable();
  // Time the main thread spent in GC pauses, and how many, since the probe started.
  const gc = { ms: 0, count: 0 };
  // The same, for the window being recorded: pauses, and how many were full (mark-compact) collections.
  const windowGc = { ms: 0, major: 0 };
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      gc.ms += entry.duration;
      gc.count += 1;
      windowGc.ms += entry.duration;
      // @ts-expect-error: detail.kind is NODE_PERFORMANCE_GC_MAJOR (4) for a mark-compact collection.
      if (entry.detail?.kind === 4) windowGc.major += 1;
    }
  }).observe({ entryTypes: ['gc'] });
  // The watcher's polls, as it publishes them (src/approvals/watcher.ts, POLL_CHANNEL): their own bounds.
  /** @type {{ startedAt: number; endedAt: number; leader: boolean; tracked: number }[]} */
  let polls = [];
  diagnostics_channel.subscribe('cosjob:poll', (poll) => {
    polls.push(poll);
    if (polls.length > MAX_WINDOWS) polls = polls.slice(-MAX_WINDOWS);
  });
  /** @type {{ start: number; end: number; steps: [number, number][]; cpuUs: number; gcMs: number; gcMajor: number }[]} */
  let windows = [];
  let timer;
  let windowStart = Date.now();
  let cpuAtStart = process.cpuUsage();

  const closeWindow = () => {
    const now = Date.now();
    // Node 20 cannot add() an event-loop-delay histogram to another, so each window keeps its distribution
    // as (value, samples) steps read from its percentiles; merging replays them (a window holds about ten
    // samples at a 10 ms resolution, so this is exact up to the histogram's own bucketing).
    const steps = [];
    let taken = 0;
    for (const [q, value] of [...delay.percentiles].sort((a, b) => a[0] - b[0])) {
      const upTo = Math.round((delay.count * q) / 100);
      if (upTo > taken) {
        steps.push([value, upTo - taken]);
        taken = upTo;
      }
    }
    delay.reset();
    const cpu = process.cpuUsage(cpuAtStart);
    cpuAtStart = process.cpuUsage();
    windows.push({
      start: windowStart,
      end: now,
      steps,
      cpuUs: cpu.user + cpu.system,
      gcMs: windowGc.ms,
      gcMajor: windowGc.major,
    });
    windowGc.ms = 0;
    windowGc.major = 0;
    if (windows.length > MAX_WINDOWS) windows = windows.slice(-MAX_WINDOWS);
    windowStart = now;
  };

  const summary = (from, to) => {
    const merged = createHistogram();
    let cpuUs = 0;
    let covered = 0;
    let gcMs = 0;
    let gcMajor = 0;
    for (const w of windows) {
      if (w.end <= from || w.start >= to) continue;
      for (const [value, n] of w.steps)
        for (let i = 0; i < n; i++) merged.record(Math.max(1, Math.round(value)));
      // CPU of a window partly inside the interval counts in proportion to the overlap.
      const overlap = Math.min(w.end, to) - Math.max(w.start, from);
      const share = w.end > w.start ? overlap / (w.end - w.start) : 1;
      cpuUs += w.cpuUs * share;
      covered += overlap;
      // Pauses are not split: a window partly inside counts whole (these are for explaining, not targets).
      gcMs += w.gcMs;
      gcMajor += w.gcMajor;
    }
    const ms = (ns) => ns / 1e6;
    return {
      from,
      to,
      coveredMs: covered,
      cpuMs: cpuUs / 1000,
      gcPauseMs: gcMs,
      gcMajor,
      delaySamples: merged.count,
      // monitorEventLoopDelay reports the timer's lateness plus its own period; the period is subtracted
      // so that an idle loop reads about 0 ms of lag.
      lagP50Ms: merged.count === 0 ? 0 : Math.max(0, ms(merged.percentile(50)) - RESOLUTION_MS),
      lagP99Ms: merged.count === 0 ? 0 : Math.max(0, ms(merged.percentile(99)) - RESOLUTION_MS),
      lagMaxMs: merged.count === 0 ? 0 : Math.max(0, ms(merged.max) - RESOLUTION_MS),
    };
  };

  process.on('message', (message) => {
    if (typeof message !== 'object' || message === null || message.probe !== true) return;
    const reply = (body) => process.send?.({ probe: true, id: message.id, ...body });
    switch (message.op) {
      case 'record':
        if (timer === undefined) {
          delay.reset();
          windowStart = Date.now();
          cpuAtStart = process.cpuUsage();
          timer = setInterval(closeWindow, WINDOW_MS);
          timer.unref();
        }
        reply({ ok: true, now: Date.now() });
        break;
      case 'stop':
        if (timer !== undefined) {
          clearInterval(timer);
          timer = undefined;
          closeWindow();
        }
        reply({ ok: true, now: Date.now() });
        break;
      case 'summary':
        if (timer !== undefined) closeWindow();
        reply({ ok: true, summary: summary(message.from ?? 0, message.to ?? Date.now()) });
        break;
      case 'lag':
        // The delay timer is the probe's own cost: ~8 ms of CPU per second at a 10 ms resolution on the
        // 2-core bench machine (each wake-up of an idle loop is dear there). Off, a window's CPU is the
        // process's alone; its lag figures then read 0 (no samples).
        if (message.on === false) delay.disable();
        else delay.enable();
        reply({ ok: true });
        break;
      case 'polls':
        reply({ ok: true, polls });
        break;
      case 'clear':
        windows = [];
        reply({ ok: true });
        break;
      case 'usage': {
        const cpu = process.cpuUsage();
        const memory = process.memoryUsage();
        reply({
          ok: true,
          cpuMs: (cpu.user + cpu.system) / 1000,
          rss: memory.rss,
          heapUsed: memory.heapUsed,
          heapTotal: memory.heapTotal,
          external: memory.external,
        });
        break;
      }
      case 'heap':
        // V8's spaces (new, old, code, large objects…): which one the heap's size is in.
        reply({
          ok: true,
          gcMs: gc.ms,
          gcCount: gc.count,
          spaces: v8.getHeapSpaceStatistics().map((space) => ({
            name: space.space_name,
            size: space.space_size,
            used: space.space_used_size,
          })),
        });
        break;
      default:
        reply({ ok: false, error: `unknown probe op ${String(message.op)}` });
    }
  });
  // The channel must not keep the process alive, nor change how it exits.
  process.channel?.unref();
}
