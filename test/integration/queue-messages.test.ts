// What `--queue` says about a URL it cannot use: a bad database is a usage error before anything connects, and
// rediss:// (TLS) against a redis-server without TLS names TLS instead of a bare time-out (a real redis-server of
// the test's own on a loopback port; skipped, saying so, without the binary).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveRedisServer, startRedis } from '../helpers/redis.ts';
import { startCli } from '../helpers/cli-process.ts';

const skip = haveRedisServer() ? false : 'no redis-server binary on the PATH (Debian: apt-get install redis-server)';

test('rediss:// to a redis-server without TLS: one line naming TLS and redis://, exit 1', { skip }, async () => {
  const redis = await startRedis();
  const dir = mkdtempSync(join(tmpdir(), 'queue-messages-'));
  try {
    const spec = join(dir, 'spec.json');
    writeFileSync(
      spec,
      JSON.stringify({ n: 10, rank: 1, samples: [40], seeds: [0], methods: [{ name: 'g', method: 'gnmr' }] }),
    );
    const url = redis.url.replace('redis:', 'rediss:');
    for (const argv of [
      ['worker', '--queue', url],
      ['sweep', spec, '--queue', url, '--out', join(dir, 'r.jsonl')],
    ]) {
      const cli = startCli(argv);
      assert.equal(await cli.exited, 1, cli.stderr());
      assert.match(
        cli.stderr(),
        /^mcomplete: cannot reach Redis at rediss:\/\/127\.0\.0\.1:\d+: no TLS handshake within the time limit \(rediss:\/\/ speaks TLS; if this Redis has no TLS, use redis:\/\/\)\n$/,
      );
    }
  } finally {
    await redis.stop();
    rmSync(dir, { recursive: true, force: true });
  }
});
