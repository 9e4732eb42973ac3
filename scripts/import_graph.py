"""The apps' import graph by layer: how many imports each app makes of each other app, and
any that point up or sideways (there must be none; `lint-imports` fails on them).

    python scripts/import_graph.py

The layers are the layers contract's in pyproject.toml, so there is one list of them.
"""

import sys
import tomllib
from pathlib import Path

import grimp

ROOT = Path(__file__).resolve().parent.parent


def layers() -> dict[str, int]:
    """Each app's layer, from the layers contract in pyproject.toml (the bottom app is 1)."""
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]
    contract = next(c for c in config["contracts"] if c["type"] == "layers")
    top_down = [[app.strip() for app in layer.split("|")] for layer in contract["layers"]]
    return {app: len(top_down) - n for n, apps in enumerate(top_down) for app in apps}


def main() -> int:
    level = layers()
    apps = sorted(level, key=lambda app: (level[app], app))
    sys.path.insert(0, str(ROOT))
    graph = grimp.build_graph(*apps)
    wrong = []
    for app in apps:
        counts = {}
        for other in apps:
            if other != app:
                found = graph.find_matching_direct_imports(
                    import_expression=f"{app}.** -> {other}.**"
                )
                if found:
                    counts[other] = len(found)
                    if level[other] >= level[app]:
                        wrong.append(f"{app} -> {other} ({len(found)})")
        shown = ", ".join(f"{other} {n}" for other, n in counts.items()) or "nothing"
        print(f"layer {level[app] - 1}  {app:12} imports {shown}")
    print(f"imports that point up or sideways: {len(wrong)}", *wrong, sep="\n  ")
    return 1 if wrong else 0


if __name__ == "__main__":
    sys.exit(main())
