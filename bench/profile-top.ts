/** Reads a V8 `.cpuprofile` (from `node --cpu-prof`) and lists the functions with the most self time. */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly hitCount?: number;
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples?: readonly number[];
}

export interface SelfTime {
  readonly name: string;
  readonly location: string;
  readonly percent: number;
}

/** The top `count` functions by self time; idle, GC and program show under their V8 names. */
export function topSelfTime(path: string, count = 15, root = process.cwd()): SelfTime[] {
  const profile = JSON.parse(readFileSync(path, 'utf8')) as CpuProfile;
  const totals = new Map<string, { name: string; location: string; hits: number }>();
  let all = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    if (hits === 0) continue;
    all += hits;
    const frame = node.callFrame;
    const url = frame.url.startsWith('file://') ? relative(root, new URL(frame.url).pathname) : frame.url;
    const location = url === '' ? '' : `${url}:${String(frame.lineNumber + 1)}`;
    const key = `${frame.functionName}@${location}`;
    const entry = totals.get(key) ?? { name: frame.functionName || '(anonymous)', location, hits: 0 };
    entry.hits += hits;
    totals.set(key, entry);
  }
  const idle = [...totals.values()].filter((entry) => entry.name === '(idle)').reduce((sum, entry) => sum + entry.hits, 0);
  const busy = Math.max(1, all - idle);
  return [...totals.values()]
    .filter((entry) => entry.name !== '(idle)')
    .sort((a, b) => b.hits - a.hits)
    .slice(0, count)
    .map((entry) => ({ name: entry.name, location: entry.location, percent: (entry.hits / busy) * 100 }));
}
