/**
 * This node's id: a random id kept in `<home>/node-id`, made on the first start, so the node knows
 * its own rows in shared tables again after a restart (connectivity marks what a crash left connected).
 */
import { randomUUID } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GatehouseError } from '../core/index.js';

const NODE_ID = /^[A-Za-z0-9_.:-]{1,128}$/;

/**
 * Reads `<home>/node-id`, or writes a new one when there is none. An operator may put any id of
 * letters, digits and `_.:-` there (e.g. the host name) before the first start.
 *
 * @example
 * const nodeId = await readNodeId('/var/lib/gatehouse'); // '5b0c…'
 */
export async function readNodeId(home: string): Promise<string> {
  const file = join(home, 'node-id');
  let text: string | undefined;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (text !== undefined) {
    const id = text.trim();
    if (!NODE_ID.test(id)) throw new GatehouseError('CONFIG_INVALID', { reason: `${file} must hold one id of 1-128 letters, digits and _.:- characters` });
    return id;
  }
  const id = randomUUID();
  try {
    // 'wx': a second process starting on the same home at the same moment keeps the first one's id.
    await writeFile(file, `${id}\n`, { flag: 'wx', mode: 0o644 });
    return id;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readNodeId(home);
    throw error;
  }
}
