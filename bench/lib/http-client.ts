import { Agent, request } from 'node:http';

/**
 * A lean keep-alive HTTP client for the measured requests (node:http, no fetch machinery), the same
 * one for a subject and its baseline so that the client's own cost is equal on both sides.
 */
export interface HttpClient {
  post(path: string, body: unknown, token?: string): Promise<{ status: number; body: string }>;
  get(path: string, token?: string): Promise<{ status: number; body: string }>;
  close(): void;
}

export function createHttpClient(baseUrl: string, maxSockets = 64): HttpClient {
  const { hostname, port } = new URL(baseUrl);
  const agent = new Agent({ keepAlive: true, maxSockets });
  const send = (method: string, path: string, body: string | null, token?: string) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const headers: Record<string, string | number> = {};
      if (body !== null) {
        headers['content-type'] = 'application/json';
        headers['content-length'] = Buffer.byteLength(body);
      }
      if (token) {
        headers.authorization = `Bearer ${token}`;
      }
      const req = request({ agent, hostname, port, method, path, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body ?? undefined);
    });
  return {
    post: (path, body, token) => send('POST', path, JSON.stringify(body), token),
    get: (path, token) => send('GET', path, null, token),
    close: () => agent.destroy(),
  };
}

/**
 * Calls `fire(i)` for i = 0 … count−1 at `perSecond`, on schedule (not waiting for earlier calls),
 * and resolves when every call has settled. Returns how late the calls started, worst case (ms): a
 * client that cannot keep the pace shows up there instead of silently lowering the load.
 */
export async function paced(
  count: number,
  perSecond: number,
  fire: (i: number) => Promise<void>,
): Promise<{ maxLagMs: number; elapsedMs: number }> {
  const interval = 1000 / perSecond;
  const started = performance.now();
  const pending: Promise<void>[] = [];
  let maxLagMs = 0;
  let i = 0;
  while (i < count) {
    const now = performance.now();
    // Everything due by now goes out now, so a late timer does not lower the rate.
    while (i < count && started + i * interval <= now) {
      maxLagMs = Math.max(maxLagMs, now - (started + i * interval));
      pending.push(fire(i));
      i += 1;
    }
    if (i < count) {
      const wait = started + i * interval - performance.now();
      await new Promise((r) => setTimeout(r, Math.max(0, wait)));
    }
  }
  await Promise.all(pending);
  return { maxLagMs, elapsedMs: performance.now() - started };
}
