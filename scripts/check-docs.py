#!/usr/bin/env python3
"""Runs the examples in Sigma's documentation, so that they cannot drift from
what Sigma really prints (ctest runs it as `docs.examples`).

  python3 scripts/check-docs.py --sigma build/bin/sigma --root .

It reads README.md and docs/*.md. A fenced code block is checked when the
line just before its opening ``` is an HTML comment (invisible when the
Markdown is rendered) of one of these forms:

  <!-- check: parses -->
      The block is a whole graph (`graph @...`, written to a .sg file) or
      loop module (`module @...`, a .sl file). `sigma opt FILE --passes
      verify` (verify-loops for a module) must accept it, and its output,
      parsed and printed again, must come back unchanged (round trip).

  <!-- check: output-of tests/lit/DIR/FILE.sg -->
      The block is an excerpt of what that lit test's sigma commands print:
      every `// RUN:` line of the form `[%not] %sigma ARGS [2>&1] [| FileCheck
      ...]` is run with %sigma replaced by the binary and %s by the file
      (`%not`: the command must fail; otherwise it must succeed); RUN lines
      that redirect or pipe into anything else are left to lit. The outputs
      (stdout, then stderr) of those commands, in order, are what the block
      is matched against.

  <!-- check: output-of sigma ARGS -->
  <!-- check: output-of
         sigma ARGS
         not sigma ARGS
  -->
      The same, for sigma commands run in the repository root (one per line;
      `not`: the command must fail).

  <!-- check: excerpt-of PATH -->
      The block is an excerpt of the file PATH (relative to the root): C++
      snippets taken from examples/*.cpp or the sources.

  <!-- check: none (REASON) -->
      Not checked, for the reason given: a grammar, shell commands, a diagram,
      host-dependent output.

An excerpt matches when its non-blank lines, whitespace-stripped, equal
consecutive non-blank stripped lines of the text, in order; a line `...`
stands for any run of lines (none included). Where the excerpt starts and
ends in the text is free.

Every fenced block of docs/passes.md and docs/ir.md must carry a marker, and
docs/passes.md must have a section (`## NAME`) with an output-of example
for every pass `sigma opt --list-passes` lists. In the other files an
unmarked block that looks like IR or C++ is reported as a warning.

Exit status: 0 when every check passes, 1 when one fails (each failure names
the file, the line and the first line of the block that did not match),
2 when the script cannot run (no sigma binary, bad arguments).
"""
import argparse
import glob
import os
import re
import shlex
import subprocess
import sys
import tempfile

# Files in which every fenced block must carry a marker.
STRICT_FILES = ("docs/passes.md", "docs/ir.md")
COMMAND_TIMEOUT_S = 300

FENCE_RE = re.compile(r"^(\s*)(`{3,}|~{3,})(.*)$")
MARKER_START_RE = re.compile(r"^\s*<!--\s*check:")
IR_LINE_RE = re.compile(
    r"^\s*((graph|module|kernel)\s+@|buffer\s+%|for\s+%\S+\s+in\s|(output|update)\s+%|"
    r"%[\w.\"]+(\[[^\]]*\])?\s*=\s)")
CPP_LINE_RE = re.compile(r"^\s*(#include\b|using namespace\b|\w[\w:<>]*\s+\w+\s*(=|\{|\().*;\s*$)")


class Block:
    def __init__(self, path, line, body, body_line, marker, marker_line):
        self.path = path              # relative to the root
        self.line = line              # 1-based line of the opening fence
        self.body = body              # the lines between the fences
        self.body_line = body_line    # 1-based line of body[0]
        self.marker = marker          # the text after "check:", or None
        self.marker_line = marker_line


class Failure(Exception):
    pass


def parse_markdown(path, rel):
    """Returns (blocks, errors) of one Markdown file."""
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    blocks, errors = [], []
    # Markers: <!-- check: ... --> comments, possibly over several lines.
    markers = {}  # end line index -> (start line index, text)
    i = 0
    while i < len(lines):
        m = MARKER_START_RE.search(lines[i])
        if m:
            start, text = i, lines[i][m.end():]
            while "-->" not in text and i + 1 < len(lines):
                i += 1
                text += "\n" + lines[i]
            if "-->" not in text:
                errors.append(f"{rel}:{start + 1}: the check marker is never closed with -->")
                break
            body, rest = text.split("-->", 1)
            if rest.strip():
                errors.append(f"{rel}:{i + 1}: text after a check marker's -->: the marker must end its line")
            markers[i] = (start, body.strip())
        i += 1
    used = set()
    i = 0
    while i < len(lines):
        m = FENCE_RE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence = m.group(1), m.group(2)
        start = i
        body = []
        i += 1
        closed = False
        while i < len(lines):
            c = FENCE_RE.match(lines[i])
            if c and c.group(2)[0] == fence[0] and len(c.group(2)) >= len(fence) and not c.group(3).strip():
                closed = True
                break
            line = lines[i]
            body.append(line[len(indent):] if line.startswith(indent) else line.lstrip())
            i += 1
        if not closed:
            errors.append(f"{rel}:{start + 1}: the code block is never closed")
        marker, marker_line = None, None
        if start - 1 in markers:
            used.add(start - 1)
            marker_line = markers[start - 1][0] + 1
            marker = markers[start - 1][1]
        blocks.append(Block(rel, start + 1, body, start + 2, marker, marker_line))
        i += 1
    for end, (start, _) in sorted(markers.items()):
        if end not in used:
            errors.append(f"{rel}:{start + 1}: a check marker must be on the line just before a code block's ```")
    return blocks, errors


def significant(lines, first_line=1):
    """The non-blank lines, stripped, each with its 1-based line number."""
    return [(s.strip(), first_line + k) for k, s in enumerate(lines) if s.strip()]


def match_excerpt(pattern, text, what):
    """pattern: [(stripped line, doc line)], with '...' wildcards; text:
    [(stripped line, its line number in the text)], non-blank. Returns None
    when the excerpt matches, else (doc line, the block's line, why)."""
    segments, current = [], []
    for p in pattern:
        if p[0] == "...":
            segments.append(current)
            current = []
        else:
            current.append(p)
    segments.append(current)
    pos = 0  # text lines before pos are used up
    last_match = None  # index in text of the last matched line
    for seg in segments:
        if not seg:
            continue
        found = None
        for start in range(pos, len(text) - len(seg) + 1):
            if all(text[start + k][0] == seg[k][0] for k in range(len(seg))):
                found = start
                break
        if found is None:
            # Explain with the longest prefix of the segment that does occur.
            best_len, best_at = 0, None
            for start in range(pos, len(text)):
                n = 0
                while n < len(seg) and start + n < len(text) and text[start + n][0] == seg[n][0]:
                    n += 1
                if n > best_len:
                    best_len, best_at = n, start
            bad = seg[best_len]
            if best_at is not None:
                nxt = best_at + best_len
                actual = (f"line {text[nxt][1]} there is {text[nxt][0]!r}" if nxt < len(text)
                          else f"{what} ends there")
                first, last = text[best_at][1], text[nxt - 1][1]
                span = f"line {first}" if first == last else f"lines {first}-{last}"
                why = f"the block's lines before it match {span} of {what}, but {actual}"
            elif last_match is not None:
                why = f"it does not occur after line {text[last_match][1]} of {what} ({text[last_match][0]!r})"
            else:
                why = f"it does not occur in {what}"
            return bad[1], bad[0], why
        pos = found + len(seg)
        last_match = pos - 1
    return None


def run_command(argv, root, cache):
    key = tuple(argv)
    if key not in cache:
        try:
            p = subprocess.run(argv, cwd=root, capture_output=True, text=True, timeout=COMMAND_TIMEOUT_S,
                               stdin=subprocess.DEVNULL)
            cache[key] = (p.returncode, p.stdout, p.stderr)
        except subprocess.TimeoutExpired:
            cache[key] = (None, "", f"timed out after {COMMAND_TIMEOUT_S} s")
        except OSError as e:
            cache[key] = (None, "", str(e))
    return cache[key]


def describe(argv):
    return " ".join(shlex.quote(a) for a in argv)


def run_expecting(argv, expect_failure, root, cache):
    """Runs argv; returns its stdout + stderr, or raises Failure."""
    rc, out, err = run_command(argv, root, cache)
    if rc is None:
        raise Failure(f"`{describe(argv)}` could not run: {err.strip()}")
    if rc < 0:
        raise Failure(f"`{describe(argv)}` was killed by signal {-rc}\n{err.strip()}")
    if expect_failure and rc == 0:
        raise Failure(f"`{describe(argv)}` succeeded, but the example expects it to fail")
    if not expect_failure and rc != 0:
        raise Failure(f"`{describe(argv)}` failed with exit status {rc}:\n{err.strip()}")
    if out and not out.endswith("\n"):
        out += "\n"
    return out + err


def lit_commands(lit_path, rel, sigma):
    """The sigma commands of a lit file's RUN lines: [(argv, expect_failure)]."""
    with open(lit_path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    runs, pending = [], None
    for line in lines:
        m = re.match(r"^\s*//\s*RUN:\s?(.*)$", line)
        if not m:
            continue
        text = m.group(1).rstrip()
        pending = text if pending is None else pending + " " + text
        if pending.endswith("\\"):
            pending = pending[:-1]
            continue
        runs.append(pending)
        pending = None
    commands = []
    for run in runs:
        try:
            words = shlex.split(run)
        except ValueError:
            continue
        if "|" in words:
            cut = words.index("|")
            tail = words[cut + 1:]
            if not tail or tail[0] != "FileCheck" or "|" in tail:
                continue  # a pipe into something else: lit's business
            words = words[:cut]
        words = [w for w in words if w != "2>&1"]
        expect_failure = bool(words) and words[0] == "%not"
        if expect_failure:
            words = words[1:]
        if not words or words[0] != "%sigma":
            continue
        if any(re.search(r"[<>]", w) or w.startswith("%t") for w in words):
            continue  # writes or reads a temporary: lit's business
        argv = [sigma] + [rel if w == "%s" else w for w in words[1:]]
        if any(re.match(r"%[A-Za-z]", w) for w in argv[1:]):
            continue  # another lit substitution
        commands.append((argv, expect_failure))
    if not commands:
        raise Failure(f"{rel} has no RUN line of the form `[%not] %sigma ARGS [| FileCheck ...]`")
    seen, unique = set(), []
    for argv, fail in commands:
        if tuple(argv) not in seen:
            seen.add(tuple(argv))
            unique.append((argv, fail))
    return unique


def check_parses(block, sigma, root, cache, tmp):
    code = [s for s in block.body if s.strip() and not s.strip().startswith("//")]
    first = code[0].split()[0] if code else ""
    if first == "graph":
        suffix, verify = ".sg", "verify"
    elif first == "module":
        suffix, verify = ".sl", "verify-loops"
    else:
        raise Failure(f"a `parses` block must be a whole graph (`graph @...`) or loop module (`module @...`), "
                      f"it starts with {first!r}")
    src = os.path.join(tmp, f"block-{block.line}{suffix}")
    with open(src, "w", encoding="utf-8") as f:
        f.write("\n".join(block.body) + "\n")
    rc, out, err = run_command([sigma, "opt", src, "--passes", verify], root, cache)
    if rc != 0:
        # The parser names the place in the temporary file: map it back.
        msg = err.strip()
        m = re.match(re.escape(src) + r":(\d+):(\d+): (.*)", msg)
        if m:
            msg = f"{block.path}:{block.body_line + int(m.group(1)) - 1}:{m.group(2)}: {m.group(3)}"
        raise Failure(f"sigma does not accept the block:\n  {msg}")
    again = os.path.join(tmp, f"block-{block.line}.printed{suffix}")
    with open(again, "w", encoding="utf-8") as f:
        f.write(out)
    rc2, out2, err2 = run_command([sigma, "opt", again, "--passes", verify], root, cache)
    if rc2 != 0 or out2 != out:
        printed, reprinted = out.split("\n"), out2.split("\n")
        k = next((k for k in range(max(len(printed), len(reprinted)))
                  if k >= len(printed) or k >= len(reprinted) or printed[k] != reprinted[k]), 0)
        raise Failure("printing the block and parsing the result again does not give the same text "
                      f"(first difference at printed line {k + 1}: "
                      f"{printed[k] if k < len(printed) else '<end>'!r} vs "
                      f"{reprinted[k] if k < len(reprinted) else '<end>'!r}){err2.strip()}")


def check_excerpt(block, text_lines, source, what):
    pattern = significant(block.body, block.body_line)
    if not [p for p in pattern if p[0] != "..."]:
        raise Failure("the block is empty")
    miss = match_excerpt(pattern, significant(text_lines), what)
    if miss:
        line, content, why = miss
        raise Failure(f"this line of the block is not in {source}: {content!r}\n  ({why})", line)


def check_block(block, sigma, root, cache, tmp):
    m = re.match(r"(\S*)\s*(.*)", block.marker, re.S)
    kind, arg = m.group(1), m.group(2).strip()
    if kind == "parses":
        if arg:
            raise Failure(f"`parses` takes no argument, got {arg!r}")
        check_parses(block, sigma, root, cache, tmp)
    elif kind == "excerpt-of":
        if not arg:
            raise Failure("`excerpt-of` needs a path")
        path = os.path.join(root, arg)
        if not os.path.isfile(path):
            raise Failure(f"`excerpt-of {arg}`: no such file")
        with open(path, encoding="utf-8") as f:
            check_excerpt(block, f.read().split("\n"), arg, "the file")
    elif kind == "output-of":
        if not arg:
            raise Failure("`output-of` needs a lit test or sigma commands")
        lines = [s.strip() for s in arg.split("\n") if s.strip()]
        if lines[0].split()[0] in ("sigma", "not"):
            commands = []
            for s in lines:
                try:
                    words = shlex.split(s)
                except ValueError as e:
                    raise Failure(f"`output-of`: cannot split {s!r} into words: {e}")
                fail = bool(words) and words[0] == "not"
                if fail:
                    words = words[1:]
                if not words or words[0] != "sigma":
                    raise Failure(f"`output-of`: {s!r} is not a sigma command")
                commands.append(([sigma] + words[1:], fail))
            source = "the output of " + "; ".join(lines)
        else:
            if len(lines) != 1 or len(lines[0].split()) != 1:
                raise Failure(f"`output-of` takes one lit test, got {arg!r}")
            path = os.path.join(root, lines[0])
            if not os.path.isfile(path):
                raise Failure(f"`output-of {lines[0]}`: no such file")
            commands = lit_commands(path, lines[0], sigma)
            source = f"the output of {lines[0]}'s RUN lines"
        output = "".join(run_expecting(argv, fail, root, cache) for argv, fail in commands)
        check_excerpt(block, output.split("\n"), source, "the output")
    elif kind == "none":
        if not re.fullmatch(r"\(.*\S.*\)", arg, re.S):
            raise Failure(f"`none` needs a reason in parentheses: `<!-- check: none (a grammar) -->`, got {arg!r}")
    else:
        raise Failure(f"unknown check {kind!r} (expected parses, output-of, excerpt-of or none (REASON))")
    return kind


def looks_checkable(block):
    return any(IR_LINE_RE.match(s) or CPP_LINE_RE.match(s) for s in block.body)


def pass_sections(root, sigma, cache, blocks_by_file):
    """Every pass of --list-passes has a section in docs/passes.md with an
    output-of example. Returns a list of error messages."""
    rc, out, err = run_command([sigma, "opt", "--list-passes"], root, cache)
    if rc != 0:
        return [f"`sigma opt --list-passes` failed: {err.strip()}"]
    names = [line.split()[0] for line in out.split("\n") if line.strip()]
    path = os.path.join(root, "docs/passes.md")
    with open(path, encoding="utf-8") as f:
        lines = f.read().split("\n")
    sections = {}  # heading -> (first line, last line), 1-based
    heading, fence = None, None
    for k, line in enumerate(lines, 1):
        fm = FENCE_RE.match(line)
        if fm:
            if fence is None:
                fence = fm.group(2)
            elif fm.group(2).startswith(fence) and not fm.group(3).strip():
                fence = None
        if fence is None and re.match(r"^#{1,2}\s", line):  # a new section (### stays inside)
            m = re.match(r"^##\s+`?([^`\s]+)`?\s*$", line)
            heading = m.group(1) if m else None
            if heading:
                sections[heading] = [k, k]
        elif heading:
            sections[heading][1] = k
    errors = []
    blocks = blocks_by_file.get("docs/passes.md", [])
    for name in names:
        if name not in sections:
            errors.append(f"docs/passes.md: the pass '{name}' (sigma opt --list-passes) has no section `## {name}`")
            continue
        first, last = sections[name]
        if not any(first <= b.line <= last and b.marker and b.marker.startswith("output-of") for b in blocks):
            errors.append(f"docs/passes.md:{first}: the section of the pass '{name}' has no "
                          "<!-- check: output-of ... --> example")
        if not re.search(r"^\|\s*`" + re.escape(name) + r"`\s*\|", "\n".join(lines), re.M):
            errors.append(f"docs/passes.md: the pass '{name}' has no row in the table of passes")
    return errors


def main():
    ap = argparse.ArgumentParser(description="Run the examples in Sigma's documentation.")
    ap.add_argument("--sigma", required=True, help="the sigma binary")
    ap.add_argument("--root", required=True, help="the repository root")
    ap.add_argument("files", nargs="*", help="Markdown files to check, relative to the root "
                    "(default: README.md and docs/*.md)")
    args = ap.parse_args()
    root = os.path.abspath(args.root)
    sigma = os.path.abspath(args.sigma)
    if not os.access(sigma, os.X_OK):
        print(f"check-docs: error: {args.sigma} is not an executable sigma binary", file=sys.stderr)
        return 2
    files = args.files or ["README.md"] + sorted(os.path.relpath(p, root)
                                                 for p in glob.glob(os.path.join(root, "docs", "*.md")))
    failures, warnings, counts, cache = [], [], {}, {}
    blocks_by_file = {}
    with tempfile.TemporaryDirectory(prefix="check-docs-") as tmp:
        for rel in files:
            path = os.path.join(root, rel)
            if not os.path.isfile(path):
                failures.append(f"{rel}: no such file")
                continue
            blocks, errors = parse_markdown(path, rel)
            blocks_by_file[rel] = blocks
            failures += errors
            for b in blocks:
                if b.marker is None:
                    if rel in STRICT_FILES:
                        failures.append(f"{rel}:{b.line}: the code block has no check marker; every block in "
                                        f"{rel} needs one (<!-- check: parses -->, output-of, excerpt-of, "
                                        "or none (REASON)) on the line before its ```")
                    elif looks_checkable(b):
                        warnings.append(f"{rel}:{b.line}: the code block looks like IR or C++ but has no "
                                        "check marker")
                    continue
                try:
                    kind = check_block(b, sigma, root, cache, tmp)
                    counts[kind] = counts.get(kind, 0) + 1
                except Failure as e:
                    line = e.args[1] if len(e.args) > 1 else b.line
                    where = f"{rel}:{line}" + (f" (block at line {b.line})" if line != b.line else "")
                    marker = (b.marker.splitlines() or [""])[0] + (" ..." if "\n" in b.marker else "")
                    failures.append(f"{where}: <!-- check: {marker} -->: {e.args[0]}")
        if "docs/passes.md" in files:
            failures += pass_sections(root, sigma, cache, blocks_by_file)
    for w in warnings:
        print(f"check-docs: warning: {w}", file=sys.stderr)
    for f in failures:
        print(f"check-docs: FAIL: {f}", file=sys.stderr)
    total = sum(counts.values())
    summary = ", ".join(f"{n} {k}" for k, n in sorted(counts.items()))
    if failures:
        print(f"check-docs: {len(failures)} problem(s); {total} block(s) checked in {len(files)} file(s)",
              file=sys.stderr)
        return 1
    print(f"check-docs: OK: {total} block(s) checked in {len(files)} file(s)" + (f" ({summary})" if summary else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
