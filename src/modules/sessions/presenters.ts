import QRCode from 'qrcode';

import type { Rights } from '../access/policy.js';
import type { SessionRow } from './sessions.table.js';

/** The contract's `session`; the raw QR and anything engine-internal stay out. */
export function toSessionDto(row: SessionRow, rights?: Rights) {
  return {
    id: row.id,
    sessionId: row.id,
    companyId: row.companyId,
    name: row.name,
    status: row.status,
    engine: row.engine,
    phoneNumber: row.phoneNumber,
    displayName: row.displayName,
    createdAt: row.createdAt.toISOString(),
    connectedAt: row.connectedAt?.toISOString() ?? null,
    lastError: row.lastError,
    ...(rights ? { rights } : {}),
  };
}

export type SessionDto = ReturnType<typeof toSessionDto>;

export interface QrView {
  qr: string;
  /** PNG data URL of `qr`. */
  qrCode: string;
  expiresAt: Date;
}

/** A QR as the console shows it: a PNG data URL. */
export function renderQr(qr: string): Promise<string> {
  return QRCode.toDataURL(qr, { margin: 1, width: 320 });
}
