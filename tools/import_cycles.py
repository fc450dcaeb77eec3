"""Import cycles among product modules (top-level imports, incl. function-level)."""
import ast, sys
from pathlib import Path
roots = ["harvester", "spiders", "middlewares", "extensions", "pipelines"]
mods = {}
for root in roots:
    for path in Path(root).rglob("*.py"):
        name = ".".join(path.with_suffix("").parts)
        if name.endswith(".__init__"):
            name = name[: -len(".__init__")]
        mods[name] = path
graph = {m: set() for m in mods}
for m, path in mods.items():
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            subs = [f"{node.module}.{a.name}" for a in node.names if f"{node.module}.{a.name}" in mods]
            plain = [a for a in node.names if f"{node.module}.{a.name}" not in mods]
            targets = subs + ([node.module] if plain else [])
        for t in targets:
            if t in mods and t != m:
                graph[m].add(t)
# Tarjan SCC
index, low, stack, on, sccs, i = {}, {}, [], set(), [], [0]
sys.setrecursionlimit(10000)
def strong(v):
    index[v] = low[v] = i[0]; i[0] += 1; stack.append(v); on.add(v)
    for w in graph[v]:
        if w not in index:
            strong(w); low[v] = min(low[v], low[w])
        elif w in on:
            low[v] = min(low[v], index[w])
    if low[v] == index[v]:
        comp = []
        while True:
            w = stack.pop(); on.discard(w); comp.append(w)
            if w == v: break
        if len(comp) > 1: sccs.append(sorted(comp))
for v in graph:
    if v not in index: strong(v)
for c in sccs: print(len(c), c)
print("cycles:", len(sccs))
