// The distributed sweep's pure parts (no Redis needed): URLs, passwords, redaction, names, job ids, error lines.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  bullQueueName,
  checkQueueName,
  connectionError,
  jobId,
  QueueError,
  redactUrl,
  redisTarget,
  sweepIdentity,
} from '../../../src/sweep/queue.ts';
import { validateSweepSpec } from '../../../src/sweep/spec.ts';

test('URLs: password from the URL or MCOMPLETE_REDIS_PASSWORD, rediss:// is TLS, the password is redacted', () => {
  const a = redisTarget('redis://:se%40cret@example.org:6390/3', { MCOMPLETE_REDIS_PASSWORD: 'not-this-one' });
  assert.equal(a.options.password, 'se@cret');
  assert.equal(a.options.host, 'example.org');
  assert.equal(a.options.port, 6390);
  assert.equal(a.options.db, 3);
  assert.equal(a.options.tls, undefined);
  assert.equal(a.shown, 'redis://:***@example.org:6390/3');
  const b = redisTarget('rediss://alice@cache.example.org', { MCOMPLETE_REDIS_PASSWORD: 'envpw' });
  assert.equal(b.options.password, 'envpw');
  assert.equal(b.options.username, 'alice');
  assert.equal(b.options.port, 6379);
  assert.equal(b.options.db, 0);
  assert.deepEqual(b.options.tls, { servername: 'cache.example.org' });
  assert.equal(b.shown, 'rediss://alice@cache.example.org');
  assert.deepEqual(redisTarget('rediss://127.0.0.1:6380', {}).options.tls, {}); // no SNI for an IP address (RFC 6066)
  assert.equal(redisTarget('redis://[::1]:7000', {}).options.host, '::1');
  assert.equal(redactUrl('rediss://bob:hunter2@h:1'), 'rediss://bob:***@h:1');
  assert.equal(redactUrl('redis://h:1/2'), 'redis://h:1/2');
  // The bounded reconnection: a few tries, then ioredis gives up (null) instead of retrying for ever.
  const retry = a.options.retryStrategy!;
  assert.ok(typeof retry(1) === 'number' && (retry(1) as number) > 0);
  assert.equal(retry(100), null);
  assert.ok((a.options.connectTimeout ?? 0) > 0 && (a.options.connectTimeout ?? 0) <= 10_000);
});

test('bad URLs and queue names are QueueErrors that never show the password', () => {
  const bad = (url: string): string => {
    try {
      redisTarget(url, {});
    } catch (err) {
      assert.ok(err instanceof QueueError);
      return err.message;
    }
    assert.fail(`no error for ${url}`);
  };
  assert.match(
    bad('redis://:pw@h/99'),
    /the database in redis:\/\/:\*\*\*@h\/99 must be an integer in 0\.\.15, got "99"/,
  );
  assert.match(bad('http://:pw@h'), /expected a redis:\/\/ or rediss:\/\/ URL, got http:\/\/:\*\*\*@h/);
  assert.match(bad('not a url'), /not a URL/);
  for (const message of [bad('redis://:pw@h/99'), bad('http://:pw@h')]) assert.ok(!message.includes('pw@'));
  assert.equal(bullQueueName('default'), 'mcomplete-default');
  assert.equal(checkQueueName('claims_2-full'), 'claims_2-full');
  for (const name of ['', 'a:b', 'a b', 'x'.repeat(65)]) assert.throws(() => checkQueueName(name), QueueError);
});

test('job ids are a function of the run key; a sweep identity changes with the spec and the version', () => {
  const key = '{"name":"adam","recordSpectrumEvery":0,"settings":{"seed":1}}';
  assert.equal(jobId(key), jobId(key));
  assert.notEqual(jobId(key), jobId(key.replace('"seed":1', '"seed":2')));
  assert.match(jobId(key), /^run-[0-9a-f]{32}$/); // BullMQ ids may not be plain integers nor contain ':'
  const spec = validateSweepSpec(
    { n: 10, rank: 1, samples: [30], seeds: [0], methods: [{ name: 'a', method: 'gradient' }] },
    's.json',
  );
  const other = validateSweepSpec(
    { n: 10, rank: 1, samples: [30], seeds: [0, 1], methods: [{ name: 'a', method: 'gradient' }] },
    's.json',
  );
  assert.equal(sweepIdentity(spec, '1.0.0'), sweepIdentity(structuredClone(spec), '1.0.0'));
  assert.notEqual(sweepIdentity(spec, '1.0.0'), sweepIdentity(other, '1.0.0'));
  assert.notEqual(sweepIdentity(spec, '1.0.0'), sweepIdentity(spec, '1.0.1'));
});

test('connection failures become one line naming the redacted URL', () => {
  const target = redisTarget('redis://:secret@db.example:6379', {});
  const line = (err: unknown): string => connectionError(err, target).message;
  const errno = (code: string, message: string): Error => Object.assign(new Error(message), { code });
  assert.equal(
    line(errno('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.1:6379')),
    'cannot reach Redis at redis://:***@db.example:6379: connection refused',
  );
  assert.equal(
    line(errno('ENOTFOUND', 'getaddrinfo ENOTFOUND db.example')),
    'cannot reach Redis at redis://:***@db.example:6379: unknown host',
  );
  assert.equal(
    line(new Error('WRONGPASS invalid username-password pair or user is disabled.')),
    'Redis at redis://:***@db.example:6379 refused the password',
  );
  assert.match(
    line(new Error('NOAUTH Authentication required.')),
    /needs a password \(put it in the URL or in MCOMPLETE_REDIS_PASSWORD\)$/,
  );
  assert.match(
    line(new Error('Protocol error, got "H" as reply type byte. Please report this.')),
    /does not speak the Redis protocol/,
  );
  for (const e of [new Error('x\ny'), errno('ETIMEDOUT', 'connect ETIMEDOUT')]) {
    const l = line(e);
    assert.ok(!l.includes('\n') && !l.includes('secret'), l);
  }
});
