#!/usr/bin/env python3
"""Prints curator's rule regexes as one rg -P pattern per line: the (?&lb) and
(?&rb) shorthands expanded exactly as curator expands them, named and
branch-reset groups made plain (rg joins the patterns into one alternation,
where names would clash), each pattern wrapped so its inline flags stay
inside it. usage: rg_patterns.py RULES_DIR"""
import glob, json, os, re, sys

LB = r'(?:(?<![A-Za-z0-9_])|(?<=\\[nrt]))'
RB = r'(?![A-Za-z0-9_])'
for path in sorted(glob.glob(os.path.join(sys.argv[1], '*.json'))):
    for r in json.load(open(path))['rules']:
        p = r['regex'].replace('(?&lb)', LB).replace('(?&rb)', RB)
        p = re.sub(r'\(\?<([A-Za-z_][A-Za-z0-9_]*)>', '(?:', p)
        p = p.replace('(?|', '(?:')
        p = p.replace(r'([- ])', '[- ]').replace(r'\1', '[- ]')
        print('(?:' + p + ')')
