#!/usr/bin/env python3
"""Writes a git fast-import stream of a curator memory store: an initial
commit (OWNERS, README.md) like `curator init`'s, then one commit per
approved change, each a valid curator memory file with canonical front
matter, authored by an approver, with curator's trailers.

    gen.py NCOMMITS NMEMORIES NSUBJECT SUBJECT PATHS_OUT > stream

The first NMEMORIES commits add one memory each; the rest update a memory
chosen at random. NSUBJECT memories mention SUBJECT in their first version
(and in some later ones). PATHS_OUT gets the paths of those memories (what
git filter-repo is told to remove). Deterministic: the same arguments give
the same stream."""
import random
import sys
import time

NCOMMITS, NMEM, NSUBJ = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
SUBJECT, PATHS_OUT = sys.argv[4], sys.argv[5]
rng = random.Random(42)
NSCOPES = 20
T0 = int(time.mktime((2025, 1, 1, 0, 0, 0, 0, 0, 0)))
YEAR = 365 * 86400
APPROVERS = ["priya", "sam", "alice", "omar", "li"]
WORDS = ("deploy cache invoice refund staging release branch tests schema backup "
         "customer ticket queue retry timeout webhook migration index search owner "
         "report weekly nightly region latency budget alert rotation secret vault").split()
out = sys.stdout.buffer


def ts(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime(t))


def data(b):
    out.write(b"data %d\n" % len(b))
    out.write(b)
    out.write(b"\n")


def sentence(n):
    return " ".join(rng.choice(WORDS) for _ in range(n))


ids = ["mem-%016x" % rng.getrandbits(64) for _ in range(NMEM)]
scopes = ["scope-%02d" % (i % NSCOPES) for i in range(NMEM)]
subject_of = set(rng.sample(range(NMEM), NSUBJ))
paths = []
for i, mid in enumerate(ids):
    slug = "-".join(sentence(4).split())[:40]
    paths.append("memories/%s/%s-%s.md" % (scopes[i], slug, mid[4:]))
created = [0] * NMEM


def memory_file(i, t, version):
    body = "Note %d v%d: %s." % (i, version, sentence(rng.randint(12, 30)).capitalize())
    if i in subject_of and (version == 1 or rng.random() < 0.3):
        body += " Ask %s before changing this." % SUBJECT
    fm = ("---\nid: %s\nscope: %s\nowner: @admins\nretention: standard\ncreated: %s\n"
          "updated: %s\nexpires: %s\nlegal_hold: false\nsources:\n  - sesn_%04d/sevt_%06d\n"
          "tags: []\n---\n%s\n") % (ids[i], scopes[i], ts(created[i]), ts(t), ts(t + YEAR),
                                   i % 997, rng.getrandbits(20), body)
    return fm.encode()


owners = b"# Who approves what (CODEOWNERS syntax).\n* @admins\n"
readme = b"# curator memory store\n\nThis repository is written by curator.\n"
out.write(b"commit refs/heads/main\nmark :1\n")
out.write(b"author curator <curator@curator.invalid> %d +0000\n" % T0)
out.write(b"committer curator <curator@curator.invalid> %d +0000\n" % T0)
data(b"Create the memory store\n\nOWNERS gives every path to @admins.\n")
out.write(b"M 100644 inline OWNERS\n")
data(owners)
out.write(b"M 100644 inline README.md\n")
data(readme)
version = [0] * NMEM
for n in range(1, NCOMMITS):
    t = T0 + n * 60
    i = n - 1 if n <= NMEM else rng.randrange(NMEM)
    if version[i] == 0:
        created[i] = t
    version[i] += 1
    who = rng.choice(APPROVERS)
    msg = ("Approve memory changes in scope %s\n\nApproves hunk 1 of diff %d (1 change).\n\n"
           "Diff-Id: %d\nDream-Run: %d\nEvidence: sesn_%04d/sevt_%06d\nApproved-By: %s\n") % (
        scopes[i], n, n, n // 50 + 1, i % 997, n, who)
    out.write(b"commit refs/heads/main\nmark :%d\n" % (n + 1))
    out.write(b"author %s <%s@curator.invalid> %d +0000\n" % (who.encode(), who.encode(), t))
    out.write(b"committer curator <curator@curator.invalid> %d +0000\n" % t)
    data(msg.encode())
    out.write(b"from :%d\n" % n)
    out.write(b"M 100644 inline %s\n" % paths[i].encode())
    data(memory_file(i, t, version[i]))
with open(PATHS_OUT, "w") as f:
    for i in sorted(subject_of):
        f.write(paths[i] + "\n")
