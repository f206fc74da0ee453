/** Reading a file a command option names (a PEM), with an error that says which option and why. */
import { readFile } from 'node:fs/promises';
import { CliError } from './admin-client.js';

/**
 * The file's text; a missing or unreadable file is a CliError naming the option.
 *
 * @example
 * const pem = await readInputFile('--ca-cert', String(options['caCert']));
 */
export async function readInputFile(option: string, path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as { code?: string }).code;
    throw new CliError(`Cannot read ${option} ${path}: ${code === 'ENOENT' ? 'no such file' : code ?? String(error)}`);
  }
}
