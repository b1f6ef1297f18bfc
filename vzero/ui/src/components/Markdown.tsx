// The model's prose as markdown, rendered to elements (never to HTML strings: model-written text cannot inject
// markup). Covers what replies use: paragraphs, headings, lists, quotes, fenced code, rules, and inline code,
// bold, italic, strikethrough and http(s) links.
import type { ComponentChildren, VNode } from "preact";
import { memo } from "preact/compat";

type Block =
  | { kind: "p"; text: string }
  | { kind: "h"; level: number; text: string }
  | { kind: "code"; lang: string; text: string }
  | { kind: "quote"; text: string }
  | { kind: "list"; ordered: boolean; start: number; items: string[] }
  | { kind: "hr" };

function blocks(source: string): Block[] {
  const lines = source.replace(/\r\n?/g, "\n").split("\n");
  const out: Block[] = [];
  let i = 0;
  while (i < lines.length) {
    const line = lines[i];
    const fence = /^\s*(```|~~~)\s*([\w+-]*)/.exec(line);
    if (fence) {
      const body: string[] = [];
      i++;
      while (i < lines.length && !lines[i].trim().startsWith(fence[1])) body.push(lines[i++]);
      i++;
      out.push({ kind: "code", lang: fence[2], text: body.join("\n") });
      continue;
    }
    if (!line.trim()) {
      i++;
      continue;
    }
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    if (heading) {
      out.push({ kind: "h", level: heading[1].length, text: heading[2].replace(/\s+#+\s*$/, "") });
      i++;
      continue;
    }
    if (/^\s*([-*_])(\s*\1){2,}\s*$/.test(line)) {
      out.push({ kind: "hr" });
      i++;
      continue;
    }
    if (/^\s*>/.test(line)) {
      const body: string[] = [];
      while (i < lines.length && /^\s*>/.test(lines[i])) body.push(lines[i++].replace(/^\s*>\s?/, ""));
      out.push({ kind: "quote", text: body.join("\n") });
      continue;
    }
    const item = /^\s*([-*+]|(\d+)[.)])\s+(.*)$/.exec(line);
    if (item) {
      const ordered = item[2] !== undefined;
      const items: string[] = [];
      while (i < lines.length) {
        const m = /^\s*([-*+]|(\d+)[.)])\s+(.*)$/.exec(lines[i]);
        if (m && (m[2] !== undefined) === ordered) items.push(m[3]);
        else if (lines[i].trim() && /^\s{2,}/.test(lines[i]) && items.length) items[items.length - 1] += " " + lines[i].trim();
        else break;
        i++;
      }
      out.push({ kind: "list", ordered, start: ordered ? Number(item[2]) : 1, items });
      continue;
    }
    const body: string[] = [];
    while (i < lines.length && lines[i].trim() && !/^(#{1,6}\s|\s*(```|~~~)|\s*>|\s*([-*+]|\d+[.)])\s)/.test(lines[i])) body.push(lines[i++]);
    if (!body.length) body.push(lines[i++]);
    out.push({ kind: "p", text: body.join("\n") });
  }
  return out;
}

const INLINE = /(`+)([\s\S]*?[^`])\1(?!`)|\*\*([\s\S]+?)\*\*|__([\s\S]+?)__|\*([^*\s][^*]*?)\*|_([^_\s][^_]*?)_(?![A-Za-z0-9])|~~([\s\S]+?)~~|\[([^\]]+)\]\(([^)\s]+)(?:\s+"[^"]*")?\)|(https?:\/\/[^\s<>()]+[^\s<>().,;:!?'"])/;

export function inline(text: string, key = 0): ComponentChildren[] {
  const out: ComponentChildren[] = [];
  let rest = text;
  let n = key;
  while (rest) {
    const m = INLINE.exec(rest);
    if (!m) {
      out.push(rest);
      break;
    }
    if (m.index > 0) out.push(rest.slice(0, m.index));
    const k = n++;
    if (m[1]) out.push(<code key={k}>{m[2]}</code>);
    else if (m[3] ?? m[4]) out.push(<strong key={k}>{inline((m[3] ?? m[4])!, k * 100)}</strong>);
    else if (m[5] ?? m[6]) out.push(<em key={k}>{inline((m[5] ?? m[6])!, k * 100)}</em>);
    else if (m[7]) out.push(<del key={k}>{inline(m[7], k * 100)}</del>);
    else if (m[8]) out.push(safeLink(m[9], inline(m[8], k * 100), k));
    else if (m[10]) out.push(safeLink(m[10], m[10], k));
    rest = rest.slice(m.index + m[0].length);
  }
  return out;
}

function safeLink(href: string, children: ComponentChildren, key: number): VNode | ComponentChildren {
  if (!/^https?:\/\//i.test(href)) return children; // javascript:, data: and relative links stay text
  return (
    <a key={key} href={href} target="_blank" rel="noopener noreferrer nofollow">
      {children}
    </a>
  );
}

/** A paragraph's lines: joined by a space, or broken where a line ends in two spaces or a backslash. */
function withBreaks(text: string): ComponentChildren[] {
  const parts: ComponentChildren[] = [];
  const lines = text.split("\n");
  lines.forEach((line, i) => {
    const hard = / {2,}$|\\$/.test(line);
    parts.push(...inline(hard ? line.replace(/ {2,}$|\\$/, "") : line, i * 1000));
    if (i < lines.length - 1) parts.push(hard ? <br key={`br${i}`} /> : " ");
  });
  return parts;
}

export const Markdown = memo(function Markdown({ text }: { text: string }) {
  return (
    <div class="md">
      {blocks(text).map((b, i) => {
        switch (b.kind) {
          case "p":
            return <p key={i}>{withBreaks(b.text)}</p>;
          case "h": {
            const Tag = `h${Math.min(6, b.level + 2)}` as "h3";
            return <Tag key={i}>{inline(b.text)}</Tag>;
          }
          case "code":
            return (
              <pre key={i} class="md-code" data-lang={b.lang || undefined}>
                <code>{b.text}</code>
              </pre>
            );
          case "quote":
            return <blockquote key={i}>{withBreaks(b.text)}</blockquote>;
          case "list": {
            const items = b.items.map((item, j) => <li key={j}>{inline(item)}</li>);
            return b.ordered ? (
              <ol key={i} start={b.start}>
                {items}
              </ol>
            ) : (
              <ul key={i}>{items}</ul>
            );
          }
          case "hr":
            return <hr key={i} />;
        }
      })}
    </div>
  );
});
