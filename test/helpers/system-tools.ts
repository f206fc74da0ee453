/** Debian tools some black-box tests drive (openssl, curl, mosquitto clients): present or not. */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';

const run = promisify(execFile);

/**
 * The tools of `tools` that are not on the PATH.
 *
 * @example
 * const missing = await missingTools(['openssl', 'mosquitto_pub']);
 * describe('...', { skip: missing.length > 0 ? `needs ${missing.join(', ')}` : false }, () => {});
 */
export async function missingTools(tools: readonly string[]): Promise<string[]> {
  const found = await Promise.all(tools.map(async (tool) => {
    try {
      await run('sh', ['-c', `command -v ${tool}`]);
      return undefined;
    } catch {
      return tool;
    }
  }));
  return found.filter((tool): tool is string => tool !== undefined);
}
