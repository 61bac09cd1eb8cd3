#!/usr/bin/env python3
"""A test double of the Claude Managed Agents API on 127.0.0.1 (sessions,
events, memory stores), with the behaviours shared/PLATFORM.md §6 lists:

- x-api-key checked (401 authentication_error; --forbidden-key gets 403),
  anthropic-version 2023-06-01 required;
- beta headers: /v1/sessions/** need managed-agents-2026-04-01;
  /v1/memory_stores/** take agent-memory-2026-07-22 (or managed-agents) and
  answer 400 when both are sent;
- lists page with limit/page/next_page; cursors are opaque (page_...), tied to
  the order they were made with (400 if reused with another), next_page null on
  the last page; GET /v1/sessions also has prev_page;
- events carry sevt_ ids and processed_at, never session_id; created_at[gt|gte|
  lt|lte] filter on processed_at; types[] (or repeated types=) filter; a seed
  event marked "queued" is listed once with processed_at null, then processed
  (same id, processed_at set);
- memories: create 409 memory_path_conflict_error with conflicting_memory_id;
  update with a content_sha256 precondition 409 memory_precondition_failed_error,
  but 200 when already in the requested state; 400 above 102,400 bytes or on a
  bad path; delete with expected_content_sha256; a memory_version per real
  change and none for a no-op; content_sha256 over the raw UTF-8 bytes;
  versions list newest first, redact (not the head of a live memory);
- faults on demand: POST /_control/faults [{method, prefix or path,
  status, count, retry_after, body}] (replacing those set before) answers the next `count` matching calls with status (429
  with retry-after, 529 overloaded_error, 500 api_error, ...), or with body
  when given (e.g. a stale, empty listing).

Control endpoints (no auth, not logged): POST /_control/faults,
POST /_control/events {session_id, events}, POST /_control/agent_write
{store, path, content, session_id}, GET /_control/stores/<id>.

Every API call is logged, one JSON line each, to --log: method, path, query,
headers (the x-api-key value replaced by "<present>") and the status answered,
so tests can count calls. --delay-ms slows each API call (to kill a client
mid-run). Stops by itself after --lifetime seconds. Prints its port."""
import argparse, base64, copy, hashlib, json, threading, time, unicodedata
from datetime import datetime, timezone
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit, parse_qs

ap = argparse.ArgumentParser()
ap.add_argument("--seed", required=True)
ap.add_argument("--log", required=True)
ap.add_argument("--key", required=True)
ap.add_argument("--forbidden-key", default=None)
ap.add_argument("--lifetime", type=float, default=300)
ap.add_argument("--delay-ms", type=float, default=0)
args = ap.parse_args()

BETA_SESSIONS = "managed-agents-2026-04-01"
BETA_MEMORY = "agent-memory-2026-07-22"
MAX_CONTENT = 102400

lock = threading.RLock()
seed = json.load(open(args.seed))
sessions = []      # session objects (with "_events")
stores = {}        # id -> {"store": {...}, "memories": {mem_id: memory}, "versions": [..]}
faults = []
counter = [0]


def now():
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def new_id(prefix):
    counter[0] += 1
    return "%s%024x" % (prefix, counter[0])


def parse_time(s):
    return datetime.fromisoformat(s.replace("Z", "+00:00"))


def sha(content):
    return hashlib.sha256(content.encode("utf-8")).hexdigest()


def add_session(s):
    s = copy.deepcopy(s)
    evs = s.pop("events", [])
    obj = {"id": s["id"], "type": "session", "status": s.get("status", "idle"),
           "created_at": s.get("created_at", now()), "updated_at": s.get("created_at", now()),
           "archived_at": None, "title": s.get("title"), "metadata": {},
           "environment_id": "env_01test", "agent": s.get("agent", {}), "resources": [],
           "vault_ids": [], "deployment_id": None, "_events": []}
    sessions.append(obj)
    for e in evs:
        add_event(obj, e)


def add_event(sess, e):
    e = copy.deepcopy(e)
    e.pop("session_id", None)  # the platform's events never carry it
    sess["_events"].append(e)


for s in seed.get("sessions", []):
    add_session(s)
for st in seed.get("memory_stores", []):
    stores[st["id"]] = {"store": {"id": st["id"], "type": "memory_store", "name": st.get("name", st["id"]),
                                  "description": "", "metadata": {}, "created_at": now(),
                                  "updated_at": now(), "archived_at": None},
                        "memories": {}, "versions": []}


def error(status, etype, message, extra=None):
    e = {"type": etype, "message": message}
    e.update(extra or {})
    return status, {"type": "error", "error": e, "request_id": new_id("req_")}


def make_cursor(order, key):
    raw = json.dumps({"o": order, "k": key}).encode()
    return "page_" + base64.urlsafe_b64encode(raw).decode().rstrip("=")


def read_cursor(page, order):
    try:
        raw = page[5:] + "=" * (-len(page[5:]) % 4)
        c = json.loads(base64.urlsafe_b64decode(raw))
    except Exception:
        return None, error(400, "invalid_request_error", "page: not a valid cursor")
    if not page.startswith("page_") or c.get("o") != order:
        return None, error(400, "invalid_request_error", "page: cursor was made with another order")
    return c["k"], None


def paginate(items, keyfn, order, q, default_limit, max_limit):
    """items already sorted ascending by keyfn; returns (page, next) or error."""
    try:
        limit = int(q.get("limit", [default_limit])[0])
    except ValueError:
        return None, None, error(400, "invalid_request_error", "limit: not a number")
    if limit < 1 or limit > max_limit:
        return None, None, error(400, "invalid_request_error", "limit: must be 1 to %d" % max_limit)
    if order == "desc":
        items = list(reversed(items))
    if "page" in q:
        k, err = read_cursor(q["page"][0], order)
        if err:
            return None, None, err
        if order == "asc":
            items = [i for i in items if keyfn(i) > k]
        else:
            items = [i for i in items if keyfn(i) < k]
    page = items[:limit]
    nxt = make_cursor(order, keyfn(page[-1])) if len(items) > limit else None
    return page, nxt, None


def time_filters(q, prefix, value_of, items):
    out = items
    for op in ("gt", "gte", "lt", "lte"):
        k = "%s[%s]" % (prefix, op)
        if k not in q:
            continue
        try:
            t = parse_time(q[k][0])
        except ValueError:
            return None, error(400, "invalid_request_error", "%s: not an RFC 3339 time" % k)
        def keep(i, op=op, t=t):
            v = value_of(i)
            if v is None:
                return False
            v = parse_time(v)
            return {"gt": v > t, "gte": v >= t, "lt": v < t, "lte": v <= t}[op]
        out = [i for i in out if keep(i)]
    return out, None


def multi(q, name):
    return q.get(name + "[]", []) + q.get(name, [])


# ---- sessions ----

def session_public(s):
    return {k: v for k, v in s.items() if not k.startswith("_")}


def list_sessions(q):
    order = q.get("order", ["desc"])[0]
    items = sorted(sessions, key=lambda s: (s["created_at"], s["id"]))
    if "agent_id" in q:
        items = [s for s in items if s.get("agent", {}).get("id") == q["agent_id"][0]]
    items, err = time_filters(q, "created_at", lambda s: s["created_at"], items)
    if err:
        return err
    page, nxt, err = paginate(items, lambda s: [s["created_at"], s["id"]], order, q, 20, 1000)
    if err:
        return err
    return 200, {"data": [session_public(s) for s in page], "next_page": nxt, "prev_page": None}


def event_key(e, idx):
    pa = e.get("processed_at")
    return [parse_time(pa).timestamp() if pa else 1e18, idx]


def list_events(sess, q):
    order = q.get("order", ["asc"])[0]
    evs = sess["_events"]
    # queued events sort after every processed one
    indexed = sorted(range(len(evs)), key=lambda i: (evs[i].get("processed_at") is None,
                                                      parse_time(evs[i]["processed_at"]) if evs[i].get("processed_at") else 0, i))
    items = [(i, evs[i]) for i in indexed]
    types = multi(q, "types")
    if types:
        items = [(i, e) for i, e in items if e["type"] in types]
    filtered, err = time_filters(q, "created_at", lambda ie: ie[1].get("processed_at"), items)
    if err:
        return err
    page, nxt, err = paginate(filtered, lambda ie: event_key(ie[1], ie[0]), order, q, 1000, 1000)
    if err:
        return err
    data = []
    for i, e in page:
        pub = {k: v for k, v in e.items() if k not in ("queued", "processed_at_after")}
        if e.get("queued"):
            pub["processed_at"] = None
        data.append(pub)
    # a queued event is processed once it was listed, or once a listing of the
    # session ran to its end: the next listing shows it with its time
    done = [e for _, e in page] if nxt else evs
    for e in done:
        if e.get("queued"):
            e["processed_at"] = e.pop("processed_at_after", now())
            e.pop("queued")
    return 200, {"data": data, "next_page": nxt}


# ---- memory stores ----

def path_problem(p):
    if not isinstance(p, str) or not p.startswith("/") or len(p.encode("utf-8")) < 2:
        return "path must start with '/' and name a memory"
    if len(p.encode("utf-8")) > 1024:
        return "path longer than 1024 bytes"
    for seg in p[1:].split("/"):
        if seg in ("", ".", ".."):
            return "path has an empty, '.' or '..' segment"
    for ch in p:
        if unicodedata.category(ch) in ("Cc", "Cf") or ch in "\u2028\u2029":
            return "path holds a control or format character"
    if not unicodedata.is_normalized("NFC", p):
        return "path must be NFC-normalized"
    return None


def memory_view(m, full):
    out = {k: v for k, v in m.items()}
    if not full:
        out["content"] = None
    return out


def add_version(st, m, op, actor):
    v = {"type": "memory_version", "id": new_id("memver_"), "memory_id": m["id"],
         "memory_store_id": m["memory_store_id"], "operation": op, "path": m["path"],
         "content": None if op == "deleted" else m["content"],
         "content_sha256": None if op == "deleted" else m["content_sha256"],
         "content_size_bytes": None if op == "deleted" else m["content_size_bytes"],
         "created_at": now(), "created_by": actor, "redacted_at": None, "redacted_by": None}
    st["versions"].append(v)
    m["memory_version_id"] = v["id"]
    return v


def set_content(m, content):
    m["content"] = content
    m["content_sha256"] = sha(content)
    m["content_size_bytes"] = len(content.encode("utf-8"))
    m["updated_at"] = now()


def check_content(content):
    if not isinstance(content, str):
        return error(400, "invalid_request_error", "content: must be a string")
    if len(content.encode("utf-8")) > MAX_CONTENT:
        return error(400, "invalid_request_error", "content: larger than 102400 bytes")
    return None


def by_path(st, path):
    for m in st["memories"].values():
        if m["path"] == path:
            return m
    return None


def create_memory(st, body, q, actor):
    path, content = body.get("path"), body.get("content")
    why = path_problem(path)
    if why:
        return error(400, "invalid_request_error", why)
    err = check_content(content)
    if err:
        return err
    other = by_path(st, path)
    if other:
        return error(409, "memory_path_conflict_error", "a memory already exists at this path",
                     {"conflicting_memory_id": other["id"], "conflicting_path": path})
    m = {"type": "memory", "id": new_id("mem_"), "memory_store_id": st["store"]["id"], "path": path,
         "created_at": now()}
    set_content(m, content)
    st["memories"][m["id"]] = m
    add_version(st, m, "created", actor)
    return 200, memory_view(m, q.get("view", ["basic"])[0] == "full")


def update_memory(st, m, body, q, actor):
    content = body.get("content", m["content"])
    path = body.get("path", m["path"])
    full = q.get("view", ["basic"])[0] == "full"
    pre = body.get("precondition")
    if pre is not None:
        if not isinstance(pre, dict) or pre.get("type") != "content_sha256":
            return error(400, "invalid_request_error", "precondition: unknown type")
        if pre.get("content_sha256") != m["content_sha256"]:
            if content == m["content"] and path == m["path"]:
                return 200, memory_view(m, full)  # already in the requested state
            return error(409, "memory_precondition_failed_error", "content_sha256 does not match")
    why = path_problem(path)
    if why:
        return error(400, "invalid_request_error", why)
    err = check_content(content)
    if err:
        return err
    if path != m["path"]:
        other = by_path(st, path)
        if other:
            return error(409, "memory_path_conflict_error", "a memory already exists at this path",
                         {"conflicting_memory_id": other["id"], "conflicting_path": path})
    if content == m["content"] and path == m["path"]:
        return 200, memory_view(m, full)  # a no-op makes no version
    m["path"] = path
    set_content(m, content)
    add_version(st, m, "modified", actor)
    return 200, memory_view(m, full)


def delete_memory(st, m, q, actor):
    exp = q.get("expected_content_sha256", [None])[0]
    if exp is not None and exp != m["content_sha256"]:
        return error(409, "memory_precondition_failed_error", "expected_content_sha256 does not match")
    del st["memories"][m["id"]]
    add_version(st, m, "deleted", actor)
    return 200, {"id": m["id"], "type": "memory_deleted"}


def list_memories(st, q):
    view = q.get("view", ["basic"])[0]
    full = view == "full"
    if full and "limit" in q and int(q["limit"][0]) > 20:
        return error(400, "invalid_request_error", "limit: at most 20 with view=full")
    prefix = q.get("path_prefix", [""])[0]
    if prefix and not prefix.endswith("/"):
        return error(400, "invalid_request_error", "path_prefix must end with '/'")
    items = sorted([m for m in st["memories"].values() if m["path"].startswith(prefix)],
                   key=lambda m: m["path"])
    page, nxt, err = paginate(items, lambda m: m["path"], "asc", q, 20, 20 if full else 100)
    if err:
        return err
    return 200, {"data": [memory_view(m, full) for m in page], "next_page": nxt}


def list_versions(st, q):
    items = list(enumerate(st["versions"]))
    if "memory_id" in q:
        items = [(i, v) for i, v in items if v["memory_id"] == q["memory_id"][0]]
    full = q.get("view", ["basic"])[0] == "full"
    page, nxt, err = paginate(items, lambda iv: iv[0], "desc", q, 20, 100)
    if err:
        return err
    data = []
    for _, v in page:
        d = dict(v)
        if not full:
            d["content"] = None
        data.append(d)
    return 200, {"data": data, "next_page": nxt}


def redact_version(st, vid, actor):
    for v in st["versions"]:
        if v["id"] == vid:
            live = st["memories"].get(v["memory_id"])
            if live and live["memory_version_id"] == vid:
                return error(400, "invalid_request_error",
                             "the current version of a live memory cannot be redacted")
            if v["redacted_at"] is None:
                v.update({"content": None, "content_sha256": None, "content_size_bytes": None,
                          "path": None, "redacted_at": now(), "redacted_by": actor})
            return 200, v
    return error(404, "not_found_error", "no such memory version")


def route(method, parts, q, body, headers):
    """parts: path split on '/', after 'v1'."""
    if parts[0] == "sessions":
        if parts == ["sessions"] and method == "GET":
            return list_sessions(q)
        sess = next((s for s in sessions if s["id"] == parts[1]), None) if len(parts) > 1 else None
        if not sess:
            return error(404, "not_found_error", "no such session")
        if len(parts) == 2 and method == "GET":
            return 200, session_public(sess)
        if parts[2:] == ["events"] and method == "GET":
            return list_events(sess, q)
        return error(404, "not_found_error", "not served by the test double")
    if parts[0] == "memory_stores":
        actor = {"type": "api_actor", "api_key_id": "apikey_01test"}
        if len(parts) < 2:
            return error(404, "not_found_error", "not served by the test double")
        st = stores.get(parts[1])
        if not st:
            return error(404, "not_found_error", "no such memory store")
        rest = parts[2:]
        if rest == [] and method == "GET":
            return 200, st["store"]
        if rest == ["memories"] and method == "POST":
            return create_memory(st, body, q, actor)
        if rest == ["memories"] and method == "GET":
            return list_memories(st, q)
        if len(rest) == 2 and rest[0] == "memories":
            m = st["memories"].get(rest[1])
            if not m:
                return error(404, "not_found_error", "no such memory")
            if method == "GET":
                return 200, memory_view(m, q.get("view", ["full"])[0] == "full")
            if method in ("POST", "PATCH"):
                return update_memory(st, m, body, q, actor)
            if method == "DELETE":
                return delete_memory(st, m, q, actor)
        if rest == ["memory_versions"] and method == "GET":
            return list_versions(st, q)
        if len(rest) == 3 and rest[0] == "memory_versions" and rest[2] == "redact" and method == "POST":
            return redact_version(st, rest[1], actor)
        return error(404, "not_found_error", "not served by the test double")
    return error(404, "not_found_error", "not served by the test double")


def control(method, parts, body):
    if parts == ["faults"] and method == "POST":
        faults[:] = body  # replaces the faults set before
        return 200, {"faults": len(faults)}
    if parts == ["events"] and method == "POST":
        sess = next((s for s in sessions if s["id"] == body["session_id"]), None)
        if not sess:
            add_session({"id": body["session_id"], "agent": body.get("agent", {}),
                         "created_at": body.get("created_at", now())})
            sess = sessions[-1]
        for e in body["events"]:
            add_event(sess, e)
        return 200, {"events": len(sess["_events"])}
    if parts == ["agent_write"] and method == "POST":
        st = stores[body["store"]]
        actor = {"type": "session_actor", "session_id": body.get("session_id", "sesn_agent")}
        m = by_path(st, body["path"])
        if m:
            return update_memory(st, m, {"content": body["content"]}, {}, actor)
        return create_memory(st, {"path": body["path"], "content": body["content"]}, {}, actor)
    if len(parts) == 2 and parts[0] == "stores" and method == "GET":
        st = stores[parts[1]]
        return 200, {"memories": {m["path"]: m for m in st["memories"].values()},
                     "versions": st["versions"]}
    return 404, {"error": "no such control"}


class H(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *a):
        pass

    def handle_any(self, method):
        u = urlsplit(self.path)
        q = parse_qs(u.query, keep_blank_values=True)
        q.pop("beta", None)  # SDKs append ?beta=true
        n = int(self.headers.get("content-length", 0) or 0)
        raw = self.rfile.read(n) if n else b""
        try:
            body = json.loads(raw) if raw else {}
        except ValueError:
            body = None
        parts = [p for p in u.path.split("/") if p]
        if parts[:1] == ["_control"]:
            with lock:
                status, obj = control(method, parts[1:], body)
            return self.reply(status, obj)
        if args.delay_ms:
            time.sleep(args.delay_ms / 1000.0)
        extra = {}
        with lock:
            status, obj = self.api(method, parts, q, body, raw, extra)
            hdrs = {k.lower(): ("<present>" if k.lower() == "x-api-key" else v)
                    for k, v in self.headers.items()}
            with open(args.log, "a") as f:
                f.write(json.dumps({"method": method, "path": u.path, "query": u.query,
                                    "headers": hdrs, "status": status, "body_bytes": len(raw)}) + "\n")
        self.reply(status, obj, extra)

    def api(self, method, parts, q, body, raw, extra):
        for f in faults:
            p = self.path.split("?")[0]
            hit = p == f["path"] if "path" in f else p.startswith(f.get("prefix", "/"))
            if f.get("count", 1) > 0 and f.get("method", method) == method and hit:
                f["count"] = f.get("count", 1) - 1
                st = f["status"]
                if "body" in f:  # a fixed answer, e.g. a stale empty listing
                    return st, f["body"]
                if st == 429:
                    extra["retry-after"] = str(f.get("retry_after", 1))
                    return error(429, "rate_limit_error", "rate limited")
                if st == 529:
                    return error(529, "overloaded_error", "overloaded")
                return error(st, "api_error", "injected failure")
        key = self.headers.get("x-api-key")
        if args.forbidden_key and key == args.forbidden_key:
            return error(403, "permission_error", "this key may not use this workspace")
        if key != args.key:
            return error(401, "authentication_error", "invalid x-api-key")
        if self.headers.get("anthropic-version") != "2023-06-01":
            return error(400, "invalid_request_error", "anthropic-version: must be 2023-06-01")
        betas = [b.strip() for h in self.headers.get_all("anthropic-beta", []) for b in h.split(",") if b.strip()]
        if parts[:1] != ["v1"] or len(parts) < 2:
            return error(404, "not_found_error", "not found")
        if parts[1] == "sessions" and BETA_SESSIONS not in betas:
            return error(400, "invalid_request_error", "anthropic-beta: %s required" % BETA_SESSIONS)
        if parts[1] == "memory_stores":
            if BETA_SESSIONS in betas and BETA_MEMORY in betas:
                return error(400, "invalid_request_error",
                             "anthropic-beta: send %s or %s, not both" % (BETA_MEMORY, BETA_SESSIONS))
            if BETA_SESSIONS not in betas and BETA_MEMORY not in betas:
                return error(400, "invalid_request_error", "anthropic-beta: %s required" % BETA_MEMORY)
        if body is None:
            return error(400, "invalid_request_error", "body: not JSON")
        if raw and self.headers.get("content-type", "").split(";")[0] != "application/json":
            return error(400, "invalid_request_error", "content-type: must be application/json")
        return route(method, parts[1:], q, body, self.headers)

    def reply(self, status, obj, headers=None):
        data = json.dumps(obj).encode()
        try:
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(data)))
            for k, v in (headers or {}).items():
                self.send_header(k, v)
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass

    def do_GET(self):
        self.handle_any("GET")

    def do_POST(self):
        self.handle_any("POST")

    def do_DELETE(self):
        self.handle_any("DELETE")

    def do_PATCH(self):
        self.handle_any("PATCH")


srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
print(srv.server_address[1], flush=True)
threading.Timer(args.lifetime, srv.shutdown).start()
srv.serve_forever()
