/**
 * What integration tests do to a running gateway over real HTTP: call it with a token (the whole
 * answer, headers as text, for "nothing of the denied patient anywhere" checks), and record a
 * grant through the admin API, waiting until the consent index has it.
 */
import assert from 'node:assert/strict';

export interface Answer {
  readonly status: number;
  readonly text: string;
  readonly headers: string;
  json(): Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
}

export type Caller = (method: string, path: string, token: string, options?: { body?: unknown; headers?: Record<string, string> }) => Promise<Answer>;

/** Calls `base + path` (or an absolute URL) with a bearer token; a body is sent as FHIR JSON. */
export function callerFor(base: string): Caller {
  return async (method, path, token, options = {}) => {
    const response = await fetch(path.startsWith('http') ? path : `${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(options.body !== undefined ? { 'content-type': 'application/fhir+json' } : {}), ...options.headers },
      ...(options.body !== undefined ? { body: typeof options.body === 'string' ? options.body : JSON.stringify(options.body) } : {}),
    });
    const text = await response.text();
    const headers = [...response.headers].map(([k, v]) => `${k}: ${v}`).join('\n');
    return { status: response.status, text, headers, json: () => JSON.parse(text) };
  };
}

/** Records a grant through `POST /admin/consents` and resolves with its id once the index shows it. */
export function granterFor(origin: string, registrarToken: string): (grant: Record<string, unknown>) => Promise<string> {
  return async (body) => {
    const response = await fetch(`${origin}/admin/consents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${registrarToken}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const json = (await response.json()) as { id: string };
    assert.equal(response.status, 201, JSON.stringify(json));
    for (let i = 0; i < 100; i++) {
      const shown = await fetch(`${origin}/admin/consents/${json.id}`, { headers: { authorization: `Bearer ${registrarToken}` } });
      if (shown.status === 200) return json.id;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.fail(`grant ${json.id} was not indexed in time`);
  };
}
