#!/usr/bin/env python3
"""Events and memories for the dreaming benchmark. Deterministic.

  gen.py events N OUT [FIRST_SESSION]   N managed-agents events in sessions of 100,
                                        each line naming its session (session_id)
  gen.py memories M OUT                 M memory texts, one per line

Text comes from a vocabulary of 20,000 made-up words, so candidates and
memories are as varied as real ones; about 1 user message in 40 asks for
something to be remembered, 1 in 60 corrects the agent, and 1 tool call in
50 fails and is fixed by a variant."""
import json, random, sys

rnd = random.Random(11)
syll = ["ka", "lo", "mi", "ne", "su", "ta", "ri", "po", "de", "fa", "gu", "he", "ji", "vo", "ze", "bra", "tri", "sto"]
vocab = sorted({"".join(rnd.choice(syll) for _ in range(rnd.randint(2, 4))) for _ in range(30000)})[:20000]
def words(k):
    return " ".join(rnd.choice(vocab) for _ in range(k))

if sys.argv[1] == "memories":
    m, out = int(sys.argv[2]), sys.argv[3]
    with open(out, "w") as f:
        for i in range(m):
            f.write(f"Always {words(3)} before {words(3)}.\n")
    sys.exit(0)

n, out = int(sys.argv[2]), sys.argv[3]
first = int(sys.argv[4]) if len(sys.argv) > 4 else 0
with open(out, "w") as f:
    i = 0
    while i < n:
        sid = f"sesn_bench{first + i // 100:08d}"
        k = i % 10
        ts = f"2026-10-{1 + (i // 3_000_000) % 28:02d}T{(i // 100_000) % 24:02d}:{(i // 1000) % 60:02d}:{(i // 10) % 60:02d}.{i % 1000:03d}Z"
        e = {"session_id": sid, "id": f"sevt_d{first}_{i:010d}", "processed_at": ts}
        if k in (0, 5):
            r = rnd.random()
            if r < 1 / 40:
                text = f"Remember: always {words(3)} before {words(3)}."
            elif r < 1 / 40 + 1 / 60:
                text = f"No, don't {words(2)}. Use {words(3)} instead."
            elif r < 0.3:
                text = "Thanks!"
            else:
                text = f"Please {words(6)} and {words(4)}?"
            e.update(type="user.message", content=[{"type": "text", "text": text}])
        elif k in (1, 6):
            e.update(type="agent.tool_use", name="bash", input={"command": f"{words(1)} {words(2)}"})
        elif k in (2, 7):
            fail = rnd.random() < 1 / 50
            e.update(type="agent.tool_result", tool_use_id=f"sevt_d{first}_{i - 1:010d}", is_error=fail,
                     content=[{"type": "text", "text": f"error: {words(4)} not found" if fail else words(12)}])
        else:
            e.update(type="agent.message", content=[{"type": "text", "text": words(15)}])
        f.write(json.dumps(e, separators=(",", ":")) + "\n")
        i += 1
