import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { createServer, connect, type TLSSocket } from 'node:tls';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { ensureLocalPki, issueClientCertificate } from './index.js';

describe('ensureLocalPki', () => {
  let dir: string;
  before(async () => {
    dir = join(await mkdtemp(join(tmpdir(), 'gatehouse-pki-')), 'pki');
  });
  after(async () => rm(join(dir, '..'), { recursive: true, force: true }));

  it('creates a CA and a server certificate that verifies against it, with the local names', async () => {
    const pki = await ensureLocalPki({ dir, hostnames: ['mqtt.example.test', '10.1.2.3'] });
    assert.equal(pki.createdCa, true);
    assert.equal(pki.createdServerCert, true);
    const ca = new X509Certificate(await readFile(pki.ca));
    const server = new X509Certificate(await readFile(pki.cert));
    assert.equal(ca.ca, true);
    assert.equal(server.ca, false);
    assert.equal(server.verify(ca.publicKey), true);
    assert.equal(server.checkIssued(ca), true);
    for (const name of ['localhost', hostname(), 'mqtt.example.test']) assert.equal(server.checkHost(name), name);
    for (const ip of ['127.0.0.1', '::1', '10.1.2.3']) assert.ok(server.checkIP(ip), `SAN ${ip}`);
    assert.match(server.keyUsage?.join(',') ?? '', /1\.3\.6\.1\.5\.5\.7\.3\.1/, 'serverAuth EKU');
    assert.ok(new Date(ca.validTo).getTime() > Date.now() + 9 * 365 * 24 * 3600 * 1000, 'CA valid ~10 years');
    assert.equal((await stat(dir)).mode & 0o777, 0o700);
    assert.equal((await stat(pki.key)).mode & 0o777, 0o600);
    assert.equal((await stat(pki.caKey)).mode & 0o777, 0o600);
  });

  it('keeps existing files on the next run', async () => {
    const before = await readFile(join(dir, 'server.pem'), 'utf8');
    const pki = await ensureLocalPki({ dir, hostnames: ['mqtt.example.test', '10.1.2.3'] });
    assert.equal(pki.createdCa, false);
    assert.equal(pki.createdServerCert, false);
    assert.equal(await readFile(pki.cert, 'utf8'), before);
  });

  it('reissues the server certificate from the same CA when a hostname is added', async () => {
    const caBefore = await readFile(join(dir, 'ca.pem'), 'utf8');
    const pki = await ensureLocalPki({ dir, hostnames: ['other.example.test'] });
    assert.equal(pki.createdCa, false);
    assert.equal(pki.createdServerCert, true);
    assert.equal(await readFile(pki.ca, 'utf8'), caBefore);
    const server = new X509Certificate(await readFile(pki.cert));
    assert.equal(server.checkHost('other.example.test'), 'other.example.test');
    assert.equal(server.verify(new X509Certificate(caBefore).publicKey), true);
  });

  it('serves a real TLS handshake that a client trusting ca.pem accepts for localhost, with mTLS', async () => {
    const pki = await ensureLocalPki({ dir });
    const [caPem, caKeyPem, cert, key] = await Promise.all([pki.ca, pki.caKey, pki.cert, pki.key].map((p) => readFile(p, 'utf8')));
    const client = await issueClientCertificate({ caCertPem: caPem!, caKeyPem: caKeyPem!, commonName: 'agent-7', days: 1 });
    const server = createServer({ cert: cert!, key: key!, ca: caPem!, requestCert: true, rejectUnauthorized: true }, (socket) => {
      const peer = socket.getPeerCertificate();
      socket.end(`hello ${peer.subject.CN}`);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      const socket: TLSSocket = connect({ host: '127.0.0.1', servername: 'localhost', port, ca: caPem!, cert: client.certPem, key: client.keyPem });
      let received = '';
      socket.setEncoding('utf8');
      socket.on('data', (d: string) => (received += d));
      await new Promise<void>((resolve, reject) => {
        socket.on('end', resolve);
        socket.on('error', reject);
      });
      assert.equal(socket.authorized, true);
      assert.equal(received, 'hello agent-7');
      socket.destroy();
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it('issues client certificates that verify against the CA and are for clientAuth', async () => {
    const [caPem, caKeyPem] = await Promise.all([readFile(join(dir, 'ca.pem'), 'utf8'), readFile(join(dir, 'ca.key'), 'utf8')]);
    const issued = await issueClientCertificate({ caCertPem: caPem, caKeyPem, commonName: 'thing-1', days: 2 });
    const cert = new X509Certificate(issued.certPem);
    assert.equal(cert.verify(new X509Certificate(caPem).publicKey), true);
    assert.match(cert.subject, /CN=thing-1/);
    assert.ok(cert.keyUsage?.includes('1.3.6.1.5.5.7.3.2'), 'clientAuth EKU');
    assert.match(issued.keyPem, /BEGIN PRIVATE KEY/);
  });
});
