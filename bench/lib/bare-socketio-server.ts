/**
 * The socket.io baseline: node:http plus a bare socket.io Server (the service's version, default
 * options) and nothing else — no authentication, no database, no domain. Run in a process of its
 * own, like the service, so that the bench's clients do not share its event loop.
 *
 * - A client connects with `auth: { rooms: [...] }`, joins those rooms, and gets `realtime:connected`
 *   (as the service sends once it has set a socket's rooms).
 * - `POST /template` sets the `whatsapp:message` payload to send (a real one, captured from the
 *   service in the same run, so both sides carry the same bytes).
 * - `POST /emit {rooms, text}` emits the template, with `message.body = text` and `message.timestamp`
 *   the moment of the broadcast, to those rooms and answers 201: the same one-request-one-broadcast
 *   shape as the simulator's `…/incoming`.
 */
import { spawn } from 'node:child_process';
import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';

import { Server } from 'socket.io';

import { rssOf } from './server.js';

const SELF = fileURLToPath(import.meta.url);

export interface BareServer {
  url: string;
  pid: number;
  rssMiB(): number;
  stop(): Promise<void>;
}

/** Starts the bare server in a child process (node with the tsx loader, as the bench itself runs). */
export async function startBareSocketIoServer(): Promise<BareServer> {
  const child = spawn(process.execPath, ['--import', 'tsx', SELF], {
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', BARE_SOCKETIO_SERVER: '1' },
  });
  let output = '';
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`bare socket.io server did not start:\n${output}`)),
      30_000,
    );
    child.stderr.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        resolve(Number(match[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`bare socket.io server exited with ${code}:\n${output}`));
    });
  });
  return {
    url: `http://127.0.0.1:${port}`,
    pid: child.pid!,
    rssMiB: () => rssOf(child.pid!),
    async stop() {
      if (child.exitCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
    },
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
}

function serve(): void {
  let template: { message?: Record<string, unknown> } & Record<string, unknown> = {};
  const http = createServer((req, res) => {
    if (req.method === 'GET' && req.url === '/health') {
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
      return;
    }
    if (req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    readJson(req).then(
      (body) => {
        if (req.url === '/template') {
          template = body as typeof template;
          res.writeHead(204).end();
          return;
        }
        if (req.url === '/emit') {
          const { rooms, text } = body as { rooms: string[]; text: string };
          // Stamped with the moment of the broadcast, as the service's message carries the moment
          // of its engine event.
          io.to(rooms).emit('whatsapp:message', {
            ...template,
            message: { ...template.message, body: text, timestamp: new Date().toISOString() },
          });
          res.writeHead(201, { 'content-type': 'application/json' }).end('{"success":true}');
          return;
        }
        res.writeHead(404).end();
      },
      () => res.writeHead(400).end(),
    );
  });
  const io = new Server(http, { serveClient: false });
  io.on('connection', (socket) => {
    const rooms = (socket.handshake.auth as { rooms?: string[] }).rooms ?? [];
    void socket.join(rooms);
    socket.emit('realtime:connected', { recovered: false });
  });
  process.on('SIGTERM', () => {
    void io.close(() => process.exit(0));
  });
  http.listen(0, '127.0.0.1', () => {
    process.stdout.write(`listening on ${(http.address() as AddressInfo).port}\n`);
  });
}

if (process.env.BARE_SOCKETIO_SERVER === '1' && process.argv[1] === SELF) {
  serve();
}
