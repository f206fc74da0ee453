/**
 * `gatehouse passwd hash|add`: development users for `auth.passwordsFile`, made on this machine
 * (no admin API: the server reads the file when it starts).
 */
import { chmod, readFile, rename, writeFile } from 'node:fs/promises';
import type { Command } from 'commander';
import { hashPassword, parsePasswordFile, type PasswordUser } from '../auth/index.js';

/** A failure the user caused and can fix; printed as one line. */
class PasswdError extends Error {}

/** Where the commands read and write; the process's streams unless a test gives others. */
export interface PasswdIo {
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (mode: boolean) => unknown };
  readonly stdout: NodeJS.WritableStream;
  readonly stderr: NodeJS.WritableStream;
}

/**
 * Adds `passwd hash` and `passwd add` to the program. `report` prints failures that are not the
 * user's (program.ts's `reportFailure`).
 *
 * @example
 * registerPasswdCommands(program, reportFailure);
 * // echo 'let-me-in' | gatehouse passwd add --file passwords.json --username dev --tenant acme
 */
export function registerPasswdCommands(program: Command, report: (error: unknown) => void, io: PasswdIo = process): void {
  const run = (action: () => Promise<void>): Promise<void> =>
    action().catch((error: unknown) => {
      if (!(error instanceof PasswdError)) return report(error);
      io.stderr.write(`Error: ${error.message}\n`);
      process.exitCode = 1;
    });
  const passwd = program.command('passwd').description('development users for auth.passwordsFile (username/password login)');

  passwd.command('hash')
    .description('read a password (prompted without echo on a terminal, else the first line of stdin) and print its scrypt hash')
    .action(() => run(async () => {
      const password = await readPassword(io);
      io.stdout.write(`${await hashPassword(password)}\n`);
    }));

  passwd.command('add')
    .description('add a user to a passwords file, or change its password, tenant and thing; the file is created with mode 0600')
    .requiredOption('--file <path>', 'the passwords file (auth.passwordsFile)')
    .requiredOption('--username <name>', 'the MQTT user name')
    .option('--tenant <tenant>', 'tenant the user connects to (default: identity.defaultTenant)')
    .option('--thing <name>', 'thing the user connects as')
    .action((options: { file: string; username: string; tenant?: string; thing?: string }) => run(async () => {
      if (options.username.length === 0 || options.username.includes('?')) throw new PasswdError(`Cannot add user "${options.username}": a user name must be non-empty and have no "?"`);
      for (const key of ['tenant', 'thing'] as const) {
        if (options[key] === '') throw new PasswdError(`Cannot add user "${options.username}": --${key} is empty`);
      }
      const users = await readUsers(options.file);
      const password = await readPassword(io);
      const user: PasswordUser = {
        username: options.username,
        passwordHash: await hashPassword(password),
        ...(options.tenant === undefined ? {} : { tenant: options.tenant }),
        ...(options.thing === undefined ? {} : { thing: options.thing }),
      };
      const at = users.findIndex((existing) => existing.username === user.username);
      if (at >= 0) users[at] = user;
      else users.push(user);
      await writeUsers(options.file, users);
      io.stderr.write(`${at >= 0 ? 'Updated' : 'Added'} user "${user.username}" in ${options.file}; restart Gatehouse to load it\n`);
    }));
}

async function readUsers(file: string): Promise<PasswordUser[]> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw new PasswdError(`Cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parsePasswordFile(text, file);
}

/** Written beside the file and renamed over it, so a crash never leaves half a file; 0600 as it holds hashes. */
async function writeUsers(file: string, users: readonly PasswordUser[]): Promise<void> {
  const temporary = `${file}.${process.pid}.tmp`;
  await writeFile(temporary, `${JSON.stringify(users, null, 2)}\n`, { mode: 0o600 });
  await chmod(temporary, 0o600);
  await rename(temporary, file);
}

async function readPassword(io: PasswdIo): Promise<string> {
  if (io.stdin.isTTY === true && io.stdin.setRawMode !== undefined) {
    const first = await promptHidden(io, 'Password: ');
    if (first.length === 0) throw new PasswdError('Cannot hash the password: it is empty');
    if ((await promptHidden(io, 'Repeat password: ')) !== first) throw new PasswdError('Cannot hash the password: the two entries differ');
    return first;
  }
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk)));
  const password = Buffer.concat(chunks).toString('utf8').split(/\r?\n/)[0] ?? '';
  if (password.length === 0) throw new PasswdError('Cannot hash the password: stdin gave an empty first line');
  return password;
}

/** Reads one line from a terminal in raw mode, echoing nothing. */
function promptHidden(io: PasswdIo, prompt: string): Promise<string> {
  const input = io.stdin;
  io.stderr.write(prompt);
  input.setRawMode?.(true);
  input.setEncoding('utf8');
  input.resume();
  return new Promise((resolve, reject) => {
    let value = '';
    const finish = (): void => {
      input.removeListener('data', onData);
      input.setRawMode?.(false);
      input.pause();
      io.stderr.write('\n');
    };
    function onData(chunk: string | Buffer): void {
      for (const char of String(chunk)) {
        if (char === '\r' || char === '\n' || char === '\u0004') {
          finish();
          resolve(value);
          return;
        }
        if (char === '\u0003') {
          finish();
          reject(new PasswdError('Cancelled'));
          return;
        }
        if (char === '\u007f' || char === '\b') value = Array.from(value).slice(0, -1).join('');
        else value += char;
      }
    }
    input.on('data', onData);
  });
}
