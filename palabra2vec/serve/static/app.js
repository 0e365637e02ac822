// palabra2vec explorer: plain JavaScript, no libraries. Every word reaches the page through
// textContent or setAttribute, never innerHTML: a vocabulary may hold "<script>".
"use strict";

const $ = (id) => document.getElementById(id);
const SVG = "http://www.w3.org/2000/svg";

/** An element with attributes and children; strings become text nodes (escaped by the DOM). */
function el(tag, attrs = {}, ...children) {
  const node = tag.startsWith("svg:") ? document.createElementNS(SVG, tag.slice(4)) : document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  for (const c of children) node.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return node;
}

/** GET /api/<path>?<params>; throws an Error carrying the JSON error body. */
async function api(path, params) {
  const r = await fetch("/api/" + path + "?" + new URLSearchParams(params));
  const body = await r.json().catch(() => ({ error: r.status + " " + r.statusText }));
  if (!r.ok) throw Object.assign(new Error(body.error || r.statusText), { body });
  return body;
}

// -- navigation: the state lives in the address, so every view can be shared and reloaded ------
function go(state) {
  history.pushState(null, "", "?" + new URLSearchParams(state));
  render();
}
window.addEventListener("popstate", render);

function wordLink(word) {
  const a = el("a", { href: "?" + new URLSearchParams({ word }), class: "word" }, word);
  a.addEventListener("click", (e) => {
    if (e.ctrlKey || e.metaKey || e.shiftKey || e.button !== 0) return; // new tab: let the browser do it
    e.preventDefault();
    go({ word });
  });
  return a;
}

let ticket = 0; // answers to an older navigation are dropped

async function render() {
  const q = new URLSearchParams(location.search);
  const mine = ++ticket;
  const out = $("results");
  for (const id of ["word", "a", "b", "c", "w1", "w2", "odd"]) $(id).value = q.get(id) || "";
  const topn = q.get("topn") || undefined;
  let view;
  try {
    if (q.get("word")) view = await showWord(q.get("word"), topn);
    else if (q.get("a") && q.get("b") && q.get("c")) view = await showAnalogy(q.get("a"), q.get("b"), q.get("c"), topn);
    else if (q.get("w1") && q.get("w2")) view = await showSimilarity(q.get("w1"), q.get("w2"));
    else if (q.get("odd")) view = await showOdd(q.get("odd"));
    else view = welcome();
  } catch (err) {
    view = showError(err);
  }
  if (mine !== ticket) return;
  out.replaceChildren(...view);
  const svg = out.querySelector("svg.map");
  if (svg) placeLabels(svg);
  document.title = (q.get("word") ? q.get("word") + " · " : "") + "palabra2vec explorer";
}

function welcome() {
  const examples = ["caballero", "sancho", "día"].map((w) => wordLink(w));
  return [el("p", { class: "muted" }, "Type a word above, or try ", examples[0], ", ", examples[1], ", ", examples[2], ".")];
}

function oovNote(words) {
  return words.length ? [el("p", { class: "oov-note" }, "Not in the vocabulary, vector composed from subwords: ",
    words.join(", "))] : [];
}

function showError(err) {
  const body = err.body || {};
  const p = el("p", { class: "error" }, body.word !== undefined ? `“${body.word}” is not in the vocabulary.` : err.message);
  if (body.suggestions && body.suggestions.length) {
    const dym = el("p", { class: "did-you-mean" }, "Did you mean ");
    body.suggestions.forEach((w, i) => dym.append(i ? ", " : "", wordLink(w)));
    dym.append("?");
    return [p, dym];
  }
  return [p];
}

function scoreList(items, cls = "") {
  const ol = el("ol", { class: "scores " + cls });
  for (const { word, similarity } of items) {
    const bar = el("span", { class: "bar" });
    bar.style.width = Math.max(0, similarity) * 100 + "%";
    ol.append(el("li", {}, wordLink(word), el("span", { class: "score" }, similarity.toFixed(3)),
      el("span", { class: "track" }, bar)));
  }
  return ol;
}

async function showWord(word, topn) {
  const [near, map] = await Promise.all([api("neighbours", { word, topn: topn || 15 }), api("map", { word, topn: 15 })]);
  const title = el("h2", {}, near.word);
  if (near.oov) title.append(el("span", { class: "badge", title: "not in the vocabulary: vector composed from subwords" }, "oov"));
  return [title, ...oovNote(near.oov ? [near.word] : []),
    el("div", { class: "columns" },
      el("div", {}, el("h3", {}, "Nearest words"), scoreList(near.neighbours, "neighbours")),
      el("div", {}, el("h3", {}, "Map"), drawMap(map), el("p", { class: "muted small" }, map.note)))];
}

async function showAnalogy(a, b, c, topn) {
  const r = await api("analogy", { a, b, c, topn: topn || 10 });
  return [el("h2", {}, r.a, " : ", r.b, " :: ", r.c, " : ?"), ...oovNote(r.oov),
    el("p", { class: "muted small" }, "Words nearest to ", r.b, " − ", r.a, " + ", r.c, " (3CosAdd; the three inputs excluded)"),
    scoreList(r.answers, "answers")];
}

async function showSimilarity(w1, w2) {
  const r = await api("similarity", { w1, w2 });
  return [el("h2", {}, wordLink(r.w1), " · ", wordLink(r.w2)), ...oovNote(r.oov),
    el("p", { class: "big", id: "similarity" }, r.similarity.toFixed(4)), el("p", { class: "muted small" }, "cosine similarity")];
}

async function showOdd(text) {
  const r = await api("doesnt-match", { words: text });
  const ol = scoreList(r.similarities, "odd");
  ol.children[r.words.indexOf(r.odd)].classList.add("odd-one");
  return [el("h2", {}, "Doesn't belong: ", wordLink(r.odd)), ...oovNote(r.oov),
    el("p", { class: "muted small" }, "Cosine of each word to the mean of all of them; the lowest is the odd one."), ol];
}

// -- the map: an SVG of the word and its neighbours, PCA coordinates from /api/map -------------
const W = 640, H = 440, PAD = 24;

function drawMap(map) {
  const svg = el("svg:svg", { class: "map", viewBox: `0 0 ${W} ${H}`, role: "img", "aria-label": "map of " + map.word });
  const xs = map.points.map((p) => p.x), ys = map.points.map((p) => p.y);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const sx = (x) => PAD + ((x - x0) / (x1 - x0 || 1)) * (W - 2 * PAD);
  const sy = (y) => H - PAD - ((y - y0) / (y1 - y0 || 1)) * (H - 2 * PAD);
  for (const p of map.points) {
    const g = el("svg:g", { class: p.query ? "pt query" : "pt", "data-x": sx(p.x), "data-y": sy(p.y) });
    g.append(el("svg:title", {}, `${p.word} (${p.similarity.toFixed(3)})`));
    g.append(el("svg:circle", { cx: sx(p.x), cy: sy(p.y), r: p.query ? 6 : 4 }));
    g.append(el("svg:text", { x: sx(p.x) + 7, y: sy(p.y) - 5 }, p.word));
    if (!p.query) g.addEventListener("click", () => go({ word: p.word }));
    svg.append(g);
  }
  return svg;
}

/** Moves each label to the first spot around its point that overlaps no label placed before it
 * (the query word first, then by similarity) and no point; labels with no free spot are hidden
 * (their word stays in the tooltip and in the list). */
function placeLabels(svg) {
  const placed = [];
  const dots = [...svg.querySelectorAll("g.pt")].map((g) => ({ x: +g.dataset.x, y: +g.dataset.y }));
  const hits = (r) => placed.some((q) => r.x < q.x + q.w && q.x < r.x + r.w && r.y < q.y + q.h && q.y < r.y + r.h) ||
    dots.some((d) => d.x > r.x - 3 && d.x < r.x + r.w + 3 && d.y > r.y - 3 && d.y < r.y + r.h + 3);
  for (const g of svg.querySelectorAll("g.pt")) {
    const text = g.querySelector("text");
    const x = +g.dataset.x, y = +g.dataset.y;
    const box = text.getBBox();
    const w = box.width, h = box.height;
    const spots = [[8, -4], [8, h - 2], [-8 - w, -4], [-8 - w, h - 2], [-w / 2, -10], [-w / 2, h + 8]];
    let free = null;
    for (const [dx, dy] of spots) {
      const r = { x: x + dx, y: y + dy - h + 3, w, h };
      if (r.x < 0 || r.x + w > W || r.y < 0 || r.y + h > H) continue;
      if (!hits(r)) { free = [dx, dy, r]; break; }
    }
    if (!free) { text.setAttribute("visibility", "hidden"); continue; }
    text.setAttribute("x", x + free[0]);
    text.setAttribute("y", y + free[1]);
    placed.push(free[2]);
  }
}

// -- completion as you type: /api/suggest, accents ignored, most frequent first -----------------
function attachCompletion(input, onPick) {
  const list = input.parentElement.querySelector("ul.suggestions") ||
    input.parentElement.appendChild(el("ul", { class: "suggestions", role: "listbox", hidden: "" }));
  let active = -1, timer = null, asked = 0;
  const close = () => { // also forgets a pending or in-flight request
    clearTimeout(timer);
    asked++;
    list.hidden = true;
    active = -1;
    input.setAttribute("aria-expanded", "false");
  };
  const mark = () => [...list.children].forEach((li, i) => li.classList.toggle("active", i === active));
  input.addEventListener("input", () => {
    clearTimeout(timer);
    const q = input.value.trim();
    if (!q) return close();
    timer = setTimeout(async () => {
      const mine = ++asked;
      let r;
      try { r = await api("suggest", { q, limit: 8 }); } catch { return close(); }
      if (mine !== asked || input.value.trim() !== q) return; // typed on or closed meanwhile
      list.replaceChildren(...r.suggestions.map((w) => {
        const li = el("li", { role: "option" }, w);
        li.addEventListener("mousedown", (e) => { e.preventDefault(); close(); onPick(w); });
        return li;
      }));
      active = -1;
      list.hidden = r.suggestions.length === 0;
      input.setAttribute("aria-expanded", String(!list.hidden));
    }, 120);
  });
  input.addEventListener("keydown", (e) => {
    if (list.hidden) return;
    const n = list.children.length;
    if (e.key === "ArrowDown") { active = (active + 1) % n; mark(); e.preventDefault(); }
    else if (e.key === "ArrowUp") { active = (active - 1 + n) % n; mark(); e.preventDefault(); }
    else if (e.key === "Escape") close();
    else if (e.key === "Enter" && active >= 0) { e.preventDefault(); const w = list.children[active].textContent; close(); onPick(w); }
  });
  input.addEventListener("blur", () => setTimeout(close, 100));
  return close;
}

function formValues(form) {
  return Object.fromEntries([...new FormData(form)].map(([k, v]) => [k, v.trim()]));
}

document.addEventListener("DOMContentLoaded", async () => {
  const word = $("word");
  const closeWord = attachCompletion(word, (w) => { word.value = w; go({ word: w }); });
  for (const id of ["a", "b", "c", "w1", "w2"]) attachCompletion($(id), (w) => { $(id).value = w; });
  $("form-word").addEventListener("submit", (e) => {
    e.preventDefault();
    closeWord();
    if (word.value.trim()) go({ word: word.value.trim() });
  });
  for (const id of ["form-analogy", "form-similarity", "form-odd"]) {
    $(id).addEventListener("submit", (e) => {
      e.preventDefault();
      const v = formValues(e.target);
      if (Object.values(v).every((x) => x)) go(v);
    });
  }
  render(); // fills the forms from the address before anyone can type
  try {
    const info = await api("info", {});
    $("model-info").textContent = `${info.model}: ${info.words.toLocaleString("en")} words × ${info.dim} dimensions`;
  } catch (err) {
    $("model-info").textContent = "cannot reach the server: " + err.message;
  }
});
