// What the collector (queue-sweep.ts) and the workers (queue-worker.ts) of a distributed sweep share: the Redis
// connection (URL, password, TLS, bounded timeouts, redaction), the queue's name, its owner record and the job data.
import { createHash } from 'node:crypto';
import { isIP } from 'node:net';
import { Queue, type RedisOptions } from 'bullmq';
import type { RunTask, SweepSpec } from './spec.ts';
import { canonicalJson } from './spec.ts';
import { packageVersion } from './version.ts';

/** A distributed-sweep problem for the user (Redis unreachable, wrong password, queue taken...): one line, exit 1. */
export class QueueError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'QueueError';
  }
}

/** A Redis server to use: ioredis options for BullMQ, and the URL as it may be shown (no password). */
export interface RedisTarget {
  options: RedisOptions;
  /** The URL with any password replaced by `***` (the only form that is ever printed). */
  shown: string;
}

/** The environment variable that holds the Redis password when the URL has none. */
export const REDIS_PASSWORD_ENV = 'MCOMPLETE_REDIS_PASSWORD';

/** How long one connection attempt may take (ms). */
export const CONNECT_TIMEOUT_MS = 4000;

/**
 * Parse `redis://[user[:password]@]host[:port][/db]` or `rediss://...` (TLS). The password comes from the URL or,
 * when it has none, from MCOMPLETE_REDIS_PASSWORD. Throws QueueError (naming the redacted URL) on a malformed one.
 */
export function redisTarget(url: string, env: NodeJS.ProcessEnv = process.env): RedisTarget {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new QueueError(`--queue: not a URL: ${redactUrl(url)} (expected redis://host:port[/db] or rediss://...)`);
  }
  const shown = redactUrl(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') {
    throw new QueueError(`--queue: expected a redis:// or rediss:// URL, got ${shown}`);
  }
  if (u.hostname === '') throw new QueueError(`--queue: no host in ${shown}`);
  const dbText = u.pathname.replace(/^\//, '');
  const db = dbText === '' ? 0 : Number(dbText);
  if (!Number.isInteger(db) || db < 0 || db > 15)
    throw new QueueError(`--queue: the database in ${shown} must be an integer in 0..15, got "${dbText}"`);
  const password = u.password !== '' ? decodeURIComponent(u.password) : env[REDIS_PASSWORD_ENV] || undefined;
  const host = u.hostname.replace(/^\[(.*)\]$/, '$1');
  const options: RedisOptions = {
    host,
    port: u.port === '' ? 6379 : Number(u.port),
    db,
    username: u.username !== '' ? decodeURIComponent(u.username) : undefined,
    password,
    tls: u.protocol === 'rediss:' ? (isIP(host) ? {} : { servername: host }) : undefined,
    connectTimeout: CONNECT_TIMEOUT_MS,
    // Reconnect after a lost connection for about half a minute, then give up (ioredis retries for ever by default).
    retryStrategy: (times: number) => (times > 12 ? null : Math.min(500 * times, 3000)),
  };
  return { options, shown };
}

/** `url` with the password (if any) replaced by `***`, for messages; never throws. */
export function redactUrl(url: string): string {
  return url.replace(/^([a-z][a-z0-9+.-]*:\/\/)([^@/]*)@/i, (_m, scheme: string, auth: string) => {
    const colon = auth.indexOf(':');
    return `${scheme}${colon === -1 ? auth : `${auth.slice(0, colon)}:***`}@`;
  });
}

/** The default of --queue-name. */
export const DEFAULT_QUEUE_NAME = 'default';

/** Throws QueueError unless `name` is a valid --queue-name (letters, digits, `_`, `-`; at most 64). */
export function checkQueueName(name: string): string {
  if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) {
    throw new QueueError(`--queue-name: expected 1 to 64 letters, digits, "_" or "-", got ${JSON.stringify(name)}`);
  }
  return name;
}

/** The BullMQ queue behind --queue-name `name`. */
export function bullQueueName(name: string): string {
  return `mcomplete-${checkQueueName(name)}`;
}

/** What a job carries: the run, and the version and sweep of the collector that enqueued it. */
export interface QueueJobData {
  task: RunTask;
  /** The mcomplete version of the collector; a worker of another version refuses the job. */
  version: string;
  sweep: string;
  /** sweepIdentity of the sweep the run belongs to. */
  identity: string;
}

/** Who owns a queue: written by the collector (a Redis hash beside the queue's own keys). */
export interface QueueOwner {
  identity: string;
  sweep: string;
  version: string;
}

/** The identity of a sweep on a queue: a hash of the mcomplete version and the canonical spec. */
export function sweepIdentity(spec: SweepSpec, version: string): string {
  return createHash('sha256').update(canonicalJson({ version, spec })).digest('hex').slice(0, 16);
}

/** The BullMQ job id of a run: a hash of its key (BullMQ adds a job only once per id, so enqueueing is idempotent). */
export function jobId(key: string): string {
  return `run-${createHash('sha256').update(key).digest('hex').slice(0, 32)}`;
}

/**
 * The version a worker checks jobs against: the package version, or MCOMPLETE_TEST_VERSION when set (for tests
 * only: it lets a test start a worker "of another version").
 */
export function workerVersion(env: NodeJS.ProcessEnv = process.env): string {
  return env.MCOMPLETE_TEST_VERSION || packageVersion();
}

/** The Redis key of a queue's owner record. */
export function ownerKey(queue: Queue): string {
  return queue.toKey('mcomplete-owner');
}

/** The owner of `queue`, or null when no collector has claimed it. */
export async function readOwner(queue: Queue): Promise<QueueOwner | null> {
  const client = await queue.client;
  const h = await client.hgetall(ownerKey(queue));
  return h.identity ? { identity: h.identity, sweep: h.sweep ?? '', version: h.version ?? '' } : null;
}

/**
 * Open the BullMQ queue `name` on `target` after checking, with bounded timeouts, that Redis answers and accepts
 * the password: an unreachable host, a refused password or a server that is not Redis is a one-line QueueError
 * within a few seconds.
 */
export async function openQueue(target: RedisTarget, name: string): Promise<Queue> {
  await probe(target, name);
  const queue = new Queue(bullQueueName(name), { connection: { ...target.options } });
  queue.on('error', () => {}); // connection errors surface through the awaited calls
  await queue.waitUntilReady();
  return queue;
}

/** Connect once without retries (fail fast) and read one key; throws QueueError saying what went wrong. */
async function probe(target: RedisTarget, name: string): Promise<void> {
  const probeQueue = new Queue(bullQueueName(name), {
    connection: { ...target.options, retryStrategy: () => null, maxRetriesPerRequest: 0, enableOfflineQueue: false },
  });
  probeQueue.on('error', () => {});
  try {
    const client = await withTimeout(probeQueue.client, CONNECT_TIMEOUT_MS + 1000);
    await client.hgetall(ownerKey(probeQueue));
  } catch (err) {
    throw connectionError(err, target);
  } finally {
    await probeQueue.close().catch(() => {});
  }
}

/** A one-line QueueError for a failed connection to `target` (the URL redacted). */
export function connectionError(err: unknown, target: RedisTarget): QueueError {
  if (err instanceof QueueError) return err;
  const message = err instanceof Error ? err.message : String(err);
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const at = `Redis at ${target.shown}`;
  if (/WRONGPASS|invalid password|invalid username-password/i.test(message))
    return new QueueError(`${at} refused the password`);
  if (/NOAUTH/i.test(message))
    return new QueueError(`${at} needs a password (put it in the URL or in ${REDIS_PASSWORD_ENV})`);
  if (code === 'ECONNREFUSED') return new QueueError(`cannot reach ${at}: connection refused`);
  if (code === 'ECONNRESET')
    return new QueueError(
      `cannot reach ${at}: the server closed the connection (if it speaks only TLS, use rediss://)`,
    );
  if (/certificate|CERT_|self.signed/i.test(message) || /CERT|SELF_SIGNED/.test(code ?? '')) {
    return new QueueError(
      `${at}: TLS certificate not trusted (${oneLine(message)}; for a private CA set NODE_EXTRA_CA_CERTS=ca.pem)`,
    );
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return new QueueError(`cannot reach ${at}: unknown host`);
  if (code === 'ETIMEDOUT' || /timed? ?out/i.test(message)) {
    // A plain Redis never answers a TLS client's hello (it waits for the end of a command line), so rediss:// to it
    // times out in the TLS handshake rather than failing.
    if (target.options.tls)
      return new QueueError(
        `cannot reach ${at}: no TLS handshake within the time limit (rediss:// speaks TLS; if this Redis has no TLS, use redis://)`,
      );
    return new QueueError(`cannot reach ${at}: timed out`);
  }
  if (/Protocol error|wrong version number|ssl|tls/i.test(message))
    return new QueueError(`${at} does not speak the Redis protocol (${oneLine(message)})`);
  return new QueueError(`cannot use ${at}: ${oneLine(message)}`);
}

/** `promise`, or a rejection with a timeout error after `ms`. */
async function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = setTimeout(() => reject(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })), ms);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** The first line of a message, at most 160 characters. */
export function oneLine(message: string): string {
  const line = message.split('\n')[0];
  return line.length > 160 ? `${line.slice(0, 157)}...` : line;
}
