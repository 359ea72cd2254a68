/**
 * `npx tsx bench/profile-summary.ts <file.cpuprofile> [top] [lastSeconds]`: where a V8 CPU profile (node
 * --cpu-prof) spent its time: the top functions by self time, and self time per file (src/ files by name,
 * libraries by package), each with its share of the profile's non-idle samples. With lastSeconds, only
 * the samples of the profile's last that many seconds (e.g. the discovery run's steady cycles).
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const IDLE = new Set(['(idle)', '(program)', '(garbage collector)']);

function where(url: string): string {
  if (url === '') return '(native)';
  const packageMatch = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (packageMatch) return `pkg:${packageMatch[1]}`;
  const srcMatch = /\/dist\/(src\/.+)\.js$/.exec(url) ?? /\/(src\/.+)\.[jt]s$/.exec(url);
  if (srcMatch) return srcMatch[1] as string;
  if (url.startsWith('node:')) return url;
  return url.replace(/^file:\/\//, '');
}

export function summarise(profile: CpuProfile, top = 15): string {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });
  let busy = 0;
  let gc = 0;
  const perFunction = new Map<string, number>();
  const perFile = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node) continue;
    const name = node.callFrame.functionName || '(anonymous)';
    if (name === '(garbage collector)') gc += us;
    if (IDLE.has(name) && name !== '(garbage collector)') continue;
    busy += us;
    const file = where(node.callFrame.url);
    const fn = `${name} (${file}:${node.callFrame.lineNumber + 1})`;
    perFunction.set(fn, (perFunction.get(fn) ?? 0) + us);
    perFile.set(file, (perFile.get(file) ?? 0) + us);
  }
  const lines = [`busy ${(busy / 1000).toFixed(0)} ms of CPU samples (GC ${(gc / 1000).toFixed(0)} ms)`];
  const table = (title: string, entries: Map<string, number>) => {
    lines.push(title);
    for (const [key, us] of [...entries].sort((a, b) => b[1] - a[1]).slice(0, top)) {
      lines.push(
        `  ${((100 * us) / busy).toFixed(1).padStart(5)} %  ${(us / 1000).toFixed(0).padStart(6)} ms  ${key}`,
      );
    }
  };
  table('top functions by self time:', perFunction);
  table('self time per file or package:', perFile);

  // Native and node-internal self time, charged to the nearest caller in src/ or a package: where a
  // write or a parse comes from.
  const parent = new Map<number, number>();
  for (const n of profile.nodes) for (const child of n.children ?? []) parent.set(child, n.id);
  const charged = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node || IDLE.has(node.callFrame.functionName)) continue;
    const file = where(node.callFrame.url);
    if (file.startsWith('src/') || file.startsWith('pkg:')) continue;
    let up = parent.get(id);
    let owner = '(no caller in src/ or a package)';
    while (up !== undefined) {
      const frame = byId.get(up)?.callFrame;
      const upFile = frame ? where(frame.url) : '';
      if (frame && (upFile.startsWith('src/') || upFile.startsWith('pkg:'))) {
        owner = `${frame.functionName || '(anonymous)'} (${upFile}:${frame.lineNumber + 1}) ← ${node.callFrame.functionName || '(anonymous)'}`;
        break;
      }
      up = parent.get(up);
    }
    charged.set(owner, (charged.get(owner) ?? 0) + us);
  }
  table('native/node self time by nearest src/ or package caller:', charged);

  // Every busy sample charged to the innermost src/ function on its stack: which product code the time
  // is spent for, libraries and natives included.
  const bySrc = new Map<string, number>();
  for (const [id, us] of selfUs) {
    const node = byId.get(id);
    if (!node || IDLE.has(node.callFrame.functionName)) continue;
    let up: number | undefined = id;
    let owner = '(not under a src/ function: event-loop callbacks, module loading)';
    while (up !== undefined) {
      const frame = byId.get(up)?.callFrame;
      if (frame && where(frame.url).startsWith('src/')) {
        owner = `${frame.functionName || '(anonymous)'} (${where(frame.url)}:${frame.lineNumber + 1})`;
        break;
      }
      up = parent.get(up);
    }
    bySrc.set(owner, (bySrc.get(owner) ?? 0) + us);
  }
  table('all busy time by innermost src/ function on the stack:', bySrc);
  return lines.join('\n');
}

/** The profile with only the samples taken in its last `seconds`. */
export function lastSeconds(profile: CpuProfile, seconds: number): CpuProfile {
  const total = profile.timeDeltas.reduce((sum, d) => sum + d, 0);
  const from = total - seconds * 1_000_000;
  const samples: number[] = [];
  const timeDeltas: number[] = [];
  let at = 0;
  profile.samples.forEach((id, i) => {
    at += profile.timeDeltas[i] ?? 0;
    if (at < from) return;
    samples.push(id);
    timeDeltas.push(profile.timeDeltas[i] ?? 0);
  });
  return { nodes: profile.nodes, samples, timeDeltas };
}

if (process.argv[1]?.endsWith('profile-summary.ts')) {
  const [file, top, last] = process.argv.slice(2);
  if (!file) {
    process.stderr.write('usage: npx tsx bench/profile-summary.ts <file.cpuprofile> [top]\n');
    process.exit(2);
  }
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const window = last === undefined ? profile : lastSeconds(profile, Number(last));
  process.stdout.write(`${summarise(window, Number(top ?? 15))}\n`);
}
