#!/usr/bin/env python3
"""File-level import cycles among the Rust sources under a folder.

Usage: .ci/cycles.py [ROOT=src] [SCOPE=src/results] [--no-parent]   (CI: src src --no-parent)
A file depends on another when it names that file's module in a `use` or a path
(`crate::..`, `super::..`, a child module). With --no-parent, a child naming its own
parent module (`super::Item` from below) is not counted. Exit 1 when a cycle is found.
A regex reading of the source, not rustc's: good enough to keep module seams honest.
"""
import os, re, sys

root = sys.argv[1] if len(sys.argv) > 1 else "src"
scope = sys.argv[2] if len(sys.argv) > 2 else "src/results"
skip_parent = "--no-parent" in sys.argv

mods = {}  # module path tuple -> file
for d, _, fs in os.walk(root):
    for f in fs:
        if not f.endswith(".rs"): continue
        p = os.path.join(d, f)
        rel = os.path.relpath(p, root)[:-3].split(os.sep)
        if rel[-1] == "mod": rel = rel[:-1]
        if rel in (["lib"], ["main"]): rel = []
        mods[tuple(["crate"] + rel)] = p

def strip(src):
    src = re.sub(r'//[^\n]*', '', src)
    src = re.sub(r'/\*.*?\*/', '', src, flags=re.S)
    src = re.sub(r'r#*"(?:.|\n)*?"#*', '""', src)
    src = re.sub(r'"(?:\\.|[^"\\])*"', '""', src)
    src = re.sub(r"b?'(?:\\.|[^'\\])'", "''", src)
    return src

def expand_use(tree):
    # a::b::{c, d::{e}} -> [a::b::c, a::b::d::e]
    tree = tree.replace(" ", "").replace("\n", "")
    def rec(prefix, t):
        out = []
        depth, cur, parts = 0, "", []
        for ch in t:
            if ch == "{": depth += 1
            if ch == "}": depth -= 1
            if ch == "," and depth == 0:
                parts.append(cur); cur = ""
            else: cur += ch
        parts.append(cur)
        for part in parts:
            if not part: continue
            m = re.match(r'^(.*?)::\{(.*)\}$', part, re.S)
            if m:
                out += rec(prefix + m.group(1).split("::"), m.group(2))
            elif part.startswith("{") and part.endswith("}"):
                out += rec(prefix, part[1:-1])
            else:
                part = re.sub(r'as\w+$', '', part) if "as" in part and re.search(r'::\w+as\w+$', part) else part
                out.append(prefix + part.split("::"))
        return out
    return rec([], tree)

def resolve(cur, path):
    cur = list(cur)
    path = [p for p in path if p]
    if not path: return None
    if path[0] == "crate": base, rest = ["crate"], path[1:]
    elif path[0] in ("super", "self"):
        base = cur
        rest = path
        while rest and rest[0] in ("super", "self"):
            if rest[0] == "super": base = base[:-1]
            rest = rest[1:]
    else:
        base, rest = cur, path  # a child module or an item used by a bare path
        if tuple(cur + [path[0]]) not in mods: return None
    full = base + rest
    for n in range(len(full), 0, -1):
        if tuple(full[:n]) in mods: return tuple(full[:n])
    return None

edges = {}
for m, p in mods.items():
    if not p.startswith(scope): continue
    src = strip(open(p).read())
    # drop inline test modules
    src = re.split(r'#\[cfg\(test\)\]\s*mod\s+tests\s*\{', src)[0]
    if re.search(r'(^|/)tests?\.rs$|equivalence\.rs$', p): continue
    targets = set()
    for u in re.finditer(r'\buse\s+([^;]+);', src):
        for path in expand_use(u.group(1)):
            r = resolve(m, path)
            if r: targets.add(r)
    for q in re.finditer(r'\b((?:\w+::)+\w+)', src):
        r = resolve(m, q.group(1).split("::"))
        if r: targets.add(r)
    targets.discard(m)
    if skip_parent:
        targets = {t for t in targets if not (len(t) < len(m) and m[:len(t)] == t)}
    edges[m] = {t for t in targets if mods[t].startswith(scope)}

# Tarjan SCC
index, low, stack, on, sccs, i = {}, {}, [], set(), [], [0]
sys.setrecursionlimit(10000)
def sc(v):
    index[v] = low[v] = i[0]; i[0] += 1; stack.append(v); on.add(v)
    for w in edges.get(v, ()):
        if w not in index: sc(w); low[v] = min(low[v], low[w])
        elif w in on: low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: sccs.append(comp)
for v in edges:
    if v not in index: sc(v)
print(f"{len(edges)} files under {scope}; edges to a parent module {'ignored' if skip_parent else 'counted'}")
if not sccs: print("no cycles")
for c in sccs:
    files = sorted(mods[x] for x in c)
    print(f"cycle among {len(files)} files:")
    for f in files:
        m = [k for k, v in mods.items() if v == f][0]
        print("   ", f, "->", sorted(os.path.basename(mods[t]) if not mods[t].endswith('mod.rs') else mods[t] for t in edges[m] if t in c))
sys.exit(1 if sccs else 0)
