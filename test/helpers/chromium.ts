import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

/** Chromium to drive: $CHROMIUM_PATH when set, else Debian's /usr/bin/chromium or `chromium` on the PATH. */
export function findChromium(): { path: string } | { missing: string } {
  const fromEnv = process.env.CHROMIUM_PATH;
  if (fromEnv) return existsSync(fromEnv) ? { path: fromEnv } : { missing: `CHROMIUM_PATH=${fromEnv} does not exist` };
  if (existsSync('/usr/bin/chromium')) return { path: '/usr/bin/chromium' };
  const found = spawnSync('sh', ['-c', 'command -v chromium || command -v chromium-browser'], { encoding: 'utf8' });
  if (found.status === 0 && found.stdout.trim()) return { path: found.stdout.trim() };
  return { missing: 'no Chromium found' };
}

/** Why browser tests cannot run here (a message saying how to get Chromium), or false when they can. */
export function chromiumSkip(found: ReturnType<typeof findChromium>): string | false {
  return 'missing' in found
    ? `${found.missing}: install Chromium (Debian: apt-get install -y chromium) or set CHROMIUM_PATH to run the browser tests`
    : false;
}

/** Chromium's flags for this closed network: no background connections, no sandbox (root), no GPU. */
export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
