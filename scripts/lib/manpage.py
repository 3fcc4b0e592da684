#!/usr/bin/env python3
"""Turns a manual page written in Markdown (docs/NAME.SECTION.md, read on GitHub as it is) into the Markdown that
go-md2man renders as a man page, so each page has one source:

  - line 1 (the page's title on GitHub, "# name(N) — ...") becomes go-md2man's title block with the version and
    date of the release;
  - tables become tagged paragraphs (.TP), the way man pages list options, keys and exit codes: GitHub renders
    the tables, and groff gets no table wider than the terminal (go-md2man's own tables break long cells).
    Two columns: the first cell is the tag, the second the text. Three columns (key | default | meaning): the
    tag is the key and its default, "(required)" when the default cell says so.

Usage: manpage.py SOURCE.md VERSION DATE  (writes to stdout; NAME and SECTION come from the file name)
"""
import os
import re
import sys


def cells(line):
    return [c.strip() for c in line.strip().strip("|").split("|")]


def is_separator(line):
    return re.fullmatch(r"\s*\|?\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)*\|?\s*", line) is not None


def table_as_tagged_paragraphs(header, rows):
    out = []
    for row in rows:
        if len(row) != len(header):
            sys.exit(f"manpage.py: a table row has {len(row)} cells, its header {len(header)}: {row}")
        tag = row[0]
        if len(header) == 3:
            tag += " (required)" if row[1] == "required" else f" ({header[1]} {row[1]})"
        elif len(header) > 3:
            tag += "".join(f", {h}: {c}" for h, c in zip(header[1:-1], row[1:-1]))
        out += [tag, ":   " + row[-1], ""]
    return out


def convert(lines, title_block):
    out = [title_block, ""]
    i = 1  # line 1 is the GitHub title
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("|") and i + 1 < len(lines) and is_separator(lines[i + 1]):
            header = cells(line)
            i += 2
            rows = []
            while i < len(lines) and lines[i].lstrip().startswith("|"):
                rows.append(cells(lines[i]))
                i += 1
            out += table_as_tagged_paragraphs(header, rows)
            continue
        out.append(line)
        i += 1
    return out


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    source, version, date = sys.argv[1:]
    match = re.fullmatch(r"(.+)\.(\d)\.md", os.path.basename(source))
    if not match:
        sys.exit(f"manpage.py: {source} is not named NAME.SECTION.md")
    name, section = match.groups()
    with open(source, encoding="utf-8") as f:
        lines = f.read().splitlines()
    if not lines or not lines[0].startswith(f"# {name}({section})"):
        sys.exit(f"manpage.py: line 1 of {source} must be the title '# {name}({section}) ...'")
    manual = {"5": "File Formats Manual", "8": "System Manager's Manual"}.get(section, "MptFast Manual")
    title = f'% {name.upper()} {section} "{date}" "mptfast {version}" "{manual}"'
    sys.stdout.write("\n".join(convert(lines, title)) + "\n")


if __name__ == "__main__":
    main()
