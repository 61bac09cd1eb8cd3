// The curator HTTP API as the review UI uses it (docs/api.yaml): bearer token
// from sessionStorage, JSON in and out, errors as ApiError with the server's
// {"error":{"type","message"}} kept whole so the page can show it plainly.

const TOKEN_KEY = "curator.token";

export class ApiError extends Error {
  constructor(status, type, message) {
    super(message);
    this.status = status;
    this.type = type;
  }
}

export function getToken() {
  return sessionStorage.getItem(TOKEN_KEY) || "";
}

export function setToken(t) {
  if (t) sessionStorage.setItem(TOKEN_KEY, t);
  else sessionStorage.removeItem(TOKEN_KEY);
}

// One call: method, path (with query), optional JSON body. Resolves to the
// parsed JSON; rejects with ApiError (status 0 when the server is unreachable).
export async function call(method, path, body) {
  const headers = { Accept: "application/json" };
  const token = getToken();
  if (token) headers.Authorization = "Bearer " + token;
  const init = { method, headers, cache: "no-store" };
  if (body !== undefined) {
    headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  let res;
  try {
    res = await fetch(path, init);
  } catch (e) {
    throw new ApiError(0, "network", "The server could not be reached: " + e.message);
  }
  const text = await res.text();
  let data = null;
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!res.ok) {
    const err = data && data.error ? data.error : {};
    throw new ApiError(
      res.status,
      err.type || "http_" + res.status,
      err.message || `${method} ${path} answered ${res.status} ${res.statusText}`,
    );
  }
  return data;
}

export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, String(v));
  }
  const s = q.toString();
  return s ? "?" + s : "";
}

export const api = {
  whoami: () => call("GET", "/v1/whoami"),
  diffs: (params) => call("GET", "/v1/diffs" + query(params)),
  diff: (id) => call("GET", "/v1/diffs/" + encodeURIComponent(id)),
  approve: (id, hunks, edits) =>
    call("POST", `/v1/diffs/${encodeURIComponent(id)}/approve`, edits && edits.length ? { hunks, edits } : { hunks }),
  reject: (id, hunks, reason) => call("POST", `/v1/diffs/${encodeURIComponent(id)}/reject`, { hunks, reason }),
  memories: (scope, q) => call("GET", "/v1/memories" + query({ scope, q, format: "json" })),
  history: (id) => call("GET", `/v1/memories/${encodeURIComponent(id)}/history`),
  revert: (sha) => call("POST", `/v1/commits/${encodeURIComponent(sha)}/revert`, {}),
  dream: (scope) => call("POST", "/v1/dream", scope ? { scope } : {}),
  audit: (params) => call("GET", "/v1/audit" + query(params)),
  auditVerify: () => call("GET", "/v1/audit/verify"),
};
