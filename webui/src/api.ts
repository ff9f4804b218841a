import { csrfToken, setupCode } from "./state.js";

/** An error answer of the agent (OpenAI error body: `{error: {message, code}}`). */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string | null,
    message: string,
  ) {
    super(message);
  }
}

/** Headers for a request to `url`: the setup code for /api/setup/*, the CSRF token elsewhere. */
export function authHeaders(url: string): Record<string, string> {
  const h: Record<string, string> = {};
  if (url.startsWith("/api/setup/") && setupCode.value) h["x-setup-code"] = setupCode.value;
  if (csrfToken.value) h["x-csrf-token"] = csrfToken.value;
  return h;
}

/** JSON request to the agent (same origin, cookies included); throws ApiError for a non-2xx answer. */
export async function api<T = unknown>(method: string, url: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = { ...authHeaders(url) };
  if (body !== undefined) headers["content-type"] = "application/json";
  const res = await fetch(url, {
    method,
    headers,
    body: body === undefined ? undefined : JSON.stringify(body),
    credentials: "same-origin",
  });
  const text = await res.text();
  const data = text ? JSON.parse(text) : null;
  if (!res.ok) {
    const err = data?.error ?? {};
    throw new ApiError(res.status, err.code ?? null, err.message ?? `HTTP ${res.status}`);
  }
  return data as T;
}

/**
 * Uploads a backup file (`application/octet-stream`) with its passphrase in `X-Backup-Passphrase`
 * (URI-encoded: any Unicode passphrase fits a header); throws ApiError for a non-2xx answer.
 */
export async function uploadBackup<T = unknown>(url: string, file: Blob, passphrase: string): Promise<T> {
  const res = await fetch(url, {
    method: "POST",
    headers: {
      ...authHeaders(url),
      "content-type": "application/octet-stream",
      "x-backup-passphrase": encodeURIComponent(passphrase),
    },
    body: file,
    credentials: "same-origin",
  });
  const data = await res.json().catch(() => null);
  if (!res.ok) {
    const err = data?.error ?? {};
    throw new ApiError(res.status, err.code ?? null, err.message ?? `HTTP ${res.status}`);
  }
  return data as T;
}

/**
 * Reads a server-sent-event stream with fetch (so custom headers like X-Setup-Code can be sent, which
 * EventSource cannot), calling `onData` with each `data:` payload parsed as JSON ("[DONE]" is passed as
 * the string). Resolves when the stream ends or `signal` aborts.
 */
export async function readSse(
  url: string,
  init: RequestInit,
  onData: (data: unknown) => void,
  signal?: AbortSignal,
): Promise<void> {
  const res = await fetch(url, { ...init, signal, credentials: "same-origin" });
  if (!res.ok || !res.body) {
    const data = await res.json().catch(() => null);
    throw new ApiError(res.status, data?.error?.code ?? null, data?.error?.message ?? `HTTP ${res.status}`);
  }
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = "";
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += value;
      let end = buffer.indexOf("\n\n");
      while (end >= 0) {
        const event = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        for (const line of event.split("\n")) {
          if (!line.startsWith("data:")) continue;
          const payload = line.slice(5).trim();
          onData(payload === "[DONE]" ? payload : JSON.parse(payload));
        }
        end = buffer.indexOf("\n\n");
      }
    }
  } catch (err) {
    if (!signal?.aborted) throw err;
  }
}
