import { ApiError } from './api';
import type { Attachment } from './types';

/** One upload in flight: `abort()` stops it (the promise then rejects with code `aborted`). */
export interface UploadHandle {
  promise: Promise<Attachment>;
  abort: () => void;
}

/**
 * POST /api/uploads with the raw file as the body (docs/media.md). XMLHttpRequest rather than fetch:
 * fetch reports no upload progress and its streams upload is not in every browser.
 */
export function uploadFile(
  token: string,
  conversationId: string,
  file: File,
  name: string,
  onProgress: (loaded: number, total: number) => void,
): UploadHandle {
  const xhr = new XMLHttpRequest();
  const q = new URLSearchParams({ conversationId, name });
  const promise = new Promise<Attachment>((resolve, reject) => {
    xhr.open('POST', `/api/uploads?${q}`);
    xhr.setRequestHeader('Authorization', `Bearer ${token}`);
    xhr.setRequestHeader('Accept', 'application/json');
    // The server sniffs the type from the bytes; this is only a hint.
    xhr.setRequestHeader('Content-Type', file.type || 'application/octet-stream');
    xhr.upload.onprogress = (e) => onProgress(e.loaded, e.lengthComputable ? e.total : file.size);
    xhr.onabort = () => reject(new ApiError(0, 'aborted', 'Upload cancelled'));
    xhr.onerror = () => reject(new ApiError(0, 'network', 'Upload failed: the connection was lost'));
    xhr.ontimeout = () => reject(new ApiError(0, 'network', 'Upload timed out'));
    xhr.onload = () => {
      let data: { attachment?: Attachment; error?: { code?: string; message?: string } } | null = null;
      try {
        data = xhr.responseText ? JSON.parse(xhr.responseText) : null;
      } catch {
        data = null;
      }
      if (xhr.status >= 200 && xhr.status < 300 && data?.attachment) return resolve(data.attachment);
      reject(new ApiError(xhr.status, data?.error?.code ?? `http_${xhr.status}`, uploadErrorText(xhr.status, file.size, data?.error)));
    };
    xhr.send(file);
  });
  return { promise, abort: () => xhr.abort() };
}

function uploadErrorText(status: number, size: number, err?: { code?: string; message?: string }): string {
  if (status === 413) return `Too large: ${humanSize(size)} is over the server's limit per file`;
  if (err?.code === 'upload_quota_exceeded') return 'Daily upload quota reached: try again tomorrow';
  if (status === 401) return 'Signed out: sign in again';
  if (status === 403 || status === 404) return 'You cannot upload to this conversation';
  if (status === 429) return 'Too many uploads: wait a moment';
  if (status >= 500) return 'The server could not store the file';
  return err?.message || `Upload refused (${status})`;
}

/** 1536 → "1.5 KB" (binary multiples, the units people see in file managers). */
export function humanSize(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '';
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KB', 'MB', 'GB', 'TB'];
  let v = bytes / 1024;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v >= 100 ? Math.round(v) : v.toFixed(1).replace(/\.0$/, '')} ${units[i]}`;
}

/** Types the web client shows as an image (thumbnail + lightbox) once the server has a preview. */
export function isImageType(t: string | undefined): boolean {
  return !!t && /^image\/(png|jpeg|gif|webp|avif|bmp)$/i.test(t);
}

/** A relative media URL with the media token, so that <img src> and download links work without headers. */
export function withAccess(url: string, token: string | null): string {
  if (!token) return url;
  return `${url}${url.includes('?') ? '&' : '?'}access=${encodeURIComponent(token)}`;
}
