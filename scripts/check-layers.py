#!/usr/bin/env python3
"""The crates are layered along the data (docs/development.md#crate-graph): a crate may
depend only on crates of a lower layer. Reads `cargo metadata` and fails, naming the
edge, on an upward or same-layer dependency, and when chainstat-chain or chainstat-gen
pull in DataFusion. Prints the graph as Markdown with --markdown."""
import json
import subprocess
import sys

# Lower number = lower layer.
LAYERS = {
    "chainstat-chain": 0,
    "chainstat-functions": 1,
    "chainstat-io": 1,
    "chainstat-gen": 1,
    "chainstat-engine": 2,
    "chainstat-cluster": 3,
    "chainstat-job": 4,
    "chainstat-accuracy": 5,
    "chainstat": 6,
}
NO_DATAFUSION = ["chainstat-chain", "chainstat-gen"]


def main() -> int:
    meta = json.loads(
        subprocess.run(
            ["cargo", "metadata", "--format-version", "1", "--offline"],
            check=True, capture_output=True, text=True,
        ).stdout
    )
    ids = {p["id"]: p["name"] for p in meta["packages"]}
    deps = {}
    for node in meta["resolve"]["nodes"]:
        name = ids[node["id"]]
        kinds = lambda d: {k.get("kind") for k in d["dep_kinds"]}
        deps[name] = sorted(
            ids[d["pkg"]] for d in node["deps"] if None in kinds(d)  # normal deps only
        )
    errors = []
    for crate, layer in LAYERS.items():
        for dep in deps.get(crate, []):
            if dep in LAYERS and LAYERS[dep] >= layer:
                errors.append(f"{crate} (layer {layer}) depends on {dep} (layer {LAYERS[dep]})")
    for crate in NO_DATAFUSION:
        seen, todo = set(), [crate]
        while todo:
            c = todo.pop()
            for d in deps.get(c, []):
                if d not in seen:
                    seen.add(d)
                    todo.append(d)
        if any(d.startswith("datafusion") for d in seen):
            errors.append(f"{crate} depends on DataFusion")
    if "--markdown" in sys.argv:
        for crate in sorted(LAYERS, key=lambda c: (LAYERS[c], c)):
            inner = [d for d in deps.get(crate, []) if d in LAYERS]
            print(f"| {LAYERS[crate]} | `{crate}` | {', '.join(f'`{d}`' for d in inner) or '—'} |")
    for e in errors:
        print(f"layering: {e}", file=sys.stderr)
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
