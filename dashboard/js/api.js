/**
 * The dashboard's API client. State changes send the per-process session token (from
 * /api/session) in its header; the server also checks that the request's Origin is its own.
 */

let session = null;
/** Parameters every read carries (over the fleet: the chosen instance). */
const scope = {};

/** Sets a parameter every read carries (`null` removes it). */
export function setScope(name, value) {
  if (value === null || value === '') delete scope[name];
  else scope[name] = value;
}

/** The session (token, and the server's vocabulary such as the filter values), fetched once per page load. */
export async function getSession() {
  if (!session) session = await getJson('/api/session');
  return session;
}

/** An API error with the server's code and message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

async function parse(res) {
  const body = await res.json().catch(() => null);
  if (!res.ok) {
    throw new ApiError(res.status, body?.error?.code ?? 'HTTP', body?.error?.message ?? `request failed (${res.status})`);
  }
  return body;
}

/** GET a JSON resource; `query` is an object of parameters (empty values dropped). */
export async function getJson(path, query = {}) {
  const params = new URLSearchParams();
  for (const [k, v] of Object.entries({ ...scope, ...query })) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
  const qs = params.toString();
  return parse(await fetch(qs ? `${path}?${qs}` : path, { headers: { accept: 'application/json' } }));
}

/** A state-changing request with a JSON body. */
export async function send(method, path, body) {
  const { token, tokenHeader } = await getSession();
  const res = await fetch(path, {
    method,
    headers: { ...(body === undefined ? {} : { 'content-type': 'application/json' }), accept: 'application/json', [tokenHeader]: token },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return parse(res);
}
