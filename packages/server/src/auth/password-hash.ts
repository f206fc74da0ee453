/**
 * scrypt password hashes in a PHC-like string, for development username/password authentication:
 * `$scrypt$N=16384,r=8,p=1$<salt base64>$<hash base64>`.
 */
import { randomBytes, scrypt, timingSafeEqual } from 'node:crypto';
import type { ScryptOptions } from 'node:crypto';
import { GatehouseError } from '../core/index.js';

const defaultCost = { N: 16384, r: 8, p: 1 } as const;
const saltBytes = 16;
const hashBytes = 32;
// Bounds on parameters read from a stored hash, so a bad configuration cannot make each CONNECT
// allocate gigabytes or spin for minutes.
const maxN = 1 << 20;
const maxR = 32;
const maxP = 16;

function scryptAsync(password: string, salt: Buffer, length: number, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password, salt, length, options, (error, key) => (error ? reject(error) : resolve(key)));
  });
}

function maxmem(N: number, r: number): number {
  // scrypt needs about 128 * N * r bytes; Node refuses above `maxmem` (32 MiB by default).
  return 128 * N * r * 2 + 1024 * 1024;
}

/**
 * Hashes a password with scrypt and a random salt.
 *
 * @example
 * const stored = await hashPassword('correct horse');
 * // '$scrypt$N=16384,r=8,p=1$…$…'
 */
export async function hashPassword(password: string, cost: { N?: number; r?: number; p?: number } = {}): Promise<string> {
  const N = cost.N ?? defaultCost.N;
  const r = cost.r ?? defaultCost.r;
  const p = cost.p ?? defaultCost.p;
  checkCost(N, r, p);
  const salt = randomBytes(saltBytes);
  const hash = await scryptAsync(password, salt, hashBytes, { N, r, p, maxmem: maxmem(N, r) });
  return `$scrypt$N=${N},r=${r},p=${p}$${salt.toString('base64')}$${hash.toString('base64')}`;
}

/**
 * Checks a password against a stored hash in constant time. A malformed stored hash is a
 * configuration error (`CONFIG_INVALID`), not a failed login.
 *
 * @example
 * if (!(await verifyPassword(given, stored))) refuse('bad username or password');
 */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parsed = parsePasswordHash(stored);
  const actual = await scryptAsync(password, parsed.salt, parsed.hash.length, {
    N: parsed.N, r: parsed.r, p: parsed.p, maxmem: maxmem(parsed.N, parsed.r),
  });
  return timingSafeEqual(actual, parsed.hash);
}

/**
 * Checks that a stored hash is well formed and within the cost bounds, without hashing anything;
 * throws `CONFIG_INVALID` (whose message never contains the hash) when it is not.
 *
 * @example
 * for (const user of users) checkPasswordHash(user.passwordHash);
 */
export function checkPasswordHash(stored: string): void {
  parsePasswordHash(stored);
}

interface ParsedHash {
  readonly N: number;
  readonly r: number;
  readonly p: number;
  readonly salt: Buffer;
  readonly hash: Buffer;
}

const hashPattern = /^\$scrypt\$N=(\d+),r=(\d+),p=(\d+)\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/;

function parsePasswordHash(stored: string): ParsedHash {
  const match = hashPattern.exec(stored);
  if (!match) throw new GatehouseError('CONFIG_INVALID', { reason: 'password hash is not in the $scrypt$N=..,r=..,p=..$salt$hash format' });
  const [, n, r, p, salt, hash] = match as unknown as [string, string, string, string, string, string];
  const parsed = { N: Number(n), r: Number(r), p: Number(p), salt: Buffer.from(salt, 'base64'), hash: Buffer.from(hash, 'base64') };
  checkCost(parsed.N, parsed.r, parsed.p);
  if (parsed.salt.length < 8 || parsed.hash.length < 16) {
    throw new GatehouseError('CONFIG_INVALID', { reason: 'password hash has a salt under 8 bytes or a hash under 16 bytes' });
  }
  return parsed;
}

function checkCost(N: number, r: number, p: number): void {
  const powerOfTwo = N > 1 && (N & (N - 1)) === 0;
  if (!powerOfTwo || N > maxN || r < 1 || r > maxR || p < 1 || p > maxP) {
    throw new GatehouseError('CONFIG_INVALID', {
      reason: `scrypt cost N=${N},r=${r},p=${p} is outside N a power of two up to ${maxN}, r 1..${maxR}, p 1..${maxP}`,
    });
  }
}
