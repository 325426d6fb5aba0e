/**
 * The WhatsApp server stand-in (test/wa-server) as a process of its own, for running the service
 * on the real engine without WhatsApp: `npm run standin`. It listens for the engine's WebSocket on
 * WA_STANDIN_PORT (5290) and serves its control API (test/wa-server/control.ts) on
 * WA_STANDIN_CONTROL_PORT (5291), both on 127.0.0.1. Everything it knows is in memory: restarting
 * it forgets every account, so sessions linked to it end `logged_out` and need a new QR.
 *
 * The service trusts the stand-in only when started with the preload test/wa-server/trust.mjs;
 * the commands printed below include it.
 */
import { DEFAULT_CONNECTION_CONFIG } from 'baileys';

import { startControl, textOf } from '../test/wa-server/control.js';
import { WaServer } from '../test/wa-server/server.js';

const port = Number(process.env.WA_STANDIN_PORT ?? 5290);
const controlPort = Number(process.env.WA_STANDIN_CONTROL_PORT ?? 5291);
const serviceUrl = process.env.WA_STANDIN_SERVICE_URL ?? 'http://127.0.0.1:3000';

// libsignal logs every session it opens or closes, keys included, on the console.
if (!process.env.WA_STANDIN_DEBUG) {
  console.info = () => undefined;
  console.warn = () => undefined;
}

// The service runs Baileys in its own process and trusts the stand-in through its preload.
const server = await WaServer.start({ port, trust: false });
const control = await startControl(server, { port: controlPort, serviceUrl });

const serviceEnv = [
  'WA_ENGINE=baileys',
  `WA_WEBSOCKET_URL=${server.url}`,
  // The Baileys default: nothing is fetched from web.whatsapp.com.
  `WA_WEB_VERSION=${DEFAULT_CONNECTION_CONFIG.version.join('.')}`,
  // A data directory of its own: sessions linked to real WhatsApp would be logged out here.
  'DATA_DIR=./data/standin',
].join(' ');

const log = (line: string) => process.stdout.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);

process.stdout.write(`WhatsApp server stand-in (test only; every account lives in memory)
  engine WebSocket  ${server.url}
  control API       ${control.url}   (GET / lists the endpoints)

Run the service against it, from the repository root:
  built:      npm run build && ${serviceEnv} node --import ./test/wa-server/trust.mjs dist/main.js
  developing: ${serviceEnv} npx tsx watch --import ./test/wa-server/trust.mjs src/main.ts
              (or: npm run dev:standin)

Link a phone: create a session in the console, then
  curl -s ${control.url}/scan -H 'content-type: application/json' \\
    -d '{"pn":"15550001111","name":"Shop","sessionId":"<session id>","token":"<admin token>"}'
  (or "qr": the \`qr\` text of GET /api/whatsapp/sessions/<id>/qr instead of sessionId and token)
A contact writes:
  curl -s ${control.url}/messages -H 'content-type: application/json' \\
    -d '{"from":"15550002222","fromName":"Ann","to":"15550001111","text":"Hello!"}'
What the linked device sent:  curl -s ${control.url}/sent

`);

server.on('qr', () => log('a new device is waiting for a scan (it shows a QR)'));
server.on('paired', (companion) => log(`linked device ${companion.device} to +${companion.account.pn}`));
server.on('login', (companion) => log(`device ${companion.device} of +${companion.account.pn} logged in`));
server.on('sent', (sent) =>
  log(
    `+${sent.from} → +${sent.recipient.replace(/:.*/, '')}: ${JSON.stringify(textOf(sent.message) ?? sent.type)}`,
  ),
);

const stop = () => {
  void Promise.all([control.close(), server.close()]).then(() => process.exit(0));
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
