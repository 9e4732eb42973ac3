"""Cross-app imports made inside functions (ARCHITECTURE.md: none, not even to dodge a
circle; inside one app a task may import its service lazily).

    python scripts/function_imports.py          lists them, exits 1 if there are any
"""

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = sorted(p.name for p in ROOT.iterdir() if (p / "apps.py").exists() or p.name == "config")


def imported_app(node: ast.AST) -> str | None:
    if isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
        return node.module.split(".")[0]
    if isinstance(node, ast.Import):
        return node.names[0].name.split(".")[0]
    return None


def function_imports() -> list[str]:
    found = []
    for app in APPS:
        for path in sorted((ROOT / app).rglob("*.py")):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text(), filename=str(path))
            for function in ast.walk(tree):
                if not isinstance(function, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    continue
                for node in ast.walk(function):
                    other = imported_app(node)
                    if other in APPS and other != app:
                        found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {other}")
    return sorted(set(found))


if __name__ == "__main__":
    imports = function_imports()
    for line in imports:
        print(line)
    print(f"{len(imports)} cross-app imports inside functions")
    sys.exit(1 if imports else 0)
