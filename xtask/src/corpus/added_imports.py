"""Imports a rewrite added, and whether each resolves in the package tree.

Run by `cargo xtask corpus` (xtask/src/corpus/imports.rs) with the corpus venv's python.
stdin:  {"roots": [dir, ...], "files": [[original, rewritten, rel], ...]}
stdout: [{"file", "line", "statement", "joined", "resolves", "detail", "imports_back"}, ...]

An imported name counts as added when the rewritten file imports it more often than
the original did (any import statement, at any depth). `from a.b import n` resolves
when, under a root, `a/b/__init__.py` or `a/b.py` exists (folders without
`__init__.py` are namespace packages) and binds `n`, or `n` is a submodule of `a/b`.
Relative imports resolve from the rewritten file's folder; a file importing itself does
not resolve (the name is not bound yet while the module initialises). Star imports in the target
module are followed. `imports_back` flags a target module that imports the rewritten
module at its top level (one hop: a possible import cycle). Nothing is imported or
executed. Paths in `detail` are relative to the first root.
"""

import ast
import json
import os
import sys
import warnings
from collections import Counter

warnings.simplefilter("ignore")


def parse(path):
    try:
        with open(path, "rb") as f:
            return ast.parse(f.read(), filename=path)
    except (SyntaxError, ValueError, UnicodeDecodeError, RecursionError, MemoryError, OSError):
        return None


def imported(tree):
    """(key, line) per imported name; key = (kind, level, module, name, asname)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            for a in node.names:
                out.append((("from", node.level, node.module or "", a.name, a.asname), node.lineno))
        elif isinstance(node, ast.Import):
            for a in node.names:
                out.append((("import", 0, a.name, "", a.asname), node.lineno))
    return out


def statement(key):
    kind, level, module, name, asname = key
    alias = " as %s" % asname if asname else ""
    if kind == "import":
        return "import %s%s" % (module, alias)
    return "from %s%s import %s%s" % ("." * level, module, name, alias)


def store_names(target, names):
    for n in ast.walk(target):
        if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store):
            names.add(n.id)


def bind_statement(s, names, stars):
    if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        names.add(s.name)
        return
    if isinstance(s, ast.Assign):
        for t in s.targets:
            store_names(t, names)
    elif isinstance(s, (ast.AnnAssign, ast.AugAssign, ast.For, ast.AsyncFor)):
        store_names(s.target, names)
    elif isinstance(s, (ast.With, ast.AsyncWith)):
        for item in s.items:
            if item.optional_vars is not None:
                store_names(item.optional_vars, names)
    elif isinstance(s, ast.Import):
        for a in s.names:
            names.add(a.asname or a.name.split(".")[0])
    elif isinstance(s, ast.ImportFrom):
        for a in s.names:
            if a.name == "*":
                stars.append((s.level, s.module or ""))
            else:
                names.add(a.asname or a.name)
    for field in ("body", "orelse", "finalbody"):
        bind_body(getattr(s, field, []), names, stars)
    for h in getattr(s, "handlers", []):
        if h.name:
            names.add(h.name)
        bind_body(h.body, names, stars)
    for case in getattr(s, "cases", []):
        bind_body(case.body, names, stars)


def bind_body(body, names, stars):
    for s in body:
        bind_statement(s, names, stars)


def bindings(path, cache={}):
    """Names a module binds at its top level, and its star imports."""
    if path not in cache:
        names, stars = set(), []
        tree = parse(path)
        if tree is not None:
            bind_body(tree.body, names, stars)
            for n in ast.walk(tree):
                if isinstance(n, ast.Global):
                    names.update(n.names)
                elif isinstance(n, ast.NamedExpr):
                    store_names(n.target, names)
        cache[path] = (names, stars)
    return cache[path]


def module_name(path):
    """Dotted name of `path` from the folder above its outermost regular package."""
    rel = os.path.relpath(os.path.splitext(path)[0], file_root(path)).split(os.sep)
    return ".".join(rel[:-1] if rel[-1] == "__init__" else rel)


def top_level_imports(path):
    """Absolute module names a module imports outside functions and classes."""
    tree = parse(path)
    if tree is None:
        return set()
    package = module_name(path)
    if os.path.basename(path) != "__init__.py":
        package = package.rpartition(".")[0]
    out = set()

    def visit(body):
        for s in body:
            if isinstance(s, ast.Import):
                out.update(a.name for a in s.names)
            elif isinstance(s, ast.ImportFrom):
                base = s.module or ""
                if s.level:
                    up = package.split(".")[: len(package.split(".")) - (s.level - 1)]
                    base = ".".join([p for p in up + [base] if p])
                out.add(base)
                out.update("%s.%s" % (base, a.name) for a in s.names)
            if not isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                for field in ("body", "orelse", "finalbody"):
                    visit(getattr(s, field, []))
                for h in getattr(s, "handlers", []):
                    visit(h.body)

    visit(tree.body)
    return out


def find_module(base, parts):
    """("file", path) or ("namespace", dir) for module `parts` under `base`, else None."""
    d = base
    for i, part in enumerate(parts):
        sub = os.path.join(d, part)
        if i == len(parts) - 1 and not os.path.isfile(os.path.join(sub, "__init__.py")):
            if os.path.isfile(sub + ".py"):
                return ("file", sub + ".py")
        if not os.path.isdir(sub):
            return None
        d = sub
    init = os.path.join(d, "__init__.py")
    return ("file", init) if os.path.isfile(init) else ("namespace", d)


def relative_base(path, level):
    base = os.path.dirname(path)
    for _ in range(level - 1):
        base = os.path.dirname(base)
    return base


def file_root(path):
    """The folder above the outermost regular package holding `path`."""
    d = os.path.dirname(path)
    while os.path.isfile(os.path.join(d, "__init__.py")):
        d = os.path.dirname(d)
    return d


def locate(level, module, path, roots):
    """(found, where-text) per candidate base; found as in find_module."""
    parts = module.split(".") if module else []
    bases = [relative_base(path, level)] if level else roots
    for base in bases:
        if not parts:
            init = os.path.join(base, "__init__.py")
            yield ("file", init) if os.path.isfile(init) else ("namespace", base)
        else:
            found = find_module(base, parts)
            if found is not None:
                yield found


def binds(found, name, roots, seen):
    """Why module `found` binds `name`, or None."""
    kind, where = found
    pkg = where if kind == "namespace" else None
    if kind == "file" and os.path.basename(where) == "__init__.py":
        pkg = os.path.dirname(where)
    if pkg and (os.path.isfile(os.path.join(pkg, name + ".py")) or os.path.isdir(os.path.join(pkg, name))):
        return "submodule %s" % os.path.join(pkg, name)
    if kind != "file" or where in seen:
        return None
    seen.add(where)
    names, stars = bindings(where)
    if name in names:
        return "bound in %s" % where
    for level, module in stars:
        for inner in locate(level, module, where, roots):
            why = binds(inner, name, roots, seen)
            if why:
                return "%s (via `from %s%s import *` in %s)" % (why, "." * level, module, where)
    return None


def resolve(key, path, roots):
    """(resolves, detail, the module file it resolved to or None)."""
    kind, level, module, name, _ = key
    roots = roots + [r for r in [file_root(path)] if r not in roots]
    tried = []
    for found in locate(level, module, path, roots):
        target = found[1] if found[0] == "file" else None
        if target is not None and os.path.samefile(target, path):
            return False, "the file imports itself (%s)" % statement(key), None
        if kind == "import":
            return True, "module %s" % found[1], target
        why = binds(found, name, roots, set())
        if why:
            return True, why, target
        tried.append(found[1])
    if tried:
        return False, "%s does not bind `%s`" % (", ".join(tried), name), None
    where = "the file's folder" if level else "any root"
    return False, "module `%s%s` not found under %s" % ("." * level, module, where), None


def imports_back(target, path):
    return target is not None and module_name(path) in top_level_imports(target)


def added(original, rewritten, rel, roots):
    new_tree = parse(rewritten)
    if new_tree is None:
        return []
    old_tree = parse(original)
    old = [k for k, _ in imported(old_tree)] if old_tree is not None else []
    old_modules = {(k[0], k[1], k[2]) for k in old}
    extra = Counter(k for k, _ in imported(new_tree)) - Counter(old)
    out = []
    for key, line in imported(new_tree):
        if extra[key] <= 0:
            continue
        extra[key] -= 1
        ok, detail, target = resolve(key, rewritten, roots)
        out.append({
            "file": rel,
            "line": line,
            "statement": statement(key),
            "joined": key[0] == "from" and (key[0], key[1], key[2]) in old_modules,
            "resolves": ok,
            "detail": detail.replace(roots[0] + os.sep, "") if roots else detail,
            "imports_back": imports_back(target, rewritten),
        })
    return out


def main():
    request = json.load(sys.stdin)
    roots = [os.path.abspath(r) for r in request["roots"]]
    out = []
    for original, rewritten, rel in request["files"]:
        out.extend(added(original, rewritten, rel, roots))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
