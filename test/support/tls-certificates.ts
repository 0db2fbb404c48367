import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** PEM files of a test CA and of a server certificate it signed for 127.0.0.1 and localhost. */
export interface TestCertificates {
  readonly folder: string;
  readonly caFile: string;
  readonly certFile: string;
  readonly keyFile: string;
  /** The CA certificate's PEM, as `tls: { ca }` takes it. */
  readonly ca: Buffer;
  /** Removes the folder with every file. */
  remove(): void;
}

/** Makes a test CA and a server certificate (with `openssl`) in a new temporary folder. Remove it in afterAll. */
export function makeTestCertificates(): TestCertificates {
  const folder = mkdtempSync(path.join(os.tmpdir(), 'opensms-tls-'));
  const file = (name: string) => path.join(folder, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { stdio: 'pipe' });
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    file('ca.key'),
    '-out',
    file('ca.crt'),
    '-days',
    '2',
    '-subj',
    '/CN=OpenSMS test CA',
  );
  openssl('req', '-newkey', 'rsa:2048', '-nodes', '-keyout', file('server.key'), '-out', file('server.csr'), '-subj', '/CN=localhost');
  writeFileSync(file('server.ext'), 'subjectAltName=IP:127.0.0.1,DNS:localhost\n');
  openssl(
    'x509',
    '-req',
    '-in',
    file('server.csr'),
    '-CA',
    file('ca.crt'),
    '-CAkey',
    file('ca.key'),
    '-CAcreateserial',
    '-out',
    file('server.crt'),
    '-days',
    '2',
    '-extfile',
    file('server.ext'),
  );
  return {
    folder,
    caFile: file('ca.crt'),
    certFile: file('server.crt'),
    keyFile: file('server.key'),
    ca: readFileSync(file('ca.crt')),
    remove: () => rmSync(folder, { recursive: true, force: true }),
  };
}
