import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import { verifyPassword } from '../auth/index.js';

const bin = fileURLToPath(new URL('../../bin/gatehouse.js', import.meta.url));

/** Runs the real bin with `input` on stdin (a pipe, not a terminal). */
function run(args: readonly string[], input: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(input);
  });
}

describe('gatehouse passwd', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'gatehouse-passwd-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('hash prints an scrypt hash of the first line of stdin', async () => {
    const result = await run(['passwd', 'hash'], 'let-me-in\nignored\n');
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /^\$scrypt\$N=16384,r=8,p=1\$[^$]+\$[^$]+\n$/);
    assert.equal(await verifyPassword('let-me-in', result.stdout.trim()), true);
    const empty = await run(['passwd', 'hash'], '\n');
    assert.equal(empty.code, 1);
    assert.equal(empty.stderr, 'Error: Cannot hash the password: stdin gave an empty first line\n');
  });

  it('add creates the file with mode 0600, then updates the same user in place', async () => {
    const file = join(dir, 'passwords.json');
    const added = await run(['passwd', 'add', '--file', file, '--username', 'dev', '--tenant', 'acme', '--thing', 'bench-1'], 'first\n');
    assert.equal(added.code, 0, added.stderr);
    assert.match(added.stderr, /Added user "dev"/);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
    await run(['passwd', 'add', '--file', file, '--username', 'ops'], 'other\n');
    const updated = await run(['passwd', 'add', '--file', file, '--username', 'dev'], 'second\n');
    assert.match(updated.stderr, /Updated user "dev"/);
    const users = JSON.parse(await readFile(file, 'utf8')) as Array<{ username: string; passwordHash: string; tenant?: string }>;
    assert.deepEqual(users.map((user) => [user.username, user.tenant]), [['dev', undefined], ['ops', undefined]]);
    assert.equal(await verifyPassword('second', users[0]!.passwordHash), true);
    assert.equal((await stat(file)).mode & 0o777, 0o600);
  });

  it('add refuses a broken file, naming it and the entry, and leaves it as it was', async () => {
    const file = join(dir, 'broken.json');
    const text = JSON.stringify([{ username: 'dev', password: 'plain' }]);
    await writeFile(file, text);
    const result = await run(['passwd', 'add', '--file', file, '--username', 'x'], 'pw\n');
    assert.equal(result.code, 1);
    assert.match(result.stderr, /broken\.json: entry 0 \("dev"\) has an unknown key "password"/);
    assert.equal(await readFile(file, 'utf8'), text);
    const bad = await run(['passwd', 'add', '--file', file, '--username', 'a?b'], 'pw\n');
    assert.match(bad.stderr, /a user name must be non-empty and have no "\?"/);
  });

  it('hash prompts on a terminal without echoing the password', { skip: spawnSync('script', ['--version']).status !== 0 && 'needs script(1) for a pseudo-terminal' }, async () => {
    // script(1) gives the bin a pseudo-terminal; what it prints is what a user would see.
    const command = `${JSON.stringify(process.execPath)} ${JSON.stringify(bin)} passwd hash`;
    const child = spawn('script', ['-qec', command, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    let seen = '';
    child.stdout.on('data', (chunk: Buffer) => (seen += chunk.toString()));
    const waitFor = async (text: string): Promise<void> => {
      for (let i = 0; i < 200 && !seen.includes(text); i++) await new Promise((resolve) => setTimeout(resolve, 50));
    };
    await waitFor('Password: ');
    child.stdin.write('sekrit\r');
    await waitFor('Repeat password: ');
    child.stdin.write('sekrit\r');
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    child.stdin.destroy();
    assert.equal(code, 0, seen);
    assert.equal(seen.includes('sekrit'), false, 'the password is not echoed');
    const hash = /\$scrypt\$\S+/.exec(seen)?.[0];
    assert.ok(hash !== undefined, seen);
    assert.equal(await verifyPassword('sekrit', hash), true);
  });
});
