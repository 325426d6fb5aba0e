import { DEFAULT_CONNECTION_CONFIG } from 'baileys';
import { pino } from 'pino';
import { afterEach, describe, expect, it, vi } from 'vitest';

import { createVersionSource, type FetchWaVersion, type WaVersion } from './baileys-version.js';

const BUNDLED: WaVersion = [2, 3000, 1000];
const LATEST: WaVersion = [2, 3000, 2000];

/** A logger whose lines the test reads. */
function logLines() {
  const lines: Record<string, unknown>[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

/** A fetch answering from a list (a version, or an error as Baileys reports one), recording its calls. */
function fetchAnswering(...answers: (WaVersion | Error)[]) {
  const calls: AbortSignal[] = [];
  const fetch: FetchWaVersion = ({ signal }) => {
    calls.push(signal);
    const answer = answers[Math.min(calls.length, answers.length) - 1]!;
    return Promise.resolve(
      answer instanceof Error
        ? { version: BUNDLED, isLatest: false, error: answer }
        : { version: answer, isLatest: true },
    );
  };
  return { fetch, calls };
}

const offline = () => new TypeError('fetch failed', { cause: { code: 'ENOTFOUND' } });

describe('the WhatsApp Web version', () => {
  afterEach(() => {
    vi.unstubAllGlobals();
  });

  it('is the fetched one, asked once for all sessions until it is an hour old', async () => {
    const { log } = logLines();
    const { fetch, calls } = fetchAnswering(LATEST, [2, 3000, 3000]);
    let now = 0;
    const versions = createVersionSource({ log, fetch, bundled: BUNDLED, now: () => now });

    const asked = await Promise.all([versions.current(), versions.current(), versions.current()]);
    expect(asked).toEqual([LATEST, LATEST, LATEST]);
    now += 59 * 60_000;
    expect(await versions.current()).toEqual(LATEST);
    expect(calls).toHaveLength(1);

    now += 2 * 60_000;
    expect(await versions.current()).toEqual([2, 3000, 3000]);
    expect(calls).toHaveLength(2);
  });

  it('falls back to the bundled one when the fetch fails, with one warning line and no stack', async () => {
    const { log, lines } = logLines();
    const { fetch, calls } = fetchAnswering(offline());
    let now = 0;
    const versions = createVersionSource({ log, fetch, bundled: BUNDLED, now: () => now });

    expect(await versions.current()).toEqual(BUNDLED);
    now += 10 * 60_000;
    expect(await versions.current()).toEqual(BUNDLED); // not asked again at every connect
    expect(calls).toHaveLength(1);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      level: 40,
      version: '2.3000.1000',
      reason: 'fetch failed (ENOTFOUND)',
    });
    expect(JSON.stringify(lines[0])).not.toMatch(/stack|\n\s+at /);
  });

  it('keeps the last fetched one, rather than the bundled one, when a later fetch fails', async () => {
    const { log } = logLines();
    const { fetch } = fetchAnswering(LATEST, offline());
    let now = 0;
    const versions = createVersionSource({ log, fetch, bundled: BUNDLED, now: () => now });
    expect(await versions.current()).toEqual(LATEST);
    now += 2 * 60 * 60_000;
    expect(await versions.current()).toEqual(LATEST);
  });

  it('gives up on a fetch that does not answer in time, aborting it', async () => {
    const { log, lines } = logLines();
    let signal: AbortSignal | undefined;
    const hanging: FetchWaVersion = (options) => {
      signal = options.signal;
      return new Promise(() => {}); // ignores its signal too
    };
    const versions = createVersionSource({ log, fetch: hanging, bundled: BUNDLED, timeoutMs: 50 });

    const started = Date.now();
    expect(await versions.current()).toEqual(BUNDLED);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(signal?.aborted).toBe(true);
    expect(lines[0]).toMatchObject({ level: 40, reason: 'no answer within 50 ms' });
  });

  it('is never fetched when pinned', async () => {
    const { log, lines } = logLines();
    const { fetch, calls } = fetchAnswering(LATEST);
    const versions = createVersionSource({ log, fetch, pinned: [2, 3000, 1500], bundled: BUNDLED });

    expect(await versions.current()).toEqual([2, 3000, 1500]);
    expect(await versions.newerThan([2, 3000, 1500])).toBeNull();
    expect(calls).toHaveLength(0);
    expect(lines).toHaveLength(0);
  });

  describe('after WhatsApp refused one as too old', () => {
    it('is fetched again at once, whatever the age of the one known', async () => {
      const { log } = logLines();
      const { fetch, calls } = fetchAnswering(offline(), LATEST);
      const versions = createVersionSource({ log, fetch, bundled: BUNDLED });

      expect(await versions.current()).toEqual(BUNDLED);
      expect(await versions.newerThan(BUNDLED)).toEqual(LATEST);
      expect(calls).toHaveLength(2);
      expect(await versions.current()).toEqual(LATEST); // and kept for the next sockets
      expect(calls).toHaveLength(2);
    });

    it('is null when the fetch finds nothing newer, or fails', async () => {
      const { log } = logLines();
      const { fetch } = fetchAnswering(LATEST, LATEST, offline());
      const versions = createVersionSource({ log, fetch, bundled: BUNDLED });

      expect(await versions.current()).toEqual(LATEST);
      expect(await versions.newerThan(LATEST)).toBeNull();
      expect(await versions.newerThan(LATEST)).toBeNull();
    });

    it('is not fetched again by sessions refused with a version another session already replaced', async () => {
      const { log } = logLines();
      const { fetch, calls } = fetchAnswering(offline(), LATEST);
      const versions = createVersionSource({ log, fetch, bundled: BUNDLED });
      await versions.current();

      const found = await Promise.all([versions.newerThan(BUNDLED), versions.newerThan(BUNDLED)]);
      expect(found).toEqual([LATEST, LATEST]);
      expect(await versions.newerThan(BUNDLED)).toEqual(LATEST);
      expect(calls).toHaveLength(2);
    });
  });

  it("reads Baileys' answer from web.whatsapp.com by default, and falls back without a network", async () => {
    const { log } = logLines();
    const asked: string[] = [];
    vi.stubGlobal('fetch', (url: string) => {
      asked.push(String(url));
      return Promise.resolve(new Response('self.__swData=JSON.parse("{\\"client_revision\\":1099999999}");'));
    });
    expect(await createVersionSource({ log }).current()).toEqual([2, 3000, 1099999999]);
    expect(asked).toEqual(['https://web.whatsapp.com/sw.js']);

    vi.stubGlobal('fetch', () => Promise.reject(offline()));
    expect(await createVersionSource({ log }).current()).toEqual(DEFAULT_CONNECTION_CONFIG.version);
  });
});
