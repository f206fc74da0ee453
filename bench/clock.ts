/**
 * The one clock every bench process uses: wall-clock milliseconds with sub-millisecond resolution
 * (performance.timeOrigin + performance.now()), comparable across processes, unlike hrtime.
 */
import { performance } from 'node:perf_hooks';

export const now = (): number => performance.timeOrigin + performance.now();

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));
