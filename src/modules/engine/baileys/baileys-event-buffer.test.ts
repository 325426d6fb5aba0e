import { makeEventBuffer, type WAMessage } from 'baileys';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';

import { waitFor } from '../../../../test/support/wait.js';

const message = (id: string): WAMessage => ({
  key: { remoteJid: '15550001@s.whatsapp.net', fromMe: false, id },
  message: { conversation: 'hi' },
});

/**
 * Baileys' event buffer, as patched (patches/baileys+…): after an explicit flush inside a buffered
 * function, the debounced flush of the next one still runs. Unpatched, a stale timer handle stops
 * it, and every later batch waits for the 30-second safety flush: messages and statuses arrive late.
 */
describe("Baileys' event buffer", () => {
  it('flushes a batch soon after an earlier batch was flushed from inside a buffered function', async () => {
    const ev = makeEventBuffer(pino({ level: 'silent' }));
    const seen: string[] = [];
    ev.on('messages.upsert', ({ messages }) => seen.push(...messages.map((m) => m.key.id ?? '')));

    const flushesInside = ev.createBufferedFunction(async () => {
      ev.emit('messages.upsert', { messages: [message('A')], type: 'notify' });
      await Promise.resolve();
      ev.flush();
    });
    await flushesInside();
    // The debounced flush scheduled after it fires while nothing is buffered.
    await new Promise((resolve) => setTimeout(resolve, 150));

    const emits = ev.createBufferedFunction(async () => {
      await Promise.resolve();
      ev.emit('messages.upsert', { messages: [message('B')], type: 'notify' });
    });
    await emits();
    await waitFor('the second batch', () => seen.includes('B'), 2_000);
    expect(seen).toEqual(['A', 'B']);
  });
});
