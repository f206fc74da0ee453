/** CPU time and memory of a process from /proc: what each broker spends, measured from outside it. */
import { readFileSync } from 'node:fs';
import { execFileSync } from 'node:child_process';

let clockTicks: number | undefined;

/** Clock ticks per second (`getconf CLK_TCK`, 100 on Linux). */
export function clockTicksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/** User plus system CPU seconds the process (all its threads) has used so far. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${String(pid)}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses; count fields after the last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const utime = Number(fields[11]);
  const stime = Number(fields[12]);
  return (utime + stime) / clockTicksPerSecond();
}

/** `VmRSS` and `VmHWM` (peak) in bytes. */
export function memory(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${String(pid)}/status`, 'utf8');
  const field = (name: string): number => {
    const match = new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status);
    return match === null ? 0 : Number(match[1]) * 1024;
  };
  return { rss: field('VmRSS'), peak: field('VmHWM') };
}

/** Samples VmRSS every `intervalMs` and keeps the maximum, for peaks inside one scenario of a long-lived process. */
export class RssSampler {
  peak = 0;
  readonly #timer: NodeJS.Timeout;

  constructor(pid: number, intervalMs = 100) {
    const sample = (): void => {
      try {
        this.peak = Math.max(this.peak, memory(pid).rss);
      } catch {
        // The process is gone; keep what was seen.
      }
    };
    sample();
    this.#timer = setInterval(sample, intervalMs);
  }

  stop(): number {
    clearInterval(this.#timer);
    return this.peak;
  }
}
