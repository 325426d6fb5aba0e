import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP relay between the service and its database that a test can cut: `cut()` drops every
 * connection and refuses new ones (what a network failure or a stopped server looks like to the
 * driver), `restore()` accepts again on the same port.
 */
export interface TcpProxy {
  port: number;
  /** The URL with its host and port replaced by the relay's. */
  url(target: string): string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  let port = 0;
  let server: Server | null = null;

  const listen = async () => {
    const s = createServer((client) => {
      const upstream = connect(targetPort, targetHost);
      for (const socket of [client, upstream]) {
        sockets.add(socket);
        socket.on('close', () => sockets.delete(socket));
        socket.on('error', () => undefined);
      }
      client.pipe(upstream).pipe(client);
      client.on('close', () => upstream.destroy());
      upstream.on('close', () => client.destroy());
    });
    await new Promise<void>((resolve, reject) => {
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => resolve());
    });
    port = (s.address() as { port: number }).port;
    server = s;
  };

  const stop = async () => {
    const s = server;
    server = null;
    for (const socket of sockets) {
      socket.destroy();
    }
    if (s) {
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
  };

  await listen();
  return {
    get port() {
      return port;
    },
    url(target) {
      const u = new URL(target);
      u.hostname = '127.0.0.1';
      u.port = String(port);
      return u.toString();
    },
    cut: stop,
    restore: listen,
    close: stop,
  };
}
