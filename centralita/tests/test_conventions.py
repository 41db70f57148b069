"""Conventions the code review asked for, checked on the source tree so they stay true.

- Asterisk is reached only through centralita/telephony/: nothing else imports panoramisk, calls
  `send_action` or reads panoramisk's private state.
- The telephony layer knows no capability's models: capabilities give it data through their
  `render.py` hooks (centralita/capabilities.py).
- Channel-variable names live in centralita/telephony/channel_vars.py; modules and templates use
  its constants (`cv.X` / `ref.X` in templates) instead of spelling the names out.
- One post-commit apply path: nothing outside centralita/telephony/ renders or reloads Asterisk
  itself, and no service.py commits (the caller commits once, after the service added and audited).
"""

from __future__ import annotations

import ast
import functools
import re
from pathlib import Path

from centralita.settings import REPO_ROOT, Settings
from centralita.telephony import channel_vars

TELEPHONY = "centralita/telephony/"
SKIP_DIRS = {".venv", "node_modules", ".git", "var", "build", "dist", "__pycache__"}

# Files that exercise the AMI link itself on purpose (keep this list short and explicit).
AMI_EXCEPTIONS: set[str] = set()


@functools.cache
def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(), _rel(path))


@functools.cache
def _py_files() -> list[Path]:
    return [p for p in REPO_ROOT.rglob("*.py") if not SKIP_DIRS & set(p.relative_to(REPO_ROOT).parts) and p.is_file()]


def _rel(path: Path) -> str:
    return path.relative_to(REPO_ROOT).as_posix()


def _names(tree: ast.AST):
    """(line, identifier) of every import, attribute and name in the code (comments and strings excluded)."""
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name.split(".")[0]
        elif isinstance(node, ast.ImportFrom):
            yield node.lineno, (node.module or "").split(".")[0]
        elif isinstance(node, ast.Attribute):
            yield node.lineno, node.attr
        elif isinstance(node, ast.Name) and node.id != "_connected":  # a local name is not panoramisk's
            yield node.lineno, node.id


def test_asterisk_is_reached_only_through_telephony():
    offenders = []
    for path in _py_files():
        rel = _rel(path)
        if rel.startswith(TELEPHONY) or rel in AMI_EXCEPTIONS or rel == "centralita/tests/test_conventions.py":
            continue
        for line, name in _names(_tree(path)):
            if name in ("panoramisk", "send_action", "send_command", "_connected"):
                offenders.append(f"{rel}:{line}: {name}")
    assert not offenders, "use centralita.telephony.ami.AmiClient.send / .connected instead:\n" + "\n".join(offenders)


def test_nothing_reads_panoramisk_private_state_even_in_telephony():
    for path in (REPO_ROOT / TELEPHONY).glob("*.py"):
        names = {name for _line, name in _names(_tree(path))}
        assert "_connected" not in names, _rel(path)


def test_telephony_imports_no_capability_models():
    from centralita.capabilities import CAPABILITIES

    offenders = []
    for path in (REPO_ROOT / TELEPHONY).rglob("*.py"):
        for node in ast.walk(_tree(path)):
            module = node.module if isinstance(node, ast.ImportFrom) else None
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else [module or ""]
            for name in names:
                if name.split(".")[0] in CAPABILITIES:
                    offenders.append(f"{_rel(path)}:{node.lineno}: {name}")
    assert not offenders, "give telephony data through the capability's render.py hook:\n" + "\n".join(offenders)


def _channel_var_literals(text: str) -> set[str]:
    settings_names = {f"CENTRALITA_{f.upper()}" for f in Settings.model_fields}
    found = set(re.findall(r"CENTRALITA_[A-Z_]+[A-Z]", text))
    return {n for n in found if n in channel_vars.ALL.values() and n not in settings_names}


def test_channel_variable_names_are_spelled_only_in_channel_vars():
    offenders = []
    for path in _py_files():
        rel = _rel(path)
        if rel == "centralita/telephony/channel_vars.py" or "/tests/" in f"/{rel}":
            continue  # tests assert what the rendered dialplan says, names included
        tree = _tree(path)
        docstrings = {id(n.body[0].value) for n in ast.walk(tree) if _has_doc(n)}
        for node in ast.walk(tree):
            if not isinstance(node, ast.Constant) or not isinstance(node.value, str) or id(node) in docstrings:
                continue  # docstrings may name them for the reader
            for name in _channel_var_literals(node.value):
                offenders.append(f"{rel}: {name}")
    for path in sorted((REPO_ROOT / "asterisk" / "templates").glob("*.j2")):
        for n, line in enumerate(path.read_text().splitlines(), 1):
            if line.lstrip().startswith(";"):
                continue  # comments may name them for the reader
            for name in _channel_var_literals(line):
                offenders.append(f"{_rel(path)}:{n}: {name}")
    assert not offenders, "use centralita.telephony.channel_vars (templates: cv.X / ref.X):\n" + "\n".join(offenders)


def _has_doc(node: ast.AST) -> bool:
    return isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and bool(
        ast.get_docstring(node)
    )


def test_channel_vars_render_in_templates():
    ctx = channel_vars.template_context()
    assert ctx["cv"].QUEUE == "CENTRALITA_QUEUE" and ctx["ref"].LOOKUP == "${CENTRALITA_LOOKUP}"
    assert channel_vars.inherited(channel_vars.FLOW) == "__CENTRALITA_FLOW"
    assert len(set(channel_vars.ALL.values())) == len(channel_vars.ALL)  # no two constants share a name


def test_no_service_commits():
    """The service adds and audits; its caller (route, CLI, worker) commits once."""
    allowed = {"api/calls/service.py", "api/users/service.py"}  # see /work/notes/conv.md: not yet moved
    offenders = []
    for path in _py_files():
        rel = _rel(path)
        if path.name != "service.py" or rel in allowed:
            continue
        for node in ast.walk(_tree(path)):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "commit":
                offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, "services must not commit:\n" + "\n".join(offenders)


# Startup commands render before Asterisk starts (no change to apply): `up` and `asterisk render`.
RENDER_AT_START = {"centralita/cli/stack_cmd.py", "centralita/cli/asterisk_cmd.py"}


def test_one_apply_path():
    """Rendering and reloading Asterisk after a change happens only in centralita/telephony/apply.py."""
    offenders = []
    for path in _py_files():
        rel = _rel(path)
        if rel.startswith(TELEPHONY) or "/tests/" in f"/{rel}":
            continue
        for line, name in _names(_tree(path)):
            if name == "render_config" and rel in RENDER_AT_START:
                continue
            if name in ("reload_config", "render_config", "reload") and _is_reload_call(path, line, name):
                offenders.append(f"{rel}:{line}: {name}")
    assert not offenders, "use centralita.telephony.apply.after_commit:\n" + "\n".join(offenders)


def _is_reload_call(path: Path, line: int, name: str) -> bool:
    if name != "reload":
        return True
    text = path.read_text().splitlines()[line - 1]
    return ".reload(" in text and ("pbx" in text or "Asterisk(" in text)
