/**
 * The report's HTML shell and stylesheet. Self-contained: no scripts, no external resources (the
 * Content-Security-Policy forbids them, so a stray link shows up as a console error in tests).
 */
import { esc } from "./svg.js";

export const REPORT_CSS = `
:root {
  --fg: #1d2329; --muted: #5b6670; --line: #dde2e6; --bg: #ffffff; --panel: #f6f8f9;
  --accent: #2f5d8a; --best: #e3f4e1; --best-fg: #17622a; --worse: #a23b2c;
}
* { box-sizing: border-box; }
html { background: var(--bg); }
body {
  margin: 0 auto; max-width: 1320px; padding: 28px 36px 60px; color: var(--fg);
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", "DejaVu Sans", "Liberation Sans", Arial, sans-serif;
}
header { border-bottom: 2px solid var(--accent); padding-bottom: 10px; margin-bottom: 6px; }
h1 { font-size: 26px; margin: 0 0 4px; color: var(--accent); letter-spacing: 0.01em; }
h2 { font-size: 20px; margin: 34px 0 10px; padding-bottom: 4px; border-bottom: 1px solid var(--line); }
h3 { font-size: 16px; margin: 22px 0 8px; }
.sub { color: var(--muted); margin: 0; font-size: 14px; }
.runs { margin: 6px 0 0; padding: 0; list-style: none; display: flex; flex-wrap: wrap; gap: 6px 14px; }
.runs li { font-size: 14px; }
.runs code { font-weight: 600; }
nav { margin: 12px 0 0; font-size: 14px; }
nav a { color: var(--accent); text-decoration: none; margin-right: 16px; }
nav a:hover { text-decoration: underline; }
table { border-collapse: collapse; font-size: 14px; margin: 6px 0 4px; }
th, td { padding: 6px 12px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
thead th { background: var(--panel); border-bottom: 2px solid var(--line); font-weight: 600; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
/* Long config values (descriptions) wrap instead of widening the page. */
table.diff td.num { white-space: normal; overflow-wrap: anywhere; max-width: 30em; }
td.best { background: var(--best); color: var(--best-fg); font-weight: 700; }
td.best::after { content: " ✓"; font-weight: 400; }
td.delta.good { color: var(--best-fg); }
td.delta.bad { color: var(--worse); }
td.dir { color: var(--muted); white-space: nowrap; font-size: 13px; }
.key { display: block; font: 12px/1.3 "DejaVu Sans Mono", ui-monospace, monospace; color: var(--muted); }
figure { margin: 14px 0 26px; }
figure img { max-width: 100%; height: auto; display: block; border: 1px solid var(--line); border-radius: 4px; }
figcaption { color: var(--muted); font-size: 13.5px; margin-top: 6px; max-width: 980px; }
figcaption b { color: var(--fg); }
.error { border: 1px solid #e0b4ac; background: #fbefed; color: #7a2a1e; padding: 8px 12px; border-radius: 4px; }
.note { border-left: 4px solid #d9a441; background: #fdf7ea; padding: 8px 12px; margin: 8px 0; border-radius: 0 4px 4px 0; }
.configs { display: grid; grid-template-columns: repeat(auto-fit, minmax(380px, 1fr)); gap: 16px; }
.configs h3 { margin-top: 0; }
pre.json {
  background: var(--panel); border: 1px solid var(--line); border-radius: 4px; padding: 10px 12px; margin: 0;
  font: 12.5px/1.45 "DejaVu Sans Mono", ui-monospace, monospace; overflow: auto; max-height: 560px;
}
pre.json .k { color: #23527c; } pre.json .s { color: #2d7a38; } pre.json .n { color: #a0522d; }
pre.json .b { color: #7a3e9d; }
dl.glossary { display: grid; grid-template-columns: minmax(180px, max-content) 1fr; gap: 8px 20px; font-size: 14px; }
dl.glossary dt { font-weight: 600; }
dl.glossary dd { margin: 0; }
dl.glossary .dir { color: var(--muted); font-size: 13px; }
footer { margin-top: 40px; color: var(--muted); font-size: 13px; border-top: 1px solid var(--line); padding-top: 8px; }
@media print { body { max-width: none; padding: 0; } h2 { break-after: avoid; } figure { break-inside: avoid; } }
`;

export interface Shell {
  title: string;
  /** Escaped HTML of the header contents after the title. */
  headerHtml: string;
  bodyHtml: string;
  footerHtml: string;
}

/** The whole document. */
export function renderShell(s: Shell): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'">
<meta name="generator" content="ricci-gen">
<title>${esc(s.title)}</title>
<style>${REPORT_CSS}</style>
</head>
<body>
<header>
<h1>${esc(s.title)}</h1>
${s.headerHtml}
</header>
<main>
${s.bodyHtml}
</main>
<footer>${s.footerHtml}</footer>
</body>
</html>
`;
}
