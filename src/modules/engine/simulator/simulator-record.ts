import { createHash } from 'node:crypto';
import { appendFileSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

/** One message the network received from a session. */
export interface OutgoingRecord {
  waMessageId: string;
  to: string;
  text: string;
  quotedWaMessageId: string | null;
  at: string;
}

/**
 * What the network received, as a file of one JSON line per receipt: appended synchronously
 * before the send is acknowledged, so a process killed right after cannot lose it.
 */
export function createOutgoingRecord(dir: string | null) {
  const fileOf = (sessionId: string) => {
    // Session ids are UUIDs; anything else still maps to one safe file name.
    const name = /^[\w-]{1,128}$/.test(sessionId)
      ? sessionId
      : createHash('sha256').update(sessionId).digest('hex');
    return join(dir!, `${name}.jsonl`);
  };
  let dirMade = false;
  return {
    load(sessionId: string): OutgoingRecord[] {
      if (!dir) {
        return [];
      }
      let text: string;
      try {
        text = readFileSync(fileOf(sessionId), 'utf8');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') {
          return [];
        }
        throw err;
      }
      if (text !== '' && !text.endsWith('\n')) {
        // End the cut line, so that the next receipt starts a line of its own.
        appendFileSync(fileOf(sessionId), '\n');
      }
      const records: OutgoingRecord[] = [];
      for (const line of text.split('\n')) {
        if (line.trim() === '') {
          continue;
        }
        try {
          records.push(JSON.parse(line) as OutgoingRecord);
        } catch {
          // A line cut short by a crash mid-write: the send it belonged to was never acknowledged.
        }
      }
      return records;
    },
    append(sessionId: string, record: OutgoingRecord) {
      if (!dir) {
        return;
      }
      if (!dirMade) {
        mkdirSync(dir, { recursive: true });
        dirMade = true;
      }
      appendFileSync(fileOf(sessionId), `${JSON.stringify(record)}\n`);
    },
    remove(sessionId: string) {
      if (dir) {
        rmSync(fileOf(sessionId), { force: true });
      }
    },
  };
}

export type OutgoingStore = ReturnType<typeof createOutgoingRecord>;
