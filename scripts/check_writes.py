#!/usr/bin/env python
"""Fails when an app writes another app's table (ARCHITECTURE.md, "Who writes which table").

Each table has one writing app, the one whose models.py defines it; the others ask it through a service.
This reads every app module (migrations aside) and reports:
- ORM writes (`create`, `update`, `delete`, `save`, `bulk_*`, `get_or_create`, `update_or_create`) on a
  manager or queryset of another app's model: `Item.objects.filter(...).update(...)`;
- `.save()` / `.delete()` on a name bound to another app's model in the same function (`x = Item(...)`,
  `x = Item.objects.get(...)`);
- raw SQL that INSERTs into, UPDATEs or DELETEs FROM another app's table, whether the table is spelt out
  or put into an f-string from `Model._meta.db_table` (directly or through a module-level name).
It cannot follow writes through related managers (`project.items.update(...)`) or objects passed in as
arguments; review catches those. Usage: check_writes.py [PATH ...] (default: every app).
"""

import ast
import os
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
APPS = ["core", "accounts", "tasks", "annotations", "quality", "training", "webhooks", "crowdlabel"]
WRITES = {"create", "update", "delete", "save", "bulk_create", "bulk_update", "get_or_create", "update_or_create"}
INSTANCE_WRITES = {"save", "delete"}
LOADERS = {"get", "first", "last", "create", "get_or_create", "update_or_create", "select_for_update"}
SQL_WRITE = re.compile(r"\b(?:INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+[\"`]?(\w+)?", re.IGNORECASE)


_OWNERS = None


def _owners():
    """{model class name: app}, {table: app}, from Django's registry (a proxy belongs to its concrete model)."""
    global _OWNERS
    if _OWNERS is not None:
        return _OWNERS
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "crowdlabel.settings")
    os.environ.setdefault("SECRET_KEY", "check-writes")
    import django
    from django.apps import apps

    django.setup()
    by_name, by_table = {}, {}
    for model in apps.get_models(include_auto_created=True):
        owner = model._meta.concrete_model._meta.app_label
        if owner not in APPS:
            continue
        by_name.setdefault(model.__name__, owner)
        by_table[model._meta.db_table] = owner
    _OWNERS = by_name, by_table
    return _OWNERS


def _app_of(path: Path) -> str | None:
    parts = path.resolve().relative_to(ROOT).parts
    return parts[0] if parts and parts[0] in APPS else None


class Checker(ast.NodeVisitor):
    def __init__(self, app, name, by_name, by_table):
        self.app, self.name, self.by_table = app, name, by_table
        self.models = {}  # local name -> owning app, for model classes imported or defined here
        self.tables = {}  # module-level name -> table, for `NAME = Model._meta.db_table`
        self.instances = [{}]  # per function: local name -> owning app of the model instance bound to it
        self.by_name = by_name
        self.problems = []

    # --- what names mean ---
    def visit_ImportFrom(self, node):
        module = node.module or ""
        app = module.split(".")[0] if module else self.app
        if node.level:  # from .models import X: this app
            app = self.app
        if module.endswith("models") or module == "models":
            for alias in node.names:
                owner = self.by_name.get(alias.name)
                if owner and (app == owner or node.level):
                    self.models[alias.asname or alias.name] = owner

    def visit_ClassDef(self, node):
        owner = self.by_name.get(node.name)
        if owner == self.app:
            self.models[node.name] = owner
        self.generic_visit(node)

    def visit_Assign(self, node):
        table = self._table_of(node.value)
        for target in node.targets:
            if isinstance(target, ast.Name):
                if table and len(self.instances) == 1:
                    self.tables[target.id] = table
                owner = self._instance_owner(node.value)
                if owner:
                    self.instances[-1][target.id] = owner
        self.generic_visit(node)

    def visit_FunctionDef(self, node):
        self.instances.append({})
        self.generic_visit(node)
        self.instances.pop()

    visit_AsyncFunctionDef = visit_FunctionDef

    def _root(self, node):
        while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
            node = node.func if isinstance(node, ast.Call) else node.value
        return node.id if isinstance(node, ast.Name) else None

    def _instance_owner(self, value):
        if isinstance(value, ast.Call):
            if isinstance(value.func, ast.Name) and value.func.id in self.models:
                return self.models[value.func.id]
            if isinstance(value.func, ast.Attribute) and value.func.attr in LOADERS and self._through_manager(value.func):
                return self.models.get(self._root(value.func))
        return None

    def _through_manager(self, node) -> bool:
        while isinstance(node, (ast.Attribute, ast.Call, ast.Subscript)):
            if isinstance(node, ast.Attribute) and node.attr == "objects":
                return True
            node = node.func if isinstance(node, ast.Call) else node.value
        return False

    def _table_of(self, node):
        """The table an expression names: `Model._meta.db_table`, a module-level name bound to one, a literal."""
        if isinstance(node, ast.Attribute) and node.attr == "db_table" and isinstance(node.value, ast.Attribute):
            name = self._root(node.value)
            owner = self.models.get(name)
            if owner:
                from django.apps import apps

                model = next((m for m in apps.get_models(include_auto_created=True)
                              if m.__name__ == name and m._meta.concrete_model._meta.app_label == owner), None)
                return model._meta.db_table if model else None
        if isinstance(node, ast.Name):
            return self.tables.get(node.id)
        return None

    # --- writes ---
    def visit_Call(self, node):
        func = node.func
        if isinstance(func, ast.Attribute) and func.attr in WRITES:
            root = self._root(func.value)
            owner = None
            if root in self.models and self._through_manager(func.value):
                owner = self.models[root]
            elif func.attr in INSTANCE_WRITES and isinstance(func.value, ast.Name):
                owner = self.instances[-1].get(func.value.id)
            elif func.attr in INSTANCE_WRITES and isinstance(func.value, ast.Call):
                owner = self._instance_owner(func.value)
            if owner and owner != self.app:
                self._report(node, f"{func.attr}() on {root}, a model (or row) of {owner}")
        self.generic_visit(node)

    def visit_JoinedStr(self, node):
        text = ""
        for part in node.values:
            if isinstance(part, ast.Constant):
                text += str(part.value)
            else:
                table = self._table_of(part.value)
                text += table if table else "{expr}"
        self._check_sql(node, text)

    def visit_Constant(self, node):
        if isinstance(node.value, str):
            self._check_sql(node, node.value)

    def _check_sql(self, node, text):
        for match in SQL_WRITE.finditer(text):
            owner = self.by_table.get(match.group(1) or "")
            if owner and owner != self.app:
                self._report(node, f"raw SQL writes {owner}'s table {match.group(1)}")

    def _report(self, node, what):
        self.problems.append(f"{self.name}:{node.lineno}: {self.app} writes {what}")


def check_source(source: str, *, app: str, name: str = "<source>") -> list[str]:
    """The cross-app writes in one module of `app`."""
    by_name, by_table = _owners()
    checker = Checker(app, name, by_name, by_table)
    checker.visit(ast.parse(source, filename=name))
    return checker.problems


def check(paths) -> list[str]:
    problems = []
    for path in paths:
        app = _app_of(path)
        if app is None or "migrations" in path.parts:
            continue
        problems.extend(check_source(path.read_text(), app=app, name=str(path.resolve().relative_to(ROOT))))
    return problems


def app_files(args) -> list[Path]:
    roots = [Path(a).resolve() for a in args] or [ROOT / app for app in APPS if (ROOT / app).is_dir()]
    files = []
    for root in roots:
        files.extend(sorted(root.rglob("*.py")) if root.is_dir() else [root])
    return files


def main(argv) -> int:
    problems = check(app_files(argv))
    for problem in problems:
        print(problem)
    print(f"check_writes: {len(problems)} cross-app write(s)", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
