import type { Readable } from 'node:stream';

/**
 * Calls `onLine` with each JSON line a child process writes (its pino log), in order; text that is
 * not JSON (a library's banner) is skipped, and a line split across chunks is joined first.
 */
export function onJsonLines<T>(stream: Readable, onLine: (line: T) => void): void {
  let partial = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    partial += chunk;
    const lines = partial.split('\n');
    partial = lines.pop() ?? '';
    for (const text of lines) {
      let line: T;
      try {
        line = JSON.parse(text) as T;
      } catch {
        continue;
      }
      onLine(line);
    }
  });
}
