"""RICH_TEXT_V2: fill the missing side of ``{markdown, blocknote}`` as Twenty does on write.

Twenty keeps whichever side the client sent and converts it to produce the other with BlockNote's
server utilities (packages/twenty-server/src/engine/core-modules/record-transformer/utils/
transform-rich-text-v2.util.ts: ``markdown || converted``, ``blocknote || converted``; a blocknote
string that is not JSON becomes the markdown as is). This module is a small stand-in for BlockNote:
paragraphs, headings, bullet / numbered / check list items (nested by indentation), quotes, fenced
code and the inline styles bold, italic, strike, code and links. Enough for a migration to see notes
and task bodies come back in the shape Twenty stores; not a full CommonMark implementation.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

_DEFAULT_PROPS = {"textColor": "default", "backgroundColor": "default", "textAlignment": "left"}
_INLINE_RE = re.compile(
    r"(\*\*(?P<bold>.+?)\*\*|__(?P<bold2>.+?)__|~~(?P<strike>.+?)~~|`(?P<code>[^`]+)`"
    r"|\[(?P<ltext>[^\]]*)\]\((?P<href>[^)\s]+)\)|\*(?P<italic>[^*]+)\*|(?<![\w])_(?P<italic2>[^_]+)_(?![\w]))"
)
_LIST_RE = re.compile(r"^(?P<indent>\s*)(?:(?P<bullet>[-*+])|(?P<number>\d+)[.)])\s+(?P<rest>.*)$")
_CHECK_RE = re.compile(r"^\[(?P<mark>[ xX])\]\s+(?P<rest>.*)$")


def _inline(text: str, styles: dict[str, bool] | None = None) -> list[dict[str, Any]]:
    """Markdown inline text → BlockNote inline content (styled text and links)."""
    styles = styles or {}
    out: list[dict[str, Any]] = []
    pos = 0
    for match in _INLINE_RE.finditer(text):
        if match.start() > pos:
            out.append({"type": "text", "text": text[pos : match.start()], "styles": dict(styles)})
        groups = match.groupdict()
        if groups["bold"] is not None or groups["bold2"] is not None:
            out.extend(_inline(groups["bold"] or groups["bold2"], {**styles, "bold": True}))
        elif groups["strike"] is not None:
            out.extend(_inline(groups["strike"], {**styles, "strike": True}))
        elif groups["code"] is not None:
            out.append({"type": "text", "text": groups["code"], "styles": {**styles, "code": True}})
        elif groups["href"] is not None:
            out.append({"type": "link", "href": groups["href"], "content": _inline(groups["ltext"], styles)})
        else:
            out.extend(_inline(groups["italic"] or groups["italic2"], {**styles, "italic": True}))
        pos = match.end()
    if pos < len(text):
        out.append({"type": "text", "text": text[pos:], "styles": dict(styles)})
    return out


def _block(type_: str, content: Any, **props: Any) -> dict[str, Any]:
    return {
        "id": str(uuid.uuid4()),
        "type": type_,
        "props": {**_DEFAULT_PROPS, **props},
        "content": content,
        "children": [],
    }


def markdown_to_blocks(markdown: str) -> list[dict[str, Any]]:
    """Markdown → BlockNote blocks (the JSON Twenty stores in ``blocknote``)."""
    blocks: list[dict[str, Any]] = []
    stack: list[tuple[int, dict[str, Any]]] = []  # (indent, list block) for nesting
    lines = markdown.replace("\r\n", "\n").split("\n")
    paragraph: list[str] = []

    def flush() -> None:
        if paragraph:
            blocks.append(_block("paragraph", _inline(" ".join(s.strip() for s in paragraph))))
            paragraph.clear()

    i = 0
    while i < len(lines):
        line = lines[i]
        stripped = line.strip()
        if stripped.startswith("```"):
            flush()
            stack.clear()
            language = stripped[3:].strip()
            code: list[str] = []
            i += 1
            while i < len(lines) and not lines[i].strip().startswith("```"):
                code.append(lines[i])
                i += 1
            content = [{"type": "text", "text": "\n".join(code), "styles": {}}]
            blocks.append(_block("codeBlock", content, language=language))
            i += 1
            continue
        if not stripped:
            flush()
            stack.clear()
            i += 1
            continue
        heading = re.match(r"^(#{1,6})\s+(.*)$", stripped)
        listed = _LIST_RE.match(line)
        if heading:
            flush()
            stack.clear()
            blocks.append(_block("heading", _inline(heading.group(2).strip()), level=min(len(heading.group(1)), 3)))
        elif stripped.startswith(">"):
            flush()
            stack.clear()
            blocks.append(_block("quote", _inline(stripped.lstrip(">").strip())))
        elif listed:
            flush()
            indent = len(listed.group("indent").expandtabs(4))
            rest = listed.group("rest")
            check = _CHECK_RE.match(rest) if listed.group("bullet") else None
            if check:
                block = _block("checkListItem", _inline(check.group("rest")), checked=check.group("mark") != " ")
            elif listed.group("bullet"):
                block = _block("bulletListItem", _inline(rest))
            else:
                block = _block("numberedListItem", _inline(rest))
            while stack and stack[-1][0] >= indent:
                stack.pop()
            (stack[-1][1]["children"] if stack else blocks).append(block)
            stack.append((indent, block))
        else:
            stack.clear()
            paragraph.append(stripped)
        i += 1
    flush()
    return blocks


def _inline_markdown(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for item in content or []:
        if not isinstance(item, dict):
            continue
        if item.get("type") == "link":
            parts.append(f"[{_inline_markdown(item.get('content'))}]({item.get('href', '')})")
            continue
        text = str(item.get("text", ""))
        styles = item.get("styles") or {}
        if styles.get("code"):
            text = f"`{text}`"
        if styles.get("bold"):
            text = f"**{text}**"
        if styles.get("italic"):
            text = f"*{text}*"
        if styles.get("strike"):
            text = f"~~{text}~~"
        parts.append(text)
    return "".join(parts)


def blocks_to_markdown(blocks: Any, depth: int = 0) -> str:
    """BlockNote blocks → markdown (lossy, like ``blocksToMarkdownLossy``)."""
    chunks: list[str] = []
    indent = "  " * depth
    number = 0
    for block in blocks if isinstance(blocks, list) else []:
        if not isinstance(block, dict):
            continue
        kind = block.get("type")
        props = block.get("props") or {}
        text = _inline_markdown(block.get("content"))
        number = number + 1 if kind == "numberedListItem" else 0
        if kind == "heading":
            line = f"{'#' * int(props.get('level', 1))} {text}"
        elif kind == "bulletListItem":
            line = f"{indent}* {text}"
        elif kind == "numberedListItem":
            line = f"{indent}{number}. {text}"
        elif kind == "checkListItem":
            line = f"{indent}* [{'x' if props.get('checked') else ' '}] {text}"
        elif kind == "quote":
            line = f"> {text}"
        elif kind == "codeBlock":
            line = f"```{props.get('language', '')}\n{text}\n```"
        else:
            line = f"{indent}{text}"
        children = blocks_to_markdown(block.get("children"), depth + 1)
        chunks.append(line + ("\n" + children if children else ""))
    separator = "\n" if depth else "\n\n"
    return separator.join(c for c in chunks)


def transform_rich_text(value: dict[str, Any]) -> dict[str, Any]:
    """``{markdown?, blocknote?}`` → both sides, keeping what the client sent."""
    markdown = value.get("markdown")
    blocknote = value.get("blocknote")
    converted_markdown = None
    if blocknote is not None:
        try:
            converted_markdown = blocks_to_markdown(json.loads(blocknote))
        except (ValueError, TypeError):
            converted_markdown = blocknote or None
    converted_blocknote = json.dumps(markdown_to_blocks(markdown), separators=(",", ":")) if markdown else None
    return {"markdown": markdown or converted_markdown, "blocknote": blocknote or converted_blocknote}
