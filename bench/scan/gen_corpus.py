#!/usr/bin/env python3
"""Writes a mixed corpus for the scan benchmark: source code, logs and prose
in many files, with secrets and PII planted from the labelled positives in
tests/fixtures/rules (the <<J>> split markers removed). Deterministic.
usage: gen_corpus.py OUTDIR MEGABYTES [PLANT_RATE]"""
import json, os, random, sys

out, mb = sys.argv[1], int(sys.argv[2])
rate = float(sys.argv[3]) if len(sys.argv) > 3 else 0.02
src = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..', 'tests', 'fixtures', 'rules')
plants = [json.loads(l)['text'].replace('<<J>>', '') for l in open(os.path.join(src, 'positives.jsonl'))]
rnd = random.Random(7)
words = ('the of and to in is that for it as was with be by on not he this are or his from at which '
         'but have an they you were her all she there would their we him been has when who will more no '
         'if out so said what up its about into than them can only other new some could time these two '
         'may then do first any my now such like our over man me even most made after also did many '
         'before must through back years where much your way well down should because each just those '
         'people how too little state good very make world still own see men work long get here between '
         'both life being under never day same another know while last might us great old year off come '
         'since against go came right used take three memory agent session dream review store commit '
         'branch deploy server request config token value cache index query result error retry timeout').split()
idents = ['user', 'count', 'buf', 'len', 'result', 'config', 'session', 'handler', 'item', 'index', 'node',
          'value', 'key', 'name', 'path', 'offset', 'size', 'ctx', 'state', 'events', 'store', 'memory']

def prose():
    s = []
    for _ in range(rnd.randint(3, 8)):
        n = rnd.randint(6, 20)
        w = [rnd.choice(words) for _ in range(n)]
        s.append(' '.join(w).capitalize() + '.')
    return ' '.join(s) + '\n\n'

def code():
    f = rnd.choice(idents) + '_' + rnd.choice(idents)
    a, b = rnd.choice(idents), rnd.choice(idents)
    lines = [f'static int {f}(struct {a} *{a}, size_t {b})', '{']
    for _ in range(rnd.randint(4, 14)):
        x, y = rnd.choice(idents), rnd.choice(idents)
        lines.append(rnd.choice([f'        if ({x}->{y} > {rnd.randint(0, 4096)})', f'                return {x}_{y}({a}, {b});',
                                 f'        {x} = {y} + {rnd.randint(1, 99)};', f'        /* {prose()[:60].strip()} */',
                                 f'        for (size_t i = 0; i < {b}; i++)', f'                {x}[i] = {y}[i] ^ 0x{rnd.randrange(256):02x};']))
    lines += ['        return 0;', '}', '', '']
    return '\n'.join(lines)

def log():
    lines = []
    for _ in range(rnd.randint(5, 20)):
        ts = f'2026-11-{rnd.randint(1, 28):02d}T{rnd.randint(0, 23):02d}:{rnd.randint(0, 59):02d}:{rnd.randint(0, 59):02d}.{rnd.randint(0, 999):03d}Z'
        lvl = rnd.choice(['INFO', 'INFO', 'INFO', 'DEBUG', 'WARN', 'ERROR'])
        rid = '%08x-%04x-4%03x-a%03x-%012x' % (rnd.getrandbits(32), rnd.getrandbits(16), rnd.getrandbits(12), rnd.getrandbits(12), rnd.getrandbits(48))
        lines.append(f'{ts} {lvl} [{rnd.choice(idents)}] request_id={rid} status={rnd.choice([200, 200, 201, 404, 500])} '
                     f'latency_ms={rnd.randint(1, 900)} path=/api/v1/{rnd.choice(idents)}/{rnd.randint(1, 99999)} '
                     f'sha={rnd.getrandbits(160):040x}')
    return '\n'.join(lines) + '\n'

os.makedirs(out, exist_ok=True)
target = mb * 1024 * 1024
total = 0
n = 0
planted = 0
while total < target:
    kind = rnd.choice(['c', 'log', 'md'])
    gen = {'c': code, 'log': log, 'md': prose}[kind]
    parts, size = [], 0
    while size < 100 * 1024:
        p = gen()
        if rnd.random() < rate:
            p += rnd.choice(plants) + '\n'
            planted += 1
        parts.append(p)
        size += len(p)
    data = ''.join(parts).encode()
    sub = os.path.join(out, f'd{n // 100:03d}')
    os.makedirs(sub, exist_ok=True)
    with open(os.path.join(sub, f'f{n:05d}.{kind}'), 'wb') as f:
        f.write(data)
    total += len(data)
    n += 1
print(f'{n} files, {total} bytes, {planted} planted findings')
