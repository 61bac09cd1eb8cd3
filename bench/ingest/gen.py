#!/usr/bin/env python3
"""Writes N managed-agents events (JSON Lines) for the ingest benchmark: a mix
of user and agent messages, tool calls and results (some failing), as one
session file. Deterministic for a given N."""
import json, random, sys

n = int(sys.argv[1]); out = sys.argv[2]
rnd = random.Random(42)
words = ("deploy build test cache retry branch release lint docs invoice cart order "
         "refund customer timeout module install package config server request").split()
def sentence(k):
    return " ".join(rnd.choice(words) for _ in range(k)).capitalize() + "."
with open(out, "w") as f:
    for i in range(n):
        h, rem = divmod(i, 3600 * 1000)
        ts = f"2026-10-{1 + (i // 2_000_000) % 28:02d}T{(i // 100_000) % 24:02d}:{(i // 1000) % 60:02d}:{(i // 10) % 60:02d}.{i % 1000:03d}Z"
        k = i % 5
        e = {"id": f"sevt_bench{i:012d}", "processed_at": ts}
        if k == 0:
            e.update(type="user.message", content=[{"type": "text", "text": sentence(14)}])
        elif k == 1:
            e.update(type="agent.tool_use", name="bash", input={"command": f"make {rnd.choice(words)} -j2", "timeout": 120})
        elif k == 2:
            e.update(type="agent.tool_result", tool_use_id=f"sevt_bench{i-1:012d}", is_error=(i % 7 == 0),
                     content=[{"type": "text", "text": sentence(20)}])
        elif k == 3:
            e.update(type="agent.message", content=[{"type": "text", "text": sentence(18)}, {"type": "text", "text": sentence(6)}])
        else:
            e.update(type="span.model_request_end", model_request_start_id=f"sevt_bench{i-4:012d}",
                     model_usage={"input_tokens": 1200 + i % 100, "output_tokens": 80})
        f.write(json.dumps(e, separators=(",", ":")) + "\n")
