import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

import { proto } from 'baileys';
import { z } from 'zod';

import type { Account } from './accounts.js';
import type { ReceiptFromClient, SentByClient, WaServer } from './server.js';

/**
 * An HTTP control API for the WhatsApp server stand-in, JSON in and out: what a developer (or a
 * test driving a stand-in in another process) does with curl instead of calling `WaServer`'s
 * methods. `npm run standin` serves it; `GET /` lists the endpoints.
 */

export interface ControlServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  close(): Promise<void>;
}

export interface ControlOptions {
  port?: number;
  host?: string;
  /** Where `POST /scan {sessionId, token}` reads a session's pending QR (the service's origin). */
  serviceUrl?: string;
}

/** A refusal with its HTTP status. */
class ControlError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

const Phone = z
  .string()
  .transform((value) => value.replace(/[\s+()-]/g, ''))
  .pipe(z.string().regex(/^\d{5,15}$/, 'a phone number: 5 to 15 digits'));

const NewAccount = z.strictObject({
  pn: Phone,
  name: z.string().trim().min(1).max(100).optional(),
  lid: z
    .string()
    .regex(/^\d{5,20}$/)
    .optional(),
});

const Scan = z
  .strictObject({
    /** The phone number that scans (created when the stand-in does not know it yet). */
    pn: Phone,
    name: z.string().trim().min(1).max(100).optional(),
    /** The QR's text, as the service's `GET …/qr` gives it (`qr`) or as a QR reader reads it. */
    qr: z.string().trim().min(1).max(2000).optional(),
    /** Or: the session whose pending QR to read from the service, with an admin's token. */
    sessionId: z.string().trim().min(1).max(100).optional(),
    token: z.string().trim().min(1).max(4000).optional(),
    serviceUrl: z.url().optional(),
  })
  .refine((body) => body.qr !== undefined || (body.sessionId !== undefined && body.token !== undefined), {
    message: 'give `qr`, or `sessionId` and `token` to read the session’s pending QR from the service',
  });

const NewMessage = z.strictObject({
  from: Phone,
  fromName: z.string().trim().min(1).max(100).optional(),
  to: Phone,
  text: z.string().min(1).max(65_536),
  /** How the stanza names the sender: by hidden id (`lid`, as WhatsApp does for most chats) or number. */
  via: z.enum(['pn', 'lid']).default('lid'),
  id: z
    .string()
    .regex(/^[0-9A-Za-z]{4,64}$/)
    .optional(),
});

const NewReceipt = z.strictObject({
  /** The contact whose phone reports. */
  from: Phone,
  /** The account that sent the messages. */
  to: Phone,
  ids: z.array(z.string().min(1).max(64)).min(1).max(500),
  type: z.enum(['delivery', 'read', 'played']).default('delivery'),
});

const DISCONNECT_KINDS = ['drop', '515', '503', '500', 'conflict', '401', '405', '411'] as const;
const Disconnect = z.strictObject({ pn: Phone, kind: z.enum(DISCONNECT_KINDS).default('drop') });

const FailNextSend = z.strictObject({
  code: z.string().regex(/^\d{3}$/, 'an error code such as 463 or 479'),
});

const ENDPOINTS = {
  'GET /': 'this overview',
  'GET /accounts': 'accounts and their linked devices',
  'POST /accounts {pn, name?, lid?}': 'a WhatsApp account (a number that links, or a contact)',
  'POST /scan {pn, qr} | {pn, sessionId, token, serviceUrl?}':
    'the phone of pn scans a QR: its text, or the pending QR of a session of the service (read with an admin token)',
  'POST /messages {from, to, text, fromName?, via?, id?}': 'contact `from` sends a text to account `to`',
  'POST /receipts {from, to, ids, type?}':
    'contact `from` reports messages of account `to` delivered (default), read or played',
  'GET /sent?from=&to=': 'what linked devices sent, as the recipients decrypted it',
  'GET /receipts': 'receipts linked devices sent for what they received',
  'POST /disconnect {pn, kind}': `ends pn's device connection: ${DISCONNECT_KINDS.join(', ')}`,
  'POST /fail-next-send {code}': 'the next message a linked device sends is refused with code',
};

/** The text a message carries, whatever kind of message it is (null when none). */
export function textOf(message: proto.IMessage): string | null {
  // The copy for the sender's own phone wraps the message.
  const inner = message.deviceSentMessage?.message;
  if (inner) {
    return textOf(inner);
  }
  return (
    message.conversation ??
    message.extendedTextMessage?.text ??
    message.imageMessage?.caption ??
    message.videoMessage?.caption ??
    message.documentMessage?.caption ??
    null
  );
}

const sentDto = (sent: SentByClient) => ({
  id: sent.id,
  from: sent.from,
  to: sent.to,
  recipient: sent.recipient,
  type: sent.type,
  text: textOf(sent.message),
  message: proto.Message.toObject(proto.Message.fromObject(sent.message), { longs: String, bytes: String }),
});

const receiptDto = (receipt: ReceiptFromClient) => ({
  id: receipt.id,
  ids: receipt.ids,
  to: receipt.to,
  type: receipt.type ?? 'delivery',
  participant: receipt.participant ?? null,
});

function accountDto(server: WaServer, account: Account) {
  return {
    pn: account.pn,
    lid: account.lid,
    name: account.name,
    devices: [...account.companions.values()].map((companion) => ({
      device: companion.device,
      platform: companion.platform,
      loggedOut: companion.loggedOut,
      connected: server.connectionOf(companion) !== undefined,
    })),
  };
}

/** The account of `pn`, created (as a contact named `name`) when the stand-in does not know it. */
function ensureAccount(server: WaServer, pn: string, name?: string): Account {
  return server.accounts.get(pn) ?? server.addAccount({ pn, name: name ?? `+${pn}` });
}

function knownAccount(server: WaServer, pn: string): Account {
  const account = server.accounts.get(pn);
  if (!account) {
    throw new ControlError(404, `the stand-in has no account ${pn}`);
  }
  return account;
}

/** Reads a session's pending QR from the service, waiting up to 15 s for one to be shown. */
async function pendingQr(serviceUrl: string, sessionId: string, token: string): Promise<string> {
  const url = new URL(`/api/whatsapp/sessions/${encodeURIComponent(sessionId)}/qr`, serviceUrl);
  const deadline = Date.now() + 15_000;
  for (;;) {
    let res: Response;
    try {
      res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
    } catch (err) {
      throw new ControlError(502, `could not reach the service at ${serviceUrl}: ${String(err)}`);
    }
    const body = (await res.json().catch(() => null)) as { data?: { qr?: string | null } } | null;
    if (!res.ok) {
      throw new ControlError(
        502,
        `the service answered ${res.status} for ${url.pathname}: ${JSON.stringify(body)}`,
      );
    }
    const qr = body?.data?.qr;
    if (qr) {
      return qr;
    }
    if (Date.now() > deadline) {
      throw new ControlError(409, `session ${sessionId} shows no QR (is it waiting for a phone?)`);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

type Handler = (input: {
  body: unknown;
  query: URLSearchParams;
}) => Promise<[number, unknown]> | [number, unknown];

function routes(server: WaServer, options: ControlOptions): Record<string, Handler> {
  return {
    'GET /': () => [
      200,
      {
        webSocketUrl: server.url,
        accounts: [...server.accounts.values()].map((account) => accountDto(server, account)),
        endpoints: ENDPOINTS,
      },
    ],
    'GET /accounts': () => [200, [...server.accounts.values()].map((account) => accountDto(server, account))],
    'POST /accounts': ({ body }) => {
      const input = NewAccount.parse(body);
      const existing = server.accounts.get(input.pn);
      if (existing) {
        return [200, accountDto(server, existing)];
      }
      const account = server.addAccount({ pn: input.pn, name: input.name ?? `+${input.pn}`, lid: input.lid });
      return [201, accountDto(server, account)];
    },
    'POST /scan': async ({ body }) => {
      const input = Scan.parse(body);
      const serviceUrl = input.serviceUrl ?? options.serviceUrl ?? 'http://127.0.0.1:3000';
      const qr = input.qr ?? (await pendingQr(serviceUrl, input.sessionId!, input.token!));
      const known = server.accounts.has(input.pn);
      const account = ensureAccount(server, input.pn, input.name);
      try {
        const companion = await server.scan(qr, account.pn);
        return [
          200,
          {
            pn: account.pn,
            device: companion.device,
            jid: `${account.pn}:${companion.device}@s.whatsapp.net`,
          },
        ];
      } catch (err) {
        if (!known) {
          server.accounts.delete(account.pn);
        }
        throw new ControlError(409, err instanceof Error ? err.message : String(err));
      }
    },
    'POST /messages': async ({ body }) => {
      const input = NewMessage.parse(body);
      const to = knownAccount(server, input.to);
      const companion = server.companionOf(to.pn);
      if (!companion?.signedPreKey) {
        throw new ControlError(409, `no device is linked to ${to.pn} yet (scan a QR first)`);
      }
      const from = ensureAccount(server, input.from, input.fromName);
      const id = await server.deliver(
        from,
        to,
        { conversation: input.text },
        { via: input.via, id: input.id },
      );
      return [201, { id }];
    },
    'POST /receipts': ({ body }) => {
      const input = NewReceipt.parse(body);
      const type = input.type === 'delivery' ? undefined : input.type;
      server.receipt(knownAccount(server, input.from), knownAccount(server, input.to), input.ids, type);
      return [200, { ids: input.ids, type: input.type }];
    },
    'GET /sent': ({ query }) => {
      const from = query.get('from');
      const to = query.get('to');
      const sent = server.sent.filter(
        (item) => (!from || item.from === from) && (!to || item.recipient.startsWith(`${to}:`)),
      );
      return [200, sent.map(sentDto)];
    },
    'GET /receipts': () => [200, server.receipts.map(receiptDto)],
    'POST /disconnect': ({ body }) => {
      const input = Disconnect.parse(body);
      try {
        server.disconnect(input.pn, input.kind);
      } catch (err) {
        throw new ControlError(409, err instanceof Error ? err.message : String(err));
      }
      return [200, { pn: input.pn, kind: input.kind }];
    },
    'POST /fail-next-send': ({ body }) => {
      const input = FailNextSend.parse(body);
      server.failNextSend(input.code);
      return [200, { code: input.code }];
    },
  };
}

async function readJson(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > 1_000_000) {
      throw new ControlError(413, 'the body is larger than 1 MB');
    }
    chunks.push(chunk);
  }
  const text = Buffer.concat(chunks).toString('utf8').trim();
  if (!text) {
    return {};
  }
  try {
    return JSON.parse(text);
  } catch {
    throw new ControlError(400, 'the body is not JSON');
  }
}

function reply(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(`${JSON.stringify(body, null, 2)}\n`);
}

/** Serves the control API for `server` (on 127.0.0.1 and a free port unless told). */
export async function startControl(server: WaServer, options: ControlOptions = {}): Promise<ControlServer> {
  const table = routes(server, options);
  const http = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://control');
    const handler = table[`${req.method} ${url.pathname.replace(/(.)\/$/, '$1')}`];
    if (!handler) {
      reply(res, 404, { error: `no ${req.method} ${url.pathname}; GET / lists the endpoints` });
      return;
    }
    readJson(req)
      .then((body) => handler({ body, query: url.searchParams }))
      .then(
        ([status, body]) => reply(res, status, body),
        (err: unknown) => {
          if (err instanceof z.ZodError) {
            reply(res, 400, { error: 'invalid request', details: z.flattenError(err) });
          } else if (err instanceof ControlError) {
            reply(res, err.status, { error: err.message });
          } else {
            reply(res, 500, { error: err instanceof Error ? err.message : String(err) });
          }
        },
      );
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = http.address() as AddressInfo;
  return {
    url: `http://${address}:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
