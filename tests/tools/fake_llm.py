#!/usr/bin/env python3
"""A stand-in model endpoint for the llm dreamer's tests, on 127.0.0.1.

The first path segment picks the scenario: /ok/..., /malformed/..., /unknown-id/...,
/bad-evidence/..., /rate-limited/... (429 with retry-after once, then ok),
/flaky/... (500 then 529, then ok), /slow/... (answers after 5 s), /denied/... (401).
Both the Anthropic Messages shape and the OpenAI chat shape are answered (the
latter for paths containing 'chat'). The 'ok' answer proposes one add whose
evidence is the first event named in the prompt. Every request is logged, one
JSON line each, to the file named by --log (headers included, so the test can
check the key was sent). The server stops by itself after --lifetime seconds.
Prints the port it listens on."""
import argparse, json, re, sys, threading, time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

ap = argparse.ArgumentParser()
ap.add_argument("--log", required=True)
ap.add_argument("--lifetime", type=float, default=120)
args = ap.parse_args()
counts = {}
lock = threading.Lock()

def answer(path, prompt):
    m = re.search(r"^(\S+/\S+) user \[", prompt, re.M)
    ev = m.group(1) if m else "none/none"
    mem = re.search(r"id=(mem-[0-9a-f]{16})", prompt)
    ops = {"operations": [{"op": "add", "text": "Deploys go through `make ship`, never by hand.",
                           "rationale": "the user said so", "evidence": [ev], "confidence": 0.8,
                           "tags": ["deploy"]}]}
    if "unknown-id" in path:
        ops["operations"].append({"op": "update", "memory_id": "mem-ffffffffffffffff", "text": "x",
                                  "rationale": "r", "evidence": [ev], "confidence": 0.5})
    if "bad-evidence" in path:
        ops["operations"][0]["evidence"] = ["sesn_nowhere/sevt_none"]
    text = "Here you go:\n```json\n" + json.dumps(ops) + "\n```" if "malformed" not in path else "{\"operations\": [ {oops"
    return text

class H(BaseHTTPRequestHandler):
    def log_message(self, *a):
        pass
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("content-length", 0)))
        scenario = self.path.strip("/").split("/")[0]
        with lock:
            counts[scenario] = counts.get(scenario, 0) + 1
            n = counts[scenario]
            with open(args.log, "a") as f:
                f.write(json.dumps({"path": self.path, "n": n, "headers": dict(self.headers)}) + "\n")
        try:
            req = json.loads(body)
        except ValueError:
            return self.reply(400, {"type": "error", "error": {"type": "invalid_request_error", "message": "bad json"}})
        prompt = req["messages"][-1]["content"]
        if scenario == "denied":
            return self.reply(401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}})
        if scenario == "rate-limited" and n == 1:
            return self.reply(429, {"type": "error", "error": {"type": "rate_limit_error", "message": "slow down"}}, {"retry-after": "1"})
        if scenario == "flaky" and n <= 2:
            return self.reply(500 if n == 1 else 529, {"type": "error", "error": {"type": "api_error" if n == 1 else "overloaded_error", "message": "try later"}})
        if scenario == "slow":
            time.sleep(5)
        text = answer(self.path, prompt)
        if "chat" in self.path:
            out = {"id": "chatcmpl-1", "object": "chat.completion", "choices": [{"index": 0, "message": {"role": "assistant", "content": text}, "finish_reason": "stop"}],
                   "usage": {"prompt_tokens": 321, "completion_tokens": 45}}
        else:
            out = {"id": "msg_1", "type": "message", "role": "assistant", "model": req.get("model"),
                   "content": [{"type": "text", "text": text}], "stop_reason": "end_turn",
                   "usage": {"input_tokens": 1234, "output_tokens": 56}}
        self.reply(200, out)
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

srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
srv.daemon_threads = True
print(srv.server_address[1], flush=True)
threading.Timer(args.lifetime, srv.shutdown).start()
srv.serve_forever()
