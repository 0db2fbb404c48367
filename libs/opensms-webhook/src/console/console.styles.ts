/** The console's one stylesheet, served by the console itself (no CDN, no build step). */
export const CONSOLE_STYLESHEET = `
:root {
  --ink: #1d2330; --muted: #5c6677; --line: #dde2ea; --paper: #ffffff; --ground: #f4f6f9;
  --accent: #1f5fbf; --accent-ink: #ffffff; --bar: #17202e;
  --received: #5c6677; --processing: #1f5fbf; --processed: #1c7c45; --failed: #b26a00;
  --dead: #b3261e; --invalid: #7b3fa0; --ignored: #7a8494;
  color-scheme: light;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body {
  margin: 0; background: var(--ground); color: var(--ink);
  font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
a { color: var(--accent); text-decoration: none; }
a:hover { text-decoration: underline; }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: 13px; }
.bar {
  display: flex; flex-wrap: wrap; align-items: center; gap: 6px 20px;
  padding: 10px 20px; background: var(--bar); color: #e8ecf2;
}
.bar a { color: #e8ecf2; }
.brand { font-weight: 700; letter-spacing: .2px; margin-right: 8px; }
.bar nav { display: flex; gap: 16px; }
.bar .user { margin-left: auto; color: #aab4c3; font-size: 13px; }
main { max-width: 1180px; margin: 0 auto; padding: 20px; }
h1 code { font-size: inherit; }
h1 { font-size: 22px; margin: 4px 0 16px; display: flex; flex-wrap: wrap; align-items: center; gap: 10px; word-break: break-all; }
h2 { font-size: 16px; margin: 28px 0 10px; }
.crumbs { font-size: 13px; color: var(--muted); margin-bottom: 6px; }
.notice { background: #e8f1ff; border: 1px solid #b9d2f5; padding: 10px 14px; border-radius: 6px; margin-bottom: 16px; }
.problems { background: #fdecea; border: 1px solid #f2b8b5; padding: 10px 14px 10px 32px; border-radius: 6px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(220px, 1fr)); gap: 14px; }
.card { background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px; }
.card .label { color: var(--muted); font-size: 13px; }
.card .figure { font-size: 28px; font-weight: 700; margin: 2px 0; }
.card .hint { color: var(--muted); font-size: 13px; }
.card form { margin-top: 8px; }
.card.alert .figure { color: var(--dead); }
.card.paused .figure { color: var(--failed); }
.counts { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: 8px; }
.counts a {
  display: flex; align-items: center; gap: 8px; background: var(--paper); border: 1px solid var(--line);
  border-radius: 999px; padding: 4px 12px 4px 6px; color: var(--ink);
}
.state {
  display: inline-block; border-radius: 999px; padding: 1px 9px; font-size: 12px; font-weight: 600;
  color: #fff; background: var(--received); white-space: nowrap;
}
.state-processing { background: var(--processing); } .state-processed { background: var(--processed); }
.state-failed { background: var(--failed); } .state-dead { background: var(--dead); }
.state-invalid { background: var(--invalid); } .state-ignored { background: var(--ignored); }
.stale { display: inline-block; border: 1px solid var(--failed); color: var(--failed); border-radius: 999px; padding: 0 8px; font-size: 12px; }
.table-wrap { overflow-x: auto; background: var(--paper); border: 1px solid var(--line); border-radius: 8px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 8px 12px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { font-size: 12px; text-transform: uppercase; letter-spacing: .4px; color: var(--muted); background: #fafbfc; white-space: nowrap; }
tr:last-child td { border-bottom: 0; }
tr.current td { background: #fff8e1; }
td.nowrap { white-space: nowrap; }
table.pairs th { text-transform: none; letter-spacing: 0; font-size: 13px; color: var(--ink); width: 1%; }
td.mono, th.mono { word-break: break-all; }
.empty { color: var(--muted); padding: 14px; margin: 0; }
form.search {
  display: grid; grid-template-columns: repeat(auto-fit, minmax(170px, 1fr)); gap: 10px 14px; align-items: end;
  background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 14px;
}
label { display: flex; flex-direction: column; gap: 4px; font-size: 13px; color: var(--muted); }
input, select {
  font: inherit; color: var(--ink); padding: 7px 9px; border: 1px solid #c5ccd8; border-radius: 6px; background: #fff; width: 100%;
}
button, .button {
  display: inline-block; font: inherit; font-weight: 600; padding: 7px 14px; border-radius: 6px; cursor: pointer;
  border: 1px solid var(--accent); background: var(--accent); color: var(--accent-ink); text-align: center;
}
.button.secondary, button.secondary { background: #fff; color: var(--accent); }
button.danger { background: var(--dead); border-color: var(--dead); }
.actions { display: flex; flex-wrap: wrap; gap: 10px; align-items: center; margin: 12px 0; }
details.reprocess { margin: 12px 0; }
details.reprocess summary { cursor: pointer; color: var(--accent); }
details.reprocess fieldset { border: 1px solid var(--line); border-radius: 6px; margin: 10px 0; display: flex; flex-direction: column; gap: 6px; }
.hint { color: var(--muted); font-size: 13px; }
.pager { display: flex; justify-content: space-between; margin: 12px 0; }
dl.facts {
  display: grid; grid-template-columns: max-content 1fr; gap: 6px 18px; margin: 0;
  background: var(--paper); border: 1px solid var(--line); border-radius: 8px; padding: 14px 16px;
}
dl.facts dt { color: var(--muted); }
dl.facts dd { margin: 0; word-break: break-all; }
pre {
  background: #0f1621; color: #e6edf3; padding: 14px; border-radius: 8px; overflow-x: auto; margin: 0;
  white-space: pre-wrap; word-break: break-word;
}
pre.error { background: #fdecea; color: #6b1510; border: 1px solid #f2b8b5; }
@media (max-width: 640px) {
  main { padding: 12px; }
  table.stack thead { display: none; }
  table.stack, table.stack tbody, table.stack tr { display: block; }
  table.stack tr { padding: 8px 12px; border-bottom: 1px solid var(--line); }
  table.stack tr:last-child { border-bottom: 0; }
  table.stack td { display: flex; gap: 12px; padding: 2px 0; border: 0; white-space: normal; }
  table.stack td::before { content: attr(data-label); flex: 0 0 84px; color: var(--muted); font-size: 13px; }
  table.pairs th, table.pairs td { display: block; width: auto; border: 0; padding: 4px 12px; }
  table.pairs tr { display: block; border-bottom: 1px solid var(--line); padding: 4px 0; }
  dl.facts { grid-template-columns: 1fr; gap: 0; }
  dl.facts dd { margin-bottom: 8px; }
  .bar .user { margin-left: 0; width: 100%; }
}
`;
