// mockmx web UI: plain JavaScript, no dependencies. Every data request carries the API token (kept in
// sessionStorage for this tab); live updates long-poll /api/v1/wait?change=N, since EventSource cannot send
// an Authorization header.
"use strict";

const state = { change: 0, view: null, sessionCache: new Map(), messageCache: new Map(), verdicts: null };
const $ = (selector) => document.querySelector(selector);

function escapeHTML(text) {
  return String(text).replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
}

// MARK: - The API, with the token

class Unauthorized extends Error {}

async function api(path, options = {}) {
  const headers = Object.assign({}, options.headers || {});
  const token = sessionStorage.getItem("mockmx-token");
  if (token) headers.Authorization = "Bearer " + token;
  const response = await fetch(path, Object.assign({}, options, { headers, cache: "no-store" }));
  if (response.status === 401) {
    askForToken(token ? "that token was refused" : "");
    throw new Unauthorized("the API wants a token");
  }
  $("#token-form").hidden = true;
  return response;
}

async function apiJSON(path, options) {
  const response = await api(path, options);
  const body = await response.json();
  if (!response.ok) throw Object.assign(new Error(body.error || response.statusText), { status: response.status, body });
  return body;
}

function askForToken(problem) {
  const form = $("#token-form");
  form.hidden = false;
  $("#token-error").textContent = problem;
  $("#token").focus();
}

// MARK: - Live updates

async function liveLoop() {
  for (;;) {
    try {
      const response = await api(`/api/v1/wait?change=${state.change}&timeout=25s`);
      const body = await response.json();
      $("#live").classList.add("on");
      if (typeof body.change === "number" && body.change !== state.change) {
        state.change = body.change;
        await refresh(true);
      }
    } catch (error) {
      $("#live").classList.remove("on");
      await new Promise((resolve) => setTimeout(resolve, error instanceof Unauthorized ? 3000 : 1000));
    }
  }
}

async function refresh(live) {
  await Promise.all([renderMetrics(), render(live)]);
}

// MARK: - Metrics at a glance

async function renderMetrics() {
  const response = await api("/metrics");
  if (!response.ok) return;
  const text = await response.text();
  const value = (name) => {
    const match = text.match(new RegExp("^" + name + " (\\d+)", "m"));
    return match ? match[1] : "0";
  };
  const replies = [...text.matchAll(/^mockmx_replies_total\{code="(\d+)"\} (\d+)/gm)].map((m) => `${m[1]}×${m[2]}`);
  $("#metrics").innerHTML =
    `<span>sessions <b>${escapeHTML(value("mockmx_sessions_total"))}</b> (open <b>${escapeHTML(value("mockmx_sessions_active"))}</b>)</span>` +
    `<span>messages <b>${escapeHTML(value("mockmx_messages_total"))}</b></span>` +
    `<span>replies <b>${escapeHTML(replies.join(" ") || "none")}</b></span>`;
}

// MARK: - Routing

function route() {
  const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
  return { name: parts[0] || "sessions", id: parts[1], extra: parts[2] };
}

async function render(live) {
  const { name, id } = route();
  for (const tab of ["sessions", "messages", "scenarios", "verdicts"]) {
    const current = name === tab || (name === "session" && tab === "sessions") || (name === "message" && tab === "messages");
    $("#tab-" + tab).classList.toggle("current", current);
  }
  try {
    switch (name) {
      case "session": return await renderSession(id, live);
      case "messages": return await renderMessages(live);
      case "message": return live ? undefined : await renderMessage(id);
      case "scenarios": return live ? undefined : await renderScenarios();
      case "verdicts": return await renderVerdicts(live);
      default: return await renderSessions(live);
    }
  } catch (error) {
    if (!(error instanceof Unauthorized)) $("#view").innerHTML = `<p class="errors">${escapeHTML(error.message)}</p>`;
  }
}

// MARK: - Sessions

function formatTime(iso) {
  const date = new Date(iso);
  return date.toLocaleTimeString([], { hour12: false }) + "." + String(date.getMilliseconds()).padStart(3, "0");
}

function formatDuration(milliseconds) {
  if (milliseconds < 1000) return `${Math.round(milliseconds)} ms`;
  if (milliseconds < 60000) return `${(milliseconds / 1000).toFixed(2)} s`;
  return `${Math.floor(milliseconds / 60000)} m ${Math.round((milliseconds % 60000) / 1000)} s`;
}

// MARK: - Pages of a list

const pageSize = 100;

// Page `state.pages[kind]` of a list counted back from the newest (0: the newest `pageSize` items), with
// the API's `?start=&limit=` (start counts from the oldest retained item, so the count is asked for first).
async function fetchPage(kind) {
  state.pages = state.pages || {};
  const path = "/api/v1/" + kind;
  let { total } = await apiJSON(path + "?limit=0");
  for (let attempt = 0; ; attempt++) {
    const page = Math.min(state.pages[kind] || 0, Math.max(0, Math.ceil(total / pageSize) - 1));
    state.pages[kind] = page;
    const end = Math.max(0, total - page * pageSize);
    const start = Math.max(0, end - pageSize);
    const list = await apiJSON(`${path}?start=${start}&limit=${end - start}`);
    // Items that came or went between the two requests shift the page: asked again, once.
    if (list.total !== total && attempt === 0) { total = list.total; continue; }
    list.page = page;
    list.first = Math.max(0, list.total - list.start - list.count) + 1;
    return list;
  }
}

function pager(kind, list) {
  const last = list.first + list.count - 1;
  return `<div class="toolbar pager" data-kind="${kind}"><button class="newer"${list.page ? "" : " disabled"}>← newer</button>` +
    `<span class="page-info">${list.count ? `${list.first}–${last}` : "0"} of ${list.total}, newest first${list.page ? " (live updates paused on older pages)" : ""}</span>` +
    `<button class="older"${list.start > 0 ? "" : " disabled"}>older →</button></div>`;
}

function setUpPager(kind, render) {
  for (const [cls, step] of [["newer", -1], ["older", 1]]) {
    const button = document.querySelector(`.pager[data-kind=${kind}] .${cls}`);
    if (button) button.onclick = () => { state.pages[kind] = Math.max(0, (state.pages[kind] || 0) + step); render(); };
  }
}

// Live updates refetch the newest page only: an older page stays as it was read.
function pagePaused(kind, live) {
  return live && state.pages && state.pages[kind] > 0;
}

async function renderSessions(live) {
  if (pagePaused("sessions", live)) return;
  const list = await fetchPage("sessions");
  const sessions = list.sessions.slice().reverse();
  if (route().name !== "sessions") return;
  const rows = sessions.map((s) => {
    const end = s.endedAt ? new Date(s.endedAt) : new Date();
    const duration = formatDuration(end - new Date(s.startedAt));
    const reason = s.endReason
      ? `<span class="badge${/rule|firewall/.test(s.endReason) ? " fault" : ""}">${escapeHTML(s.endReason)}</span>`
      : `<span class="badge open">open</span>`;
    const rules = s.rulesFired.length
      ? `<span class="rule-mark" title="${escapeHTML(s.rulesFired.join("\n"))}">⚑ ${s.rulesFired.length}</span>` : "";
    return `<tr data-session="${escapeHTML(s.id)}"><td class="mono">${escapeHTML(s.id)}</td><td>${escapeHTML(s.client)}</td>` +
      `<td class="optional">${escapeHTML(s.listener)}<br><span class="muted">${escapeHTML(s.scenario)}</span></td>` +
      `<td>${formatTime(s.startedAt)}</td><td class="optional">${duration}</td><td>${reason}</td>` +
      `<td>${s.messages.length}</td><td>${rules}</td></tr>`;
  });
  $("#view").innerHTML = `<h2>Sessions <span class="muted">${list.total} retained, ${list.started} started, ${list.ended} ended</span></h2>` +
    (list.total > pageSize ? pager("sessions", list) : "") + (rows.length ? `<div class="scroll"><table id="sessions"><thead><tr><th>id</th><th>client</th><th class="optional">listener / scenario</th>` +
      `<th>start</th><th class="optional">duration</th><th>end</th><th>msgs</th><th>rules</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`
      : `<p class="empty">No sessions yet: point a sender at one of the listeners.</p>`);
  for (const row of document.querySelectorAll("tr[data-session]")) {
    row.addEventListener("click", () => { location.hash = "#/session/" + encodeURIComponent(row.dataset.session); });
  }
  setUpPager("sessions", renderSessions);
}

async function renderSession(id, live) {
  const cached = state.sessionCache.get(id);
  if (live && cached && cached.endReason) return;
  const session = await apiJSON("/api/v1/sessions/" + encodeURIComponent(id));
  state.sessionCache.set(id, session);
  if (route().name !== "session" || route().id !== id) return;
  // `#/session/ID/N[,M…]` (a verdict's evidence) opens the transcript with those entries marked.
  const entry = route().extra;
  const marked = new Set(entry !== undefined ? entry.split(",").map(Number) : []);
  // The evidence opens in the transcript; the Diagram button shows the same entries marked there.
  const mode = state.sessionModeFor === location.hash ? state.sessionMode : entry !== undefined ? "transcript" : state.sessionMode || "diagram";
  const duration = formatDuration((session.endedAt ? new Date(session.endedAt) : new Date()) - new Date(session.startedAt));
  const started = performance.now();
  const body = mode === "diagram" ? `<div class="diagram" id="diagram">${sequenceDiagram(session, marked)}</div>`
    : `<pre class="transcript" id="transcript">${plainTranscript(session, true, marked)}</pre>`;
  const messageLinks = session.messages.map((m) => `<a href="#/message/${encodeURIComponent(m)}">${escapeHTML(m)}</a>`).join(", ");
  $("#view").innerHTML = `<h2>Session <span class="mono">${escapeHTML(session.id)}</span></h2>` +
    `<div class="summary"><div><span>client</span>${escapeHTML(session.client)}</div>` +
    `<div><span>listener</span>${escapeHTML(session.listener)}</div><div><span>scenario</span>${escapeHTML(session.scenario)}</div>` +
    `<div><span>started</span>${formatTime(session.startedAt)}</div><div><span>duration</span>${duration}</div>` +
    `<div><span>end</span>${escapeHTML(session.endReason || "open")}</div><div><span>messages</span>${messageLinks || "none"}</div>` +
    `<div><span>entries</span>${session.transcriptEntries}${session.omittedTranscriptEntries ? ` (+${session.omittedTranscriptEntries} omitted)` : ""}</div></div>` +
    `<div class="toolbar"><div class="tabs"><button id="show-diagram" class="${mode === "diagram" ? "current" : ""}">Diagram</button>` +
    `<button id="show-transcript" class="${mode === "transcript" ? "current" : ""}">Transcript</button></div>` +
    `<button id="download-json">Download JSON</button><button id="download-text">Download text</button></div>` + body;
  document.body.dataset.renderMilliseconds = String(performance.now() - started);
  $("#show-diagram").onclick = () => { state.sessionMode = "diagram"; state.sessionModeFor = location.hash; renderSession(id); };
  $("#show-transcript").onclick = () => { state.sessionMode = "transcript"; state.sessionModeFor = location.hash; renderSession(id); };
  const first = document.querySelector("#transcript .marked, #diagram .marked-row");
  if (first && !live) first.scrollIntoView({ block: "center" });
  $("#download-json").onclick = () => download(`session-${session.id}.json`, JSON.stringify(session, null, 2), "application/json");
  $("#download-text").onclick = () => download(`session-${session.id}.txt`, plainTranscript(session, false), "text/plain");
  for (const fold of document.querySelectorAll("[data-fold]")) {
    fold.addEventListener("click", () => {
      const key = fold.dataset.fold;
      state.unfolded = state.unfolded || new Set();
      state.unfolded.has(key) ? state.unfolded.delete(key) : state.unfolded.add(key);
      renderSession(id);
    });
  }
}

function download(name, text, type) {
  const link = document.createElement("a");
  link.href = URL.createObjectURL(new Blob([text], { type }));
  link.download = name;
  link.click();
  setTimeout(() => URL.revokeObjectURL(link.href), 1000);
}

// A transcript time to the microsecond it carries (Date.parse stops at the millisecond, and a command
// pipelined behind another often arrives in the same millisecond its predecessor's reply goes out).
function microseconds(iso) {
  const fraction = (iso.match(/\.(\d+)/) || ["", ""])[1];
  return Date.parse(iso.replace(/\.\d+/, "")) * 1000 + Number(fraction.padEnd(6, "0").slice(0, 6));
}

function offset(session, entry) {
  return (new Date(entry.time) - new Date(session.startedAt)) / 1000;
}

function plainTranscript(session, html, marked) {
  const who = { client: "C:", "host-received": "F→", server: "S:", note: "--" };
  // A kind of entry this page does not know yet is shown by its name.
  return session.transcript.map((entry, index) => {
    const line = `+${offset(session, entry).toFixed(3).padStart(8)}  ${who[entry.direction] || entry.direction + ":"} ${entry.text}`;
    const rule = entry.rule ? `   [${entry.rule}]` : "";
    if (!html) return line + rule;
    const text = escapeHTML(line) + (rule ? `<span class="rule">${escapeHTML(rule)}</span>` : "");
    return marked && marked.has(index) ? `<span class="marked" data-entry="${index}">${text}</span>` : text;
  }).join("\n") + "\n";
}

// MARK: - The sequence diagram

const endNames = {
  "reset-by-rule": "RST — connection reset by rule",
  "closed-by-rule": "FIN — connection closed by rule",
  "client-quit": "FIN after QUIT",
  "client-vanished": "client went away (FIN/RST from client)",
  "dropped-by-firewall": "RST — dropped by the firewall",
  "protocol-close": "FIN — host closed (protocol)",
  "timeout": "FIN — idle timeout",
  "host-shutdown": "FIN — host shutting down",
  "output-overflow": "FIN — client not reading",
  "tls-failed": "TLS failed",
};

// Turns the transcript into diagram rows: arrows, pipelined flights, folded content, rule boxes, the end.
const firewallPassed = "firewall passed it on as: ";
// Proxy mode records the upstream's leg as notes: each line it said, the content relayed, its failures, its TLS.
// (A rule's note is the rule's, whatever its name says.)
const upstreamSaid = "upstream said: ";
const isUpstreamNote = (entry) => entry.direction === "note" && !entry.rule && /^upstream |\b(?:to|toward|the) upstream\b/.test(entry.text);

function diagramRows(session) {
  const rows = [];
  const flights = [];
  const entries = session.transcript;
  const unfolded = state.unfolded || new Set();
  // Between a 354 and the final dot the client's lines are message content, not commands.
  let inContent = false;
  // A command that arrived before the reply to the one before it went out was pipelined with it: one flight.
  let lastReplyTime = -Infinity, previousCommand = null, flight = null;
  // Commands not answered yet, oldest first (pipelined ones queue): each is drawn on to the upstream when
  // the upstream's reply to it begins, or dropped when mockmx answers it itself (STARTTLS, AUTH…). The
  // upstream's reply lines to the step now running tell whether the client got what the upstream said.
  const unanswered = [];
  let upstreamReply = null, upstreamOpen = false, connected = false;
  // Each row knows the transcript entries it stands for (first..last), so a verdict's evidence can be marked.
  let tagged = 0;
  const tag = (first, last) => { for (; tagged < rows.length; tagged++) Object.assign(rows[tagged], { first, last }); };
  for (let index = 0; index < entries.length; tag(index, index), index++) {
    const entry = entries[index];
    const at = offset(session, entry);
    if (entry.direction === "server") {
      inContent = /^354\b/.test(entry.text);
      lastReplyTime = microseconds(entry.time);
    }
    if (entry.direction === "client") {
      let end = index;
      while (end + 1 < entries.length && entries[end + 1].direction === "client") end++;
      if (inContent) {
        // Message content (after DATA's or XEXCH50's 354) is folded up to its final dot.
        for (let i = index; i <= end; i++) if (entries[i].text === ".") { end = i; inContent = false; break; }
        const key = `content-${session.id}-${index}`;
        rows.push({ kind: "fold", key, at, text: `message content — ${end - index + 1} lines (click to ${unfolded.has(key) ? "fold" : "unfold"})`, open: unfolded.has(key) });
        tag(index, end);
        if (unfolded.has(key)) for (let i = index; i <= end; i++) rows.push({ kind: "arrow", from: "client", at: offset(session, entries[i]), text: entries[i].text, content: true, first: i, last: i });
        tagged = rows.length;
        index = end;
        continue;
      }
      const row = { kind: "arrow", from: "client", at, text: entry.text, rule: entry.rule };
      if (previousCommand && microseconds(entry.time) < lastReplyTime) {
        if (!flight) flights.push(flight = [previousCommand]);
        flight.push(row);
      } else {
        flight = null;
      }
      previousCommand = row;
      unanswered.push(row);
      rows.push(row);
    } else if (entry.direction === "host-received") {
      rows.push({ kind: "arrow", from: "firewall", at, text: entry.text, rule: entry.rule });
    } else if (entry.direction === "server") {
      // A reply the firewall persona rewrote stops at the firewall; the rewritten one goes on from there.
      const next = entries[index + 1];
      const rewritten = next && next.direction === "note" && next.text.startsWith(firewallPassed);
      const row = { kind: "arrow", from: "mockmx", to: rewritten ? "firewall" : "client", at, text: entry.text, rule: entry.rule, fault: Boolean(entry.rule) };
      if (upstreamReply && upstreamReply.length && !upstreamReply.some((r) => r.text === entry.text)) {
        // What the client got is not what the upstream said: a rule (or mockmx's relay) replaced it.
        for (const r of upstreamReply) Object.assign(r, { replaced: true, rule: entry.rule ? "replaced by " + entry.rule : "replaced by mockmx" });
        row.upstream = upstreamReply.map((r) => r.text).join(" / ");
      }
      rows.push(row);
      if (entry.text[3] !== "-") {
        // The reply's last line: its command is answered, by the upstream's reply or by mockmx alone.
        if (!upstreamReply) unanswered.shift();
        upstreamReply = null;
      }
    } else {
      const text = entry.text;
      if (text.startsWith(upstreamSaid)) {
        const line = text.slice(upstreamSaid.length);
        if (!upstreamOpen) {
          // A reply begins: to the command relayed (or, first of all, to mockmx connecting).
          const command = connected ? unanswered.shift() : null;
          if (command || !connected) rows.push({ kind: "arrow", from: "mockmx", to: "upstream", at, text: command ? command.text : "(connects)", relayed: true });
          connected = true;
          upstreamReply = [];
        }
        upstreamOpen = line[3] === "-";
        const row = { kind: "arrow", from: "upstream", to: "mockmx", at, text: line };
        upstreamReply.push(row);
        rows.push(row);
      } else if (/^relaying \d+ pipelined command\(s\) along with /.test(text)) {
        // The rest of a pipelined group went upstream in the same write; each command is drawn as it is answered.
        rows.push({ kind: "note", lane: "upstream", at, text: text.replace(/ to upstream .*$/, "") });
      } else if (/^relaying .* to upstream /.test(text)) {
        rows.push({ kind: "arrow", from: "mockmx", to: "upstream", at, text: text.replace(/ to upstream .*$/, ""), relayed: true });
      } else if (/^upstream \S+ failed: /.test(text)) {
        // The upstream could not be reached, or failed the command relayed to it: an arrow that never arrives.
        const command = connected ? unanswered.shift() : null;
        rows.push({ kind: "missing", from: "mockmx", to: "upstream", at, text: (command ? command.text : "connect") + " — " + text.replace(/^upstream \S+ /, "") });
        upstreamReply = [];
      } else if (isUpstreamNote(entry)) {
        rows.push({ kind: "note", lane: "upstream", at, text });
      } else if (text.startsWith(firewallPassed)) {
        rows.push({ kind: "arrow", from: "firewall", to: "client", at, text: text.slice(firewallPassed.length), rule: "firewall persona", fault: true });
      } else if (/^firewall /.test(text)) {
        rows.push({ kind: "note", lane: "firewall", at, text });
      } else if (entry.rule && /^withheld/.test(text)) {
        rows.push({ kind: "missing", at, text: "reply withheld — never sent", rule: entry.rule });
      } else if (entry.rule) {
        const delay = text.match(/delay (\d+)ms/);
        rows.push({ kind: "rule", at, text: entry.rule, detail: text.startsWith(entry.rule) ? text.slice(entry.rule.length).replace(/^ on /, "on ") : text, delay: delay ? Number(delay[1]) : null });
      } else if (/^session ended: /.test(text)) {
        const reason = text.slice("session ended: ".length);
        rows.push({ kind: "end", at, text: endNames[reason] || reason, reason, fault: /rule|firewall/.test(reason) });
      } else {
        rows.push({ kind: "note", at, text });
      }
    }
  }
  return { rows, flights };
}

function sequenceDiagram(session, marked) {
  const hasFirewall = session.transcript.some((e) => e.direction === "host-received" || /^firewall /.test(e.text));
  const hasUpstream = session.transcript.some(isUpstreamNote);
  const lanes = ["client"].concat(hasFirewall ? ["firewall"] : [], ["mockmx"], hasUpstream ? ["upstream"] : []);
  // The upstream's address is in the notes about relayed content or a failure, when there are any.
  const upstreamAddress = session.transcript.map((e) => isUpstreamNote(e) && e.text.match(/\bupstream (\S+:\d+)/)).find(Boolean);
  const laneNames = { client: "client " + session.client, firewall: "firewall persona", mockmx: "mockmx " + session.listener,
    upstream: "upstream" + (upstreamAddress ? " " + upstreamAddress[1] : "") };
  const timeWidth = 170, laneGap = [0, 0, 480, 340, 280][lanes.length], top = 46, rowHeight = 24;
  const x = {};
  lanes.forEach((lane, i) => { x[lane] = timeWidth + 40 + i * laneGap; });
  const width = x[lanes[lanes.length - 1]] + 700;
  const { rows, flights } = diagramRows(session);
  const out = [];
  let y = top;
  let previousAt = 0;
  const label = (tx, ty, text, cls, anchor) =>
    `<text x="${tx}" y="${ty}" class="${cls}"${anchor ? ` text-anchor="${anchor}"` : ""}>${escapeHTML(text.length > 100 ? text.slice(0, 98) + "…" : text)}</text>`;
  for (const row of rows) {
    if (row.at !== undefined && row.at - previousAt >= 1) {
      // A pause of a second or more gets room of its own and its length.
      y += 20;
      out.push(label(timeWidth + 4, y, `⋮ ${formatDuration((row.at - previousAt) * 1000)} pause`, "gap"));
    }
    y += rowHeight;
    row.y = y;
    if (marked && marked.size && [...marked].some((n) => n >= row.first && n <= row.last)) {
      out.push(`<rect class="marked-row" x="0" y="${y - 15}" width="${width}" height="24"/>`);
    }
    if (row.at !== undefined) { out.push(label(4, y + 4, `+${row.at.toFixed(3)}s`, "time")); previousAt = row.at; }
    switch (row.kind) {
      case "arrow": {
        const from = x[row.from] || x.client;
        const to = row.to ? x[row.to] : row.from === "client" && hasFirewall ? x.firewall : x.mockmx;
        const reply = to < from;
        const cls = "arrow" + (reply ? " reply" : "") + (row.fault ? " fault" : "") + (row.replaced ? " replaced" : "");
        const head = to > from ? -8 : 8;
        const kinds = (row.fault ? " faulted" : "") + (row.to === "upstream" ? " upstream relayed" : row.from === "upstream" ? " upstream" : "") + (row.replaced ? " replaced" : "");
        out.push(`<g class="msg${kinds}" data-text="${escapeHTML(row.text)}"${row.upstream ? ` data-upstream="${escapeHTML(row.upstream)}"` : ""}>` +
          (row.upstream ? `<title>upstream said: ${escapeHTML(row.upstream)}</title>` : "") +
          `<line class="${cls}" x1="${from}" y1="${y}" x2="${to}" y2="${y}"/>` +
          `<path class="${cls}" d="M${to + head} ${y - 4} L${to} ${y} L${to + head} ${y + 4}"/>` +
          label(Math.min(from, to) + 8, y - 4, row.text, row.fault ? "fault-text" : row.replaced ? "replaced-text" : reply ? "reply-text" : "") +
          (row.rule ? label(Math.max(from, to) + 10, y + 4, "⚑ " + row.rule, "rule-text") : "") + `</g>`);
        break;
      }
      case "missing": {
        // A withheld reply stops halfway to the client; a relay the upstream never answered, halfway to it.
        const from = x[row.from || "mockmx"], to = x[row.to || "client"], mid = (from + to) / 2;
        out.push(`<g class="missing"${row.rule ? ` data-rule="${escapeHTML(row.rule)}"` : ""}><line class="arrow missing" x1="${from}" y1="${y}" x2="${mid}" y2="${y}"/>` +
          `<path class="arrow missing" d="M${mid - 6} ${y - 6} l12 12 M${mid - 6} ${y + 6} l12 -12"/>` +
          (to < from ? label(mid - 14, y + 4, row.text, "fault-text", "end") : label(mid + 14, y + 4, row.text, "fault-text")) +
          (row.rule ? label(from + 10, y + 4, "⚑ " + row.rule, "rule-text") : "") + `</g>`);
        break;
      }
      case "rule": {
        const text = `⚑ ${row.text}: ${row.detail}` + (row.delay ? ` (waits ${formatDuration(row.delay)})` : "");
        out.push(`<g class="rule-fired"><rect class="rule-box" x="${x.mockmx - 8}" y="${y - 13}" width="${Math.min(600, text.length * 7.3 + 12)}" height="18" rx="4"/>` +
          label(x.mockmx - 2, y, text, "rule-text") + `</g>`);
        break;
      }
      case "end": {
        out.push(`<g class="session-end" data-reason="${escapeHTML(row.reason)}"><line class="end-line" x1="${x.client}" y1="${y}" x2="${x.mockmx}" y2="${y}"/>` +
          label(x.mockmx + 10, y + 4, "✕ " + row.text, "end-text") + `</g>`);
        break;
      }
      case "fold": {
        out.push(`<g class="fold" data-fold="${row.key}"><rect x="${x.client + 10}" y="${y - 13}" width="${x.mockmx - x.client - 20}" height="18" rx="4"/>` +
          label(x.client + 18, y, `${row.open ? "▾" : "▸"} ${row.text}`, "") + `</g>`);
        break;
      }
      default:
        out.push(label((x[row.lane] || x.mockmx) + 10, y + 4, row.text, "note-text"));
    }
  }
  for (const flight of flights) {
    const first = flight[0].y, last = flight[flight.length - 1].y;
    out.push(`<g class="flight-group"><path class="flight" d="M${x.client + 4} ${first - 6} h-10 V${last + 6} h10"/>` +
      label(x.client - 10, first + 4, `pipelined ×${flight.length}`, "flight-text", "end") + `</g>`);
  }
  const height = y + 30;
  const head = lanes.map((lane) => label(x[lane], 20, laneNames[lane], "lane-head", "middle") +
    `<line class="lane" x1="${x[lane]}" y1="28" x2="${x[lane]}" y2="${height - 8}"/>`).join("");
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">${head}${out.join("")}</svg>`;
}

// MARK: - Messages

async function messageDetail(id) {
  if (!state.messageCache.has(id)) state.messageCache.set(id, await apiJSON("/api/v1/messages/" + encodeURIComponent(id)));
  return state.messageCache.get(id);
}

function header(message, name) {
  const found = message.headers.find((h) => h[0].toLowerCase() === name);
  return found ? found[1] : "";
}

async function renderMessages(live) {
  if (pagePaused("messages", live)) return;
  const list = await fetchPage("messages");
  const messages = list.messages.slice().reverse();
  // Subjects come from each message's headers: fetched for the page's messages, once each (messages never
  // change), and only the subject kept.
  state.subjects = state.subjects || new Map();
  await Promise.all(messages.filter((m) => !state.subjects.has(m.id)).map(async (m) => {
    const detail = await apiJSON("/api/v1/messages/" + encodeURIComponent(m.id)).catch(() => null);
    if (detail) state.subjects.set(m.id, header(detail, "subject"));
  }));
  if (route().name !== "messages") return;
  const rows = messages.map((m) => `<tr data-message="${escapeHTML(m.id)}"><td>${formatTime(m.receivedAt)}</td>` +
    `<td class="wrap">${escapeHTML(m.mailFrom || "<>")}</td><td class="wrap">${escapeHTML(m.recipients.join(", "))}</td>` +
    `<td class="wrap">${escapeHTML(state.subjects.get(m.id) || "")}</td><td class="optional">${m.size}</td>` +
    `<td class="optional"><a href="#/session/${encodeURIComponent(m.session)}">${escapeHTML(m.session)}</a></td></tr>`);
  $("#view").innerHTML = `<h2>Messages <span class="muted">${list.total} retained, ${list.accepted} accepted</span></h2>` +
    (list.total > pageSize ? pager("messages", list) : "") + (rows.length ? `<div class="scroll"><table id="messages"><thead><tr><th>time</th><th>from</th><th>to</th><th>subject</th>` +
      `<th class="optional">size</th><th class="optional">session</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>`
      : `<p class="empty">No messages yet.</p>`);
  for (const row of document.querySelectorAll("tr[data-message]")) {
    row.addEventListener("click", (event) => {
      if (event.target.tagName !== "A") location.hash = "#/message/" + encodeURIComponent(row.dataset.message);
    });
  }
  setUpPager("messages", renderMessages);
}

// Attachments named in the raw source: each MIME part's filename= or name= parameter.
function attachmentNames(raw) {
  const names = [];
  for (const match of raw.matchAll(/^content-(?:disposition|type):[^\n]*(?:\n[ \t][^\n]*)*/gim)) {
    const parameter = match[0].match(/\b(?:file)?name\*?=\s*(?:"([^"]*)"|([^;\s]+))/i);
    if (parameter) names.push(parameter[1] || parameter[2]);
  }
  return [...new Set(names)];
}

function hexDump(bytes) {
  const lines = [];
  for (let offset = 0; offset < bytes.length; offset += 16) {
    const slice = bytes.slice(offset, offset + 16);
    const hex = [...slice].map((b) => b.toString(16).padStart(2, "0")).join(" ");
    const ascii = [...slice].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : ".")).join("");
    lines.push(`${offset.toString(16).padStart(8, "0")}  ${hex.padEnd(47)}  ${ascii}`);
  }
  return lines.join("\n");
}

async function renderMessage(id) {
  const message = await messageDetail(id);
  const raw = await (await api(`/api/v1/messages/${encodeURIComponent(id)}/raw`)).text();
  let blob = "";
  if (message.xexch50) {
    const response = await api(`/api/v1/messages/${encodeURIComponent(id)}/xexch50`);
    if (response.ok) blob = hexDump(new Uint8Array(await response.arrayBuffer()));
  }
  const mode = state.messageMode || "headers";
  const separator = message.text.search(/\r?\n\r?\n/);
  const body = separator >= 0 ? message.text.slice(separator).replace(/^\r?\n\r?\n/, "") : "";
  const attachments = attachmentNames(raw);
  const panes = {
    headers: `<div class="scroll"><table id="headers"><tbody>${message.headers.map((h) => `<tr><th>${escapeHTML(h[0])}</th><td class="wrap">${escapeHTML(h[1])}</td></tr>`).join("")}</tbody></table></div>`,
    body: `<pre class="raw" id="body">${escapeHTML(body)}</pre>`,
    raw: `<pre class="raw" id="raw">${escapeHTML(raw)}</pre>`,
    xexch50: `<pre class="raw hex" id="xexch50">${escapeHTML(blob)}</pre>`,
  };
  const tabs = ["headers", "body", "raw"].concat(blob ? ["xexch50"] : []);
  $("#view").innerHTML = `<h2>Message <span class="mono">${escapeHTML(message.id)}</span></h2>` +
    `<div class="summary"><div><span>from</span>${escapeHTML(message.mailFrom || "<>")}</div>` +
    `<div><span>to</span>${escapeHTML(message.recipients.join(", "))}</div><div><span>subject</span>${escapeHTML(header(message, "subject"))}</div>` +
    `<div><span>size</span>${message.size} bytes</div><div><span>received</span>${formatTime(message.receivedAt)}</div>` +
    `<div><span>session</span><a href="#/session/${encodeURIComponent(message.session)}">${escapeHTML(message.session)}</a></div>` +
    `<div><span>attachments</span><span id="attachments">${escapeHTML(attachments.join(", ") || "none")}</span></div>` +
    (message.xexch50 ? `<div><span>XEXCH50</span>${message.xexch50.size} bytes</div>` : "") + `</div>` +
    `<div class="toolbar"><div class="tabs">${tabs.map((t) => `<button data-pane="${t}" class="${t === mode ? "current" : ""}">${t === "xexch50" ? "XEXCH50 blob" : t}</button>`).join("")}</div>` +
    `<button id="download-raw">Download .eml</button></div>` + (panes[mode] || panes.headers);
  for (const button of document.querySelectorAll("[data-pane]")) {
    button.onclick = () => { state.messageMode = button.dataset.pane; renderMessage(id); };
  }
  $("#download-raw").onclick = () => download(`${message.id}.eml`, raw, "message/rfc822");
}

// MARK: - Scenarios

async function renderScenarios() {
  const { listeners } = await apiJSON("/api/v1/listeners");
  const sources = await Promise.all(listeners.map(async (l) => {
    const response = await api(`/api/v1/listeners/${l.port}/scenario/source`);
    return response.ok ? response.text() : `# ${l.scenario}: the built-in default persona (no source text).\n# Write a scenario here and apply it.\n`;
  }));
  $("#view").innerHTML = `<h2>Scenarios</h2>` + listeners.map((l, i) =>
    `<section class="listener" data-port="${l.port}"><h3>${escapeHTML(l.address)} — <span class="scenario-name">${escapeHTML(l.scenario)}</span></h3>` +
    `<p class="muted">${escapeHTML(l.summary || "")}</p>` +
    `<div class="editor"><div class="gutter"></div><textarea spellcheck="false" aria-label="scenario for ${escapeHTML(l.address)}">${escapeHTML(sources[i])}</textarea></div>` +
    `<div class="toolbar"><button class="primary apply">Apply</button><span class="status"></span></div><ul class="errors"></ul></section>`).join("");
  for (const section of document.querySelectorAll("section.listener")) setUpEditor(section);
}

function setUpEditor(section) {
  const textarea = section.querySelector("textarea");
  const gutter = section.querySelector(".gutter");
  let badLines = new Set();
  const drawGutter = () => {
    const count = textarea.value.split("\n").length;
    const numbers = [];
    for (let line = 1; line <= count; line++) numbers.push(badLines.has(line) ? `<span class="bad" data-line="${line}">${line}</span>` : String(line));
    gutter.innerHTML = numbers.join("\n");
    gutter.scrollTop = textarea.scrollTop;
  };
  textarea.addEventListener("input", drawGutter);
  textarea.addEventListener("scroll", () => { gutter.scrollTop = textarea.scrollTop; });
  drawGutter();
  section.querySelector(".apply").onclick = async () => {
    const status = section.querySelector(".status");
    const errors = section.querySelector(".errors");
    status.textContent = "applying…";
    status.className = "status";
    errors.innerHTML = "";
    const response = await api(`/api/v1/listeners/${section.dataset.port}/scenario`, {
      method: "PUT", headers: { "Content-Type": "application/yaml" }, body: textarea.value,
    });
    const result = await response.json();
    if (response.ok) {
      badLines = new Set();
      status.textContent = `applied: new sessions play ${result.listeners[0].scenario}`;
      status.className = "status applied";
      section.querySelector(".scenario-name").textContent = result.listeners[0].scenario;
    } else {
      const diagnostics = result.diagnostics || [result.error];
      badLines = new Set();
      status.textContent = result.error;
      errors.innerHTML = diagnostics.map((d) => {
        const match = d.match(/^[^:]*:(\d+):(\d+): (.*)$/);
        if (match && Number(match[1]) > 0) badLines.add(Number(match[1]));
        return match ? `<li data-line="${match[1]}" data-column="${match[2]}">line ${match[1]}, column ${match[2]}: ${escapeHTML(match[3])}</li>` : `<li>${escapeHTML(d)}</li>`;
      }).join("");
      for (const item of errors.querySelectorAll("li[data-line]")) item.onclick = () => selectLine(textarea, Number(item.dataset.line), Number(item.dataset.column));
    }
    drawGutter();
  };
}

function selectLine(textarea, line, column) {
  const lines = textarea.value.split("\n");
  let position = 0;
  for (let i = 0; i < line - 1 && i < lines.length; i++) position += lines[i].length + 1;
  textarea.focus();
  textarea.setSelectionRange(position + Math.max(0, column - 1), position + (lines[line - 1] || "").length);
}

// MARK: - Verdicts (shown once the host has the verdicts API)

async function probeVerdicts() {
  try {
    const response = await api("/api/v1/verdicts");
    $("#tab-verdicts").hidden = response.status === 404;
  } catch (error) {
    $("#tab-verdicts").hidden = true;
  }
}

const results = ["fail", "pending", "inconclusive", "pass"];
// Passed verdicts are many (a few per session) and folded; a host with thousands of sessions draws the first
// of each kind, the report card above counts them all.
const maxCards = 300;
// Fields drawn in their own places; any other a verdict carries is listed under it as it came.
const verdictFields = new Set(["check", "result", "severity", "client", "sessions", "message", "evidence", "reference", "explanation"]);

function fieldText(value) {
  return typeof value === "string" ? value : JSON.stringify(value);
}

// Evidence by session: one link per session marks all the lines that decided the verdict there.
function evidenceLinks(evidence) {
  const bySession = new Map();
  for (const e of evidence || []) {
    if (!bySession.has(e.session)) bySession.set(e.session, []);
    bySession.get(e.session).push(e);
  }
  return [...bySession].map(([session, lines]) => {
    const entries = lines.map((e) => e.entry).join(",");
    if (session === "dns") {
      // The MX checks' evidence names lookups in the DNS responder's log (GET /api/v1/dns), not a session.
      return `<div class="evidence">DNS lookups ${escapeHTML(entries.replace(/,/g, ", "))} (<code>GET /api/v1/dns</code>)` +
        lines.map((e) => `<br><code>${escapeHTML(String(e.entry).padStart(4))}  ${escapeHTML(e.text || "")}</code>`).join("") + `</div>`;
    }
    return `<div class="evidence"><a href="#/session/${encodeURIComponent(session)}/${encodeURIComponent(entries)}">session ${escapeHTML(session)}, ` +
      `${lines.length === 1 ? "entry" : "entries"} ${escapeHTML(lines.map((e) => e.entry).join(", "))}</a>` +
      lines.map((e) => `<br><code>${escapeHTML(String(e.entry).padStart(4))}  ${escapeHTML(e.text || "")}</code>`).join("") + `</div>`;
  }).join("");
}

function verdictCard(v) {
  const extra = Object.keys(v).filter((k) => !verdictFields.has(k) && v[k] !== null && v[k] !== undefined);
  return `<div class="verdict-card ${escapeHTML(v.result)}" data-check="${escapeHTML(v.check)}" data-result="${escapeHTML(v.result)}">` +
    `<div><span class="verdict ${escapeHTML(v.result)}">${escapeHTML(v.result)}</span> <b>${escapeHTML(v.check)}</b>` +
    ` <span class="muted">${escapeHTML(v.severity || "")} · client ${escapeHTML(v.client || "?")}${v.message ? " · " + escapeHTML(v.message) : ""}</span></div>` +
    `<div class="explanation">${escapeHTML(v.explanation || "")}</div>` +
    (v.reference ? `<div class="muted">${escapeHTML(v.reference)}</div>` : "") +
    extra.map((k) => `<div class="muted">${escapeHTML(k)}: ${escapeHTML(fieldText(v[k]))}</div>`).join("") +
    evidenceLinks(v.evidence) + `</div>`;
}

// A report card from the verdicts alone, for a host whose answer has no `cards`: the checks that gave any.
function checksOf(verdicts, rank) {
  const checks = new Map();
  for (const v of verdicts) {
    const check = checks.get(v.check) || { check: v.check, reference: v.reference, result: v.result };
    if (rank(v.result) < rank(check.result)) check.result = v.result;
    checks.set(v.check, check);
  }
  return [...checks.values()];
}

// One client's report card (or, `client` null, all clients'): each check's worst result first, its verdicts
// counted by result, and why a check was not exercised or its reference.
function reportCard(card, verdicts, rank) {
  const mine = card.client === null ? verdicts : verdicts.filter((v) => v.client === card.client);
  const rows = (card.checks || []).slice().sort((a, b) => rank(a.result) - rank(b.result) || (card.client === null ? a.check.localeCompare(b.check) : 0)).map((c) => {
    const counts = {};
    for (const v of mine) if (v.check === c.check) counts[v.result] = (counts[v.result] || 0) + 1;
    const counted = Object.keys(counts).sort((a, b) => rank(a) - rank(b)).map((r) => `<span class="verdict ${escapeHTML(r)}">${counts[r]} ${escapeHTML(r)}</span>`).join(" · ");
    return `<tr data-check="${escapeHTML(c.check)}" data-result="${escapeHTML(c.result)}"><td class="verdict ${escapeHTML(c.result)}">${escapeHTML(c.result)}</td>` +
      `<td><a class="goto">${escapeHTML(c.check)}</a></td><td>${counted}</td><td class="optional muted wrap">${escapeHTML(c.reason || c.reference || "")}</td></tr>`;
  }).join("");
  const summary = card.summary ? " — " + Object.entries(card.summary).map(([k, n]) => `${n} ${k}`).join(", ") : "";
  return `<h3>${card.client === null ? "Report card" : "Report card for " + escapeHTML(card.client)}<span class="muted">${escapeHTML(summary)}</span></h3>` +
    `<div class="scroll"><table class="report-card"${card.client === null ? "" : ` data-client="${escapeHTML(card.client)}"`}><thead><tr><th>result</th><th>check</th><th>verdicts</th>` +
    `<th class="optional">why not exercised / reference</th></tr></thead><tbody>${rows}</tbody></table></div>`;
}

async function renderVerdicts(live) {
  // Judging every retained session is the host's work: while sessions pour in, at most every 2 s.
  const due = (state.verdictsAt || 0) + 2000 - Date.now();
  if (live && due > 0) {
    clearTimeout(state.verdictsLater);
    state.verdictsLater = setTimeout(() => { if (route().name === "verdicts") renderVerdicts(true); }, due);
    return;
  }
  state.verdictsAt = Date.now();
  const report = await apiJSON("/api/v1/verdicts");
  if (route().name !== "verdicts") return;
  const verdicts = Array.isArray(report) ? report : report.verdicts || [];
  const summary = report.summary || {};
  // A result this page does not know yet (`not-exercised`…) ranks after the known ones and is shown by its name.
  const rank = (result) => (results.includes(result) ? results.indexOf(result) : results.length);
  const reportCards = Array.isArray(report.cards) && report.cards.length ? report.cards : [{ client: null, checks: checksOf(verdicts, rank) }];
  const others = Object.keys(summary).filter((k) => !results.includes(k));
  const ordered = verdicts.slice().sort((a, b) => rank(a.result) - rank(b.result));
  const passes = ordered.filter((v) => v.result === "pass");
  const notPassed = ordered.filter((v) => v.result !== "pass");
  // Each check's first card carries the anchor the report card's rows scroll to.
  const anchored = new Set();
  const drawCards = (list) => list.map((v) => (anchored.has(v.check) ? "" : (anchored.add(v.check), `<span id="verdict-${escapeHTML(v.check)}"></span>`)) + verdictCard(v)).join("");
  $("#view").innerHTML = `<h2>Verdicts <span class="muted" id="verdict-summary">` +
    results.map((r) => `<span class="verdict ${r}">${summary[r] || 0} ${r}</span>`).join(" · ") +
    others.map((k) => ` · ${escapeHTML(k)} ${escapeHTML(fieldText(summary[k]))}`).join("") + `</span></h2>` +
    (verdicts.length ? reportCards.map((card) => reportCard(card, verdicts, rank)).join("") +
      `<div id="verdicts">` + drawCards(notPassed.slice(0, maxCards)) +
      (notPassed.length > maxCards ? `<p class="muted">${notPassed.length - maxCards} more not drawn: filter with the API (<code>?check=</code>, <code>?client=</code>)</p>` : "") +
      (passes.length ? `<details id="passes"${state.passesOpen ? " open" : ""}><summary>${passes.length} passed` +
        (passes.length > maxCards ? ` (the first ${maxCards} shown)` : "") + `</summary>${drawCards(passes.slice(0, maxCards))}</details>` : "") + `</div>`
      : `<p class="empty">No verdicts yet: they come once sessions end.</p>`);
  const details = $("#passes");
  if (details) details.ontoggle = () => { state.passesOpen = details.open; };
  for (const row of document.querySelectorAll(".report-card tr[data-check]")) {
    row.addEventListener("click", () => {
      const target = document.getElementById("verdict-" + row.dataset.check);
      if (target && target.closest("details")) target.closest("details").open = true;
      if (target) target.scrollIntoView({ block: "start" });
    });
  }
}

// MARK: - Start

function setUpReset() {
  const button = $("#reset");
  let armed = null;
  button.onclick = async () => {
    if (!armed) {
      button.classList.add("armed");
      button.textContent = "Really reset?";
      armed = setTimeout(() => { armed = null; button.classList.remove("armed"); button.textContent = "Reset"; }, 4000);
      return;
    }
    clearTimeout(armed);
    armed = null;
    button.classList.remove("armed");
    button.textContent = "Reset";
    await api("/api/v1/reset", { method: "POST" });
    state.sessionCache.clear();
    state.messageCache.clear();
    state.pages = {};
    state.subjects = new Map();
    location.hash = "#/sessions";
    await refresh(false);
  };
}

function start() {
  $("#token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    sessionStorage.setItem("mockmx-token", $("#token").value);
    $("#token-form").hidden = true;
    probeVerdicts();
    refresh(false).catch(() => {});
  });
  window.addEventListener("hashchange", () => render(false));
  setUpReset();
  probeVerdicts();
  refresh(false).catch(() => {});
  liveLoop();
}

start();
