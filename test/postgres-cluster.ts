import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Postgres clusters of a test's own (initdb + pg_ctl from the machine's Postgres packages), on their own
 * port and data folder, so a test can stop, start and replicate them without touching the shared server.
 */

function binDir(): string | undefined {
  if (process.env.PG_BIN_DIR) return process.env.PG_BIN_DIR;
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const newest = readdirSync(root)
    .filter((version) => existsSync(join(root, version, 'bin', 'initdb')))
    .sort((a, b) => Number(b) - Number(a))[0];
  return newest ? join(root, newest, 'bin') : undefined;
}

export const postgresBinDir = binDir();

// Postgres refuses to run as root: as root, its tools run as the postgres user.
const asRoot = process.getuid?.() === 0;

function run(tool: string, args: string[]) {
  const path = join(postgresBinDir as string, tool);
  const [command, commandArgs] = asRoot ? ['runuser', ['-u', 'postgres', '--', path, ...args]] : [path, args];
  return execFileSync(command, commandArgs, { stdio: 'pipe', cwd: tmpdir() }).toString();
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Cluster {
  port: number;
  dataDir: string;
  url(database?: string): string;
  start(): void;
  /** `fast` disconnects clients and shuts down cleanly; `immediate` is a crash. */
  stop(mode?: 'fast' | 'immediate'): void;
  destroy(): void;
}

function clusterAt(dataDir: string, port: number, folder: string): Cluster {
  const options = `-p ${port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=''`;
  const cluster: Cluster = {
    port,
    dataDir,
    url: (database = 'postgres') => `postgres://postgres@127.0.0.1:${port}/${database}`,
    start: () => {
      run('pg_ctl', [
        'start',
        '-w',
        '-t',
        '30',
        '-D',
        dataDir,
        '-l',
        join(folder, 'postgres.log'),
        '-o',
        options,
      ]);
    },
    stop: (mode = 'fast') => {
      run('pg_ctl', ['stop', '-w', '-m', mode, '-D', dataDir]);
    },
    destroy: () => {
      try {
        cluster.stop('immediate');
      } catch {
        // already stopped
      }
      rmSync(folder, { recursive: true, force: true });
    },
  };
  return cluster;
}

function newFolder(name: string) {
  const folder = mkdtempSync(join(tmpdir(), `newsdesk-${name}-`));
  if (asRoot) execFileSync('chown', ['postgres:postgres', folder]);
  return folder;
}

export async function startCluster(): Promise<Cluster> {
  const folder = newFolder('pg');
  const dataDir = join(folder, 'data');
  run('initdb', ['-D', dataDir, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--locale=C.UTF-8']);
  const cluster = clusterAt(dataDir, await freePort(), folder);
  cluster.start();
  return cluster;
}

/** A streaming replica of `primary`, cloned with pg_basebackup and started on its own port. */
export async function startReplica(primary: Cluster): Promise<Cluster> {
  const folder = newFolder('replica');
  const dataDir = join(folder, 'data');
  run('pg_basebackup', [
    '-h',
    '127.0.0.1',
    '-p',
    String(primary.port),
    '-U',
    'postgres',
    '-D',
    dataDir,
    '-R', // writes standby.signal and primary_conninfo: the copy starts as a streaming replica
    '-X',
    'stream',
  ]);
  const replica = clusterAt(dataDir, await freePort(), folder);
  replica.start();
  return replica;
}
