/** Test support for the CLI tests: run `gatehouse` (the admin commands) as a real child process against an admin API. Not used at run time. */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const fixture = fileURLToPath(new URL('./admin-cli-fixture.ts', import.meta.url));

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * A function that runs the CLI with `--url` and `--key` of the API `target()` names, without the
 * GATEHOUSE_* variables of the outer environment; it resolves with the exit code and the output.
 *
 * @example
 * const gatehouse = cliRunner(() => harness);
 * const { code, stdout } = await gatehouse('tenants', 'list');
 */
export function cliRunner(target: () => { readonly apiUrl: string; readonly adminKey: string }): (...args: string[]) => Promise<CliRun> {
  return (...args) => {
    const { apiUrl, adminKey } = target();
    const env = Object.fromEntries(Object.entries(process.env).filter(([name]) => !name.startsWith('GATEHOUSE_')));
    return new Promise((resolve) => {
      execFile(process.execPath, ['--import', 'tsx', fixture, ...args, '--url', apiUrl, '--key', adminKey], { env, timeout: 20_000 }, (error, stdout, stderr) => {
        resolve({ code: error === null ? 0 : typeof error.code === 'number' ? error.code : 1, stdout, stderr });
      });
    });
  };
}
