/**
 * The policy playground (`/playground`, on with RSK_PLAYGROUND): one page that runs the gateway's own
 * `POST /v1/rsk/scan` on text you type — findings highlighted with their rule and action, the text as it would be
 * released, and the same text streamed in small pieces showing what each piece releases and what waits. The page
 * builds the DOM from text nodes only (no HTML from input) under a nonce-based Content-Security-Policy.
 */
import type { Context } from "hono";

const STYLE = `
body { font: 15px/1.45 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; padding: 0 1rem; color: #1d1d1f; }
h1 { font-size: 1.4rem; } label { margin-right: 1rem; } textarea { width: 100%; font: 14px ui-monospace, monospace; }
#view, #released, #steps { font: 14px ui-monospace, monospace; white-space: pre-wrap; border: 1px solid #ccc; padding: .6rem; min-height: 1.5rem; }
#steps { padding-left: 3rem; }
mark { border-radius: 3px; padding: 0 2px; } mark[data-action=block] { background: #f7b2b2; } mark[data-action=redact], mark[data-action=mask] { background: #ffe08a; }
mark[data-action=log] { background: #c9e7ff; } #error { color: #b00020; } .held { color: #8a8a8a; }`;

const SCRIPT = `
const $ = (id) => document.getElementById(id);
const key = $("key"), policy = $("policy"), stage = $("stage"), text = $("text");
key.value = sessionStorage.getItem("rsk-key") ?? "";
const headers = () => {
  sessionStorage.setItem("rsk-key", key.value);
  const h = { "content-type": "application/json" };
  if (key.value) h.authorization = "Bearer " + key.value;
  if (policy.value) h["x-rsk-policy"] = policy.value;
  return h;
};
const show = (el, ...nodes) => el.replaceChildren(...nodes);
async function scan(body) {
  $("error").textContent = "";
  const res = await fetch(new URL("v1/rsk/scan", location.href), { method: "POST", headers: headers(), body: JSON.stringify({ ...body, stage: stage.value }) });
  const out = await res.json();
  if (!res.ok) { $("error").textContent = (out.error && out.error.message) || res.status; return undefined; }
  return out;
}
function highlight(source, findings, blocked) {
  const spans = [...findings, ...(blocked ? [blocked] : [])].sort((a, b) => a.start - b.start);
  const nodes = [];
  let at = 0;
  for (const f of spans) {
    if (f.start < at) continue;
    nodes.push(document.createTextNode(source.slice(at, f.start)));
    const mark = document.createElement("mark");
    mark.textContent = source.slice(f.start, f.end);
    mark.dataset.rule = f.rule;
    mark.dataset.action = f.action;
    mark.title = f.rule + " (" + f.action + ")";
    nodes.push(mark);
    at = f.end;
  }
  nodes.push(document.createTextNode(source.slice(at)));
  show($("view"), ...nodes);
  $("summary").textContent = spans.length + " finding(s)" + (blocked ? "; blocked by rule " + blocked.rule : "");
}
$("scan").addEventListener("click", async () => {
  const source = text.value;
  const out = await scan({ text: source });
  if (!out) return;
  highlight(source, out.findings, out.blocked);
  $("released").textContent = out.text;
});
$("stream").addEventListener("click", async () => {
  const source = text.value;
  const chunks = source.match(/[\\s\\S]{1,3}/g) ?? [];
  const out = await scan({ chunks });
  if (!out) return;
  highlight(source, out.findings, out.blocked);
  $("released").textContent = out.text;
  show($("steps"), ...out.steps.map((s, i) => {
    const li = document.createElement("li");
    li.append(document.createTextNode(JSON.stringify(chunks[i] ?? "(end)") + " → " + JSON.stringify(s.released)));
    if (s.held) { const held = document.createElement("span"); held.className = "held"; held.textContent = "  (" + s.held + " held)"; li.append(held); }
    return li;
  }));
});
fetch(new URL("healthz", location.href)).then((r) => r.json()).then((h) => {
  for (const name of h.policies) { const o = document.createElement("option"); o.value = o.textContent = name; policy.append(o); }
  policy.value = h.defaultPolicy;
});`;

/** The playground page, its inline script and style allowed by `nonce` only. */
function page(nonce: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>rsk policy playground</title><style nonce="${nonce}">${STYLE}</style></head>
<body>
<h1>rsk policy playground</h1>
<p><label>API key <input id="key" type="password" autocomplete="off"></label>
<label>Policy <select id="policy"></select></label>
<label>Gates <select id="stage"><option>output</option><option>input</option><option>reasoning</option></select></label></p>
<textarea id="text" rows="8" placeholder="Type or paste text: an email, a card number, a phrase your policy blocks…"></textarea>
<p><button id="scan">Scan</button> <button id="stream">Stream in 3-character pieces</button> <span id="summary"></span> <span id="error"></span></p>
<h2>Findings</h2><div id="view"></div>
<h2>Released</h2><div id="released"></div>
<h2>Streamed</h2><ol id="steps"></ol>
<script nonce="${nonce}" type="module">${SCRIPT}</script>
</body></html>`;
}

/** `GET /playground`. */
export function playgroundHandler(c: Context): Response {
  const nonce = crypto.randomUUID().replaceAll("-", "");
  c.header("content-security-policy", `default-src 'none'; script-src 'nonce-${nonce}'; style-src 'nonce-${nonce}'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
  c.header("x-content-type-options", "nosniff");
  c.header("referrer-policy", "no-referrer");
  return c.html(page(nonce));
}
