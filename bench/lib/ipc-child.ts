/**
 * A helper process of the bench (the WhatsApp server stand-in, bare Baileys clients) driven over
 * Node's IPC channel: the parent calls named commands and awaits their answers; the child may also
 * send events of its own. Both ends are in this file, so the message shapes live in one place.
 */
import { type ChildProcess, spawn } from 'node:child_process';

import { rssOf } from './server.js';

interface Request {
  kind: 'call';
  id: number;
  command: string;
  args: unknown;
}
type Outcome = { ok: true; value: unknown } | { ok: false; error: string };
type Reply = { kind: 'reply'; id: number } & Outcome;
interface Event {
  kind: 'event';
  name: string;
  payload: unknown;
}

export interface IpcChild {
  pid: number;
  rssMiB(): number;
  /** Runs `command` in the child and resolves with what it returned (rejects with its error). */
  call<T = unknown>(command: string, args?: unknown): Promise<T>;
  /** Events the child sends with `emit`. */
  on(name: string, listener: (payload: any) => void): void;
  /** Recent output of the child (stdout and stderr), for error messages. */
  output(): string;
  /** SIGTERM, then SIGKILL after 10 s. */
  stop(): Promise<void>;
}

/**
 * Starts `script` (a TypeScript file run with the tsx loader, as the bench itself runs) with
 * `nodeArgs` before it, and resolves once it has called `serveIpc` (its `ready` event).
 */
export async function startIpcChild(
  script: string,
  options: { env?: Record<string, string>; nodeArgs?: string[]; label: string },
): Promise<IpcChild> {
  const child: ChildProcess = spawn(
    process.execPath,
    ['--import', 'tsx', ...(options.nodeArgs ?? []), script],
    {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { PATH: process.env.PATH ?? '', NODE_ENV: 'production', ...options.env },
    },
  );
  let output = '';
  const keep = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-8000);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const listeners = new Map<string, ((payload: unknown) => void)[]>();
  let nextId = 1;
  child.on('message', (message: Reply | Event) => {
    if (message.kind === 'event') {
      for (const listener of listeners.get(message.name) ?? []) {
        listener(message.payload);
      }
      return;
    }
    const waiter = pending.get(message.id);
    pending.delete(message.id);
    if (message.ok) {
      waiter?.resolve(message.value);
    } else {
      waiter?.reject(new Error(`${options.label}: ${message.error}`));
    }
  });
  void exited.then(() => {
    for (const waiter of pending.values()) {
      waiter.reject(new Error(`${options.label} exited (code ${child.exitCode}):\n${output}`));
    }
    pending.clear();
  });
  const on = (name: string, listener: (payload: any) => void) => {
    listeners.set(name, [...(listeners.get(name) ?? []), listener]);
  };
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${options.label} did not start:\n${output}`)), 60_000);
      on('ready', () => {
        clearTimeout(timer);
        resolve();
      });
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`${options.label} exited with ${child.exitCode}:\n${output}`));
      });
    });
  } catch (err) {
    await stop();
    throw err;
  }
  return {
    pid: child.pid!,
    rssMiB: () => rssOf(child.pid!),
    call: <T>(command: string, args?: unknown) =>
      new Promise<T>((resolve, reject) => {
        const id = nextId++;
        pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
        child.send({ kind: 'call', id, command, args } satisfies Request);
      }),
    on,
    output: () => output,
    stop,
  };
}

/** In the child: answers the parent's calls with `commands`, and returns `emit` for events. */
export function serveIpc(
  commands: Record<string, (args: any) => unknown>,
): (name: string, payload?: unknown) => void {
  const emit = (name: string, payload?: unknown) => {
    process.send?.({ kind: 'event', name, payload } satisfies Event);
  };
  process.on('message', (message: Request) => {
    const command = commands[message.command];
    const reply = (r: Outcome) => process.send?.({ kind: 'reply', id: message.id, ...r });
    if (!command) {
      reply({ ok: false, error: `unknown command ${message.command}` });
      return;
    }
    Promise.resolve()
      .then(() => command(message.args))
      .then(
        (value) => reply({ ok: true, value }),
        (err: unknown) =>
          reply({ ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) }),
      );
  });
  // The parent going away (even by SIGKILL) ends the child.
  process.on('disconnect', () => process.exit(0));
  process.on('SIGTERM', () => process.exit(0));
  emit('ready');
  return emit;
}
