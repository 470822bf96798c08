/**
 * Console asset `api.js`: the session (bearer token in sessionStorage, gone when the tab closes),
 * calls to the admin API with problem documents turned into readable errors, and file downloads
 * (blob + object URL, file name from Content-Disposition).
 *
 * Criteria always go in JSON bodies: no patient or actor id is ever put in a URL.
 */
export const API_JS = String.raw`
const TOKEN_KEY = 'custos.console.token';
const listeners = [];

export class ApiError extends Error {
  constructor(status, title, detail) {
    super(detail || title || ('request failed with HTTP ' + status));
    this.status = status;
    this.title = title || '';
    this.detail = detail || '';
  }
}

function base64UrlJson(part) {
  const b64 = part.replace(/-/g, '+').replace(/_/g, '/');
  const padded = b64 + '='.repeat((4 - (b64.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

export const session = {
  token() {
    return sessionStorage.getItem(TOKEN_KEY);
  },
  set(token) {
    sessionStorage.setItem(TOKEN_KEY, token);
  },
  clear() {
    sessionStorage.removeItem(TOKEN_KEY);
  },
  /** The token's claims (not verified here: the gateway verifies every call). */
  claims() {
    const token = session.token();
    if (!token) return null;
    try {
      return base64UrlJson(token.split('.')[1] || '');
    } catch {
      return null;
    }
  },
};

/** Reads a token's claims, or throws a readable error when it is not a JWT. */
export function claimsOf(token) {
  const parts = String(token).trim().split('.');
  if (parts.length !== 3) throw new Error('this is not a JWT access token (three dot-separated parts)');
  try {
    return base64UrlJson(parts[1]);
  } catch {
    throw new Error('the token payload cannot be read');
  }
}

/** Called with a message when the gateway says the token is missing, expired or not trusted. */
export function onUnauthenticated(listener) {
  listeners.push(listener);
}

async function problemOf(response) {
  let title = response.statusText;
  let detail = '';
  const type = response.headers.get('content-type') || '';
  if (type.includes('json')) {
    try {
      const doc = await response.json();
      title = doc.title || title;
      detail = doc.detail || (doc.issue && doc.issue[0] && doc.issue[0].diagnostics) || '';
    } catch {
      // not a problem document after all
    }
  }
  if (response.status === 401) {
    for (const listener of listeners) listener(detail || 'your session has expired; sign in again');
  }
  return new ApiError(response.status, title, detail || ('the gateway answered HTTP ' + response.status + (title ? ' (' + title + ')' : '')));
}

function request(method, path, body, accept) {
  const headers = { accept: accept || 'application/json' };
  const token = session.token();
  if (token) headers.authorization = 'Bearer ' + token;
  if (body !== undefined) headers['content-type'] = 'application/json';
  return fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body), cache: 'no-store', credentials: 'omit', referrerPolicy: 'no-referrer' })
    .catch(() => {
      throw new ApiError(0, 'Network error', 'the gateway cannot be reached; check that it is running');
    });
}

/** A JSON call; throws ApiError with the problem document's detail. */
export async function api(method, path, body) {
  const response = await request(method, path, body);
  if (!response.ok) throw await problemOf(response);
  return response.json();
}

/** RFC 6266 file name: filename*=UTF-8''... preferred, else filename="...". */
export function filenameOf(disposition, fallback) {
  const text = disposition || '';
  const extended = /filename\*\s*=\s*(?:UTF-8|utf-8)''([^;]+)/.exec(text);
  if (extended) {
    try {
      return decodeURIComponent(extended[1].trim());
    } catch {
      // fall through to the plain form
    }
  }
  const plain = /filename\s*=\s*"([^"]*)"/.exec(text) || /filename\s*=\s*([^;\s]+)/.exec(text);
  const name = plain ? plain[1] : fallback;
  return name.replace(/[\\/]/g, '_');
}

/**
 * POSTs body to path and saves the answer as a file. Resolves { filename, size, type } once the
 * browser has been handed the file.
 */
export async function download(path, body, fallbackName) {
  const response = await request('POST', path, body, '*/*');
  if (!response.ok) throw await problemOf(response);
  const blob = await response.blob();
  const filename = filenameOf(response.headers.get('content-disposition'), fallbackName);
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = filename;
  link.rel = 'noopener';
  link.hidden = true;
  document.body.append(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60000);
  return { filename, size: blob.size, type: blob.type };
}
`;
