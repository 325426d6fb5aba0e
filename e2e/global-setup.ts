import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { build } from 'vite';

import { CHROMIUM_PATH } from './support.js';

const WEB = fileURLToPath(new URL('../web', import.meta.url));

/** The newest modification time of the console's sources. */
function newestSource(): number {
  let newest = 0;
  const visit = (path: string) => {
    const stat = statSync(path);
    if (stat.isDirectory()) {
      for (const entry of readdirSync(path)) {
        visit(join(path, entry));
      }
    } else {
      newest = Math.max(newest, stat.mtimeMs);
    }
  };
  for (const path of ['src', 'index.html', 'vite.config.ts']) {
    visit(join(WEB, path));
  }
  return newest;
}

/** Builds the console when web/dist is missing or older than its sources; checks for Chromium. */
export default async function setup() {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(
      `No Chromium at ${CHROMIUM_PATH}: install it (apt-get install -y chromium) or set CHROMIUM_PATH.`,
    );
  }
  const index = join(WEB, 'dist', 'index.html');
  if (!existsSync(index) || statSync(index).mtimeMs < newestSource()) {
    process.stdout.write('building the web console (web/dist)…\n');
    // The config switches NODE_ENV to production for the build; the test workers keep theirs.
    const nodeEnv = process.env.NODE_ENV;
    try {
      await build({ root: WEB, logLevel: 'warn' });
    } finally {
      process.env.NODE_ENV = nodeEnv;
    }
  }
}
