/**
 * A message's media file. `GET …/messages/{id}/media` needs the bearer token, so an <img src> cannot
 * point at it: the file is fetched through the API client as a blob. Pictures are shown as data
 * URLs: the service's Content-Security-Policy allows `data:` images but not `blob:` ones. Files to
 * save go through a short-lived object URL, which a download link may use.
 */
import { api, ApiError } from '../api/client';

async function fetchMedia(sessionId: string, messageId: string): Promise<Blob> {
  let answer;
  try {
    answer = await api.GET('/api/whatsapp/sessions/{sessionId}/messages/{messageId}/media', {
      params: { path: { sessionId, messageId } },
      parseAs: 'blob',
    });
  } catch (err) {
    throw new ApiError(0, 'NETWORK_ERROR', err instanceof Error ? err.message : String(err));
  }
  const { data, error, response } = answer;
  if (!response.ok || !(data instanceof Blob)) {
    const body = (error ?? {}) as { error?: { code?: unknown; message?: unknown } };
    throw new ApiError(
      response.status,
      typeof body.error?.code === 'string' ? body.error.code : 'UNKNOWN',
      typeof body.error?.message === 'string' ? body.error.message : response.statusText,
    );
  }
  return data;
}

function toDataUrl(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result as string);
    reader.onerror = () => reject(reader.error ?? new Error('could not read the file'));
    reader.readAsDataURL(blob);
  });
}

// Pictures already fetched, by message id, so a re-render or a remount does not fetch again.
const pictures = new Map<string, Promise<string>>();
const MAX_PICTURES = 60;

/** A picture as a data URL (cached for the page's lifetime, the oldest dropped first). */
export function loadPicture(sessionId: string, messageId: string): Promise<string> {
  const cached = pictures.get(messageId);
  if (cached) {
    return cached;
  }
  const loading = fetchMedia(sessionId, messageId).then(toDataUrl);
  pictures.set(messageId, loading);
  loading.catch(() => pictures.delete(messageId));
  if (pictures.size > MAX_PICTURES) {
    const oldest = pictures.keys().next().value;
    if (oldest !== undefined) {
      pictures.delete(oldest);
    }
  }
  return loading;
}

/** Saves a message's file under `fileName` through the browser's download. */
export async function downloadMedia(sessionId: string, messageId: string, fileName: string): Promise<void> {
  const blob = await fetchMedia(sessionId, messageId);
  const url = URL.createObjectURL(blob);
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = fileName;
    link.rel = 'noopener';
    document.body.append(link);
    link.click();
    link.remove();
  } finally {
    // The download has started by now; give it a moment before the URL goes.
    setTimeout(() => URL.revokeObjectURL(url), 30_000);
  }
}
