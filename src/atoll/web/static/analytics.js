// The Analytics page: draws the charts from the JSON data island and, when a filter changes,
// fetches the same figures from /api/v1/analytics/… and redraws without a reload. The page's
// tables and sentences are drawn on the server too, so everything reads without JavaScript.
(function () {
  "use strict";
  const root = document.getElementById("analytics");
  const island = document.getElementById("analytics-data");
  const form = document.getElementById("analytics-filters");
  if (!root || !island || !form || !window.echarts) return;

  const MIN_GROUP = Number(root.dataset.minGroup || 5);
  const SCOPES = [
    ["within", "Within a silo", "operational", "operational improvement"],
    ["across", "Across silos", "cultural", "cultural change"],
    ["external", "With external parties", "transformation", "business-model transformation"],
  ];
  const STAGE_WORDS = Object.fromEntries(SCOPES.map((s) => [s[2], s[3]]));
  const STAGE_SHORT = { operational: "operational", cultural: "cultural change", transformation: "transformation" };
  const CELL_NAMES = {
    "within/existing": "Within a silo · existing tie",
    "within/new": "Within a silo · new tie",
    "across/existing": "Across silos · existing tie",
    "across/new": "Across silos · new tie",
    "external/existing": "With externals · existing tie",
    "external/new": "With externals · new tie",
  };
  const COLORS = ["#35618f", "#8fb3d9", "#0b6e75", "#6cc3bd", "#9a5b00", "#f2c14e"];
  const VIEWS = { matrix: "value-matrix", network: "network", adoption: "adoption" };
  const reduceMotion = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
  const BASE = { animation: !reduceMotion, textStyle: { fontFamily: "system-ui, sans-serif" } };
  const TOOLTIP = { trigger: "axis", renderMode: "richText" }; // drawn on the canvas: no inline styles

  let data = JSON.parse(island.textContent);
  let journeyMode = "share";
  const charts = {};

  // ---- small formatters (the same words as the server's) ----
  function shareText(share) {
    if (share === null || share === undefined) return "—";
    const percent = share * 100;
    if (percent === 0 || percent >= 10) return `${Math.round(percent)} %`;
    return `${Number(percent.toFixed(1))} %`;
  }
  function abbrev(n) {
    if (n === null || n === undefined) return "—";
    if (n >= 1e6) return `${Number((n / 1e6).toFixed(1))}M`;
    if (n >= 1e3) return `${Number((n / 1e3).toFixed(1))}k`;
    return String(n);
  }
  function durationText(seconds) {
    if (seconds === null || seconds === undefined) return "no answers yet";
    let minutes = Math.round(seconds / 60);
    if (minutes < 60) return seconds >= 30 ? `${Math.max(minutes, 1)} min` : `${Math.round(seconds)} s`;
    let hours = Math.floor(minutes / 60);
    minutes %= 60;
    if (hours < 48) return minutes ? `${hours} h ${minutes} min` : `${hours} h`;
    const days = Math.floor(hours / 24);
    hours %= 24;
    return hours ? `${days} d ${hours} h` : `${days} d`;
  }
  function el(tag, attrs, ...children) {
    const node = document.createElement(tag);
    for (const [key, value] of Object.entries(attrs || {})) {
      if (key === "class") node.className = value;
      else node.setAttribute(key, value);
    }
    for (const child of children) node.append(child);
    return node;
  }
  function setText(id, text) {
    const node = document.getElementById(id);
    if (node) node.textContent = text;
  }
  function rowShares(cells) {
    const out = { within: 0, across: 0, external: 0 };
    for (const cell of cells) out[cell.scope] += cell.share || 0;
    return out;
  }
  function chart(id) {
    if (!charts[id]) charts[id] = window.echarts.init(document.getElementById(id), null, { renderer: "canvas" });
    return charts[id];
  }
  function replaceRows(tableId, rows) {
    const body = document.querySelector(`#${tableId} tbody`);
    if (body) body.replaceChildren(...rows);
  }

  // ---- the value matrix ----
  function stageSentence(matrix, name) {
    if (matrix.suppressed) {
      return `Figures for ${name} are hidden: fewer than ${MIN_GROUP} people were involved in this period.`;
    }
    if (!matrix.total) return `No interactions in ${name} in this period.`;
    const shares = rowShares(matrix.cells);
    const limits = matrix.thresholds;
    const at = `${name} is at the ${STAGE_WORDS[matrix.stage].replaceAll(" ", "-")} stage`;
    if (matrix.stage === "transformation") {
      return `${at}: ${shareText(shares.external)} of interactions are with external parties (threshold ${shareText(limits.external)}).`;
    }
    if (matrix.stage === "cultural") {
      return `${at}: ${shareText(shares.across)} of interactions cross silos (threshold ${shareText(limits.across)}).`;
    }
    return `${at}: ${shareText(shares.across)} of interactions cross silos; cultural change starts at ${shareText(limits.across)}.`;
  }

  function renderMatrix(matrix, name) {
    const sentence = stageSentence(matrix, name);
    setText("matrix-sentence", sentence.charAt(0).toUpperCase() + sentence.slice(1));
    const table = document.getElementById("matrix-grid");
    table.dataset.stage = matrix.stage || "";
    table.dataset.suppressed = matrix.suppressed ? "true" : "false";
    replaceRows("matrix-grid", SCOPES.map(([scope, label, stage, words]) => {
      const current = matrix.stage === stage;
      const heading = el("th", { scope: "row" }, label);
      const note = el("span", { class: "matrix-stage" }, words[0].toUpperCase() + words.slice(1));
      if (current) note.append(" — ", el("strong", {}, "current stage"));
      heading.append(note);
      const row = el("tr", { "data-scope": scope }, heading);
      if (current) row.className = "is-stage";
      for (const cell of matrix.cells.filter((c) => c.scope === scope)) {
        const td = el("td", { "data-tie": cell.tie });
        if (matrix.suppressed) td.append(el("span", { class: "muted" }, "hidden"));
        else {
          td.append(el("span", { class: "matrix-count" }, abbrev(cell.interactions)), " interactions", el("br"),
            el("span", { class: "muted" }, `${shareText(cell.share)} · ${abbrev(cell.ties)} ${cell.ties === 1 ? "tie" : "ties"}`));
        }
        row.append(td);
      }
      return row;
    }));
    setText("matrix-people", (matrix.suppressed
      ? `Hidden — fewer than ${MIN_GROUP} people.`
      : `${abbrev(matrix.total)} interactions among ${abbrev(matrix.people)} people.`)
      + " A tie is new when the two had not interacted in the look-back window before.");
  }

  // ---- the journey ----
  function drawJourney(matrix, period) {
    const journey = matrix.journey;
    const labels = journey.map((p) => p.period);
    const series = matrix.cells.map((cell, index) => ({
      name: CELL_NAMES[`${cell.scope}/${cell.tie}`],
      type: "line",
      stack: "cells",
      areaStyle: {},
      symbol: "circle",
      symbolSize: 5,
      showSymbol: journey.length <= 16, // a lone period still shows as points
      color: COLORS[index],
      lineStyle: { width: 1 },
      data: journey.map((p) => {
        if (p.suppressed) return null;
        const c = p.cells[index];
        return journeyMode === "share" ? Math.round((c.share || 0) * 1000) / 10 : c.interactions;
      }),
    }));
    const changes = [];
    let previous = null;
    for (const p of journey) {
      if (p.suppressed || !p.stage) continue;
      if (previous !== null && p.stage !== previous) changes.push({ period: p.period, stage: p.stage });
      previous = p.stage;
    }
    series[0].markLine = {
      symbol: "none",
      silent: true,
      lineStyle: { color: "#1b2430", type: "dashed" },
      label: { formatter: (item) => item.name, position: "end", color: "#1b2430", fontSize: 11 },
      data: changes.map((c) => ({ name: `→ ${STAGE_SHORT[c.stage]}`, xAxis: c.period })),
    };
    chart("journey-chart").setOption({
      ...BASE,
      tooltip: { ...TOOLTIP, valueFormatter: (v) => (v === null || v === undefined ? "hidden"
        : journeyMode === "share" ? `${v} %` : String(v)) },
      legend: { bottom: 0 },
      grid: { left: 48, right: 24, top: 32, bottom: 88 },
      xAxis: { type: "category", boundaryGap: false, data: labels },
      yAxis: journeyMode === "share"
        ? { type: "value", max: 100, axisLabel: { formatter: "{value} %" } }
        : { type: "value", minInterval: 1 },
      series,
    }, true);
    const box = document.getElementById("journey-chart");
    box.dataset.period = period;
    box.dataset.points = String(labels.length);
    box.dataset.mode = journeyMode;
    const unit = period === "month" ? "months" : "weeks";
    const shown = journey.filter((p) => !p.suppressed);
    let caption = `${labels.length} ${unit} of interactions`;
    if (!shown.length) caption += `; every one hidden (fewer than ${MIN_GROUP} people).`;
    else if (shown.length === 1) {
      const only = rowShares(shown[0].cells);
      caption += `; only ${shown[0].period} has enough people to show: across silos ${shareText(only.across)}, with externals ${shareText(only.external)}.`;
    } else {
      const first = rowShares(shown[0].cells);
      const last = rowShares(shown[shown.length - 1].cells);
      caption += `: across silos ${shareText(first.across)} in ${shown[0].period} → ${shareText(last.across)} in ${shown[shown.length - 1].period}; with externals ${shareText(first.external)} → ${shareText(last.external)}.`;
      const told = changes.slice(-4).map((c) => `${c.period} → ${STAGE_WORDS[c.stage]}`).join(", ");
      if (!changes.length) caption += " No change of stage.";
      else if (changes.length <= 4) caption += ` Stage changes: ${told}.`;
      else caption += ` ${changes.length} changes of stage; the last ones: ${told}.`;
    }
    setText("journey-caption", caption);
    replaceRows("journey-table", journey.map((p) => {
      const row = el("tr", {}, el("th", { scope: "row" }, p.period));
      if (p.suppressed) row.append(el("td", { colspan: "5", class: "muted" }, `hidden — fewer than ${MIN_GROUP} people`));
      else {
        const shares = rowShares(p.cells);
        row.append(el("td", {}, STAGE_WORDS[p.stage] || "—"), el("td", {}, String(p.total)),
          el("td", {}, shareText(shares.within)), el("td", {}, shareText(shares.across)), el("td", {}, shareText(shares.external)));
      }
      return row;
    }));
  }

  // ---- who works with whom ----
  function drawNetwork(network, levelName) {
    const units = network.units;
    const index = new Map(units.map((u, i) => [u.id, i]));
    const cells = [];
    let top = 0;
    for (const m of network.matrix) {
      if (!index.has(m.from_unit_id) || !index.has(m.to_unit_id)) continue;
      cells.push([index.get(m.to_unit_id), index.get(m.from_unit_id), m.interactions]);
      top = Math.max(top, m.interactions);
    }
    const names = units.map((u) => u.name || `Unit ${u.id}`);
    const rowNames = units.map((u, i) => (u.island ? `${names[i]} · island`
      : u.ei_index === null ? names[i] : `${names[i]} (E-I ${u.ei_index.toFixed(2)})`));
    const box = document.getElementById("network-chart");
    const height = `${Math.max(416, 140 + units.length * 28)}px`; // a readable row per unit
    if (box.style.height !== height) {
      box.style.height = height;
      chart("network-chart").resize();
    }
    chart("network-chart").setOption({
      ...BASE,
      tooltip: { trigger: "item", renderMode: "richText",
        formatter: (p) => `${names[p.value[1]]} → ${names[p.value[0]]}: ${p.value[2]} interactions` },
      grid: { left: 24, right: 24, top: 16, bottom: 72, containLabel: true },
      xAxis: { type: "category", data: names, axisLabel: { rotate: 30, interval: 0 }, splitArea: { show: true } },
      yAxis: { type: "category", data: rowNames, axisLabel: { interval: 0 }, splitArea: { show: true } },
      visualMap: { min: 0, max: Math.max(top, 1), orient: "horizontal", left: "center", bottom: 0,
        calculable: false, inRange: { color: ["#e6f2f3", "#0b6e75"] } },
      series: [{ type: "heatmap", data: cells, label: { show: units.length <= 12 }, emphasis: { disabled: true } }],
    }, true);
    box.dataset.units = String(units.length);
    const islands = units.filter((u) => u.island).length;
    setText("network-caption", units.length
      ? `${units.length} units compared at the ${levelName} level; ${islands} of them ${islands === 1 ? "is an island" : "are islands"} (no ties to other units). Units with fewer than ${MIN_GROUP} people are left out.`
      : `No unit at the ${levelName} level had ${MIN_GROUP} or more people interacting in this period.`);
    replaceRows("network-table", units.map((u) => el("tr", {},
      el("th", { scope: "row" }, u.name || `Unit ${u.id}`), el("td", {}, String(u.people)), el("td", {}, String(u.interactions_within)),
      el("td", {}, String(u.interactions_across)), el("td", {}, u.ei_index === null ? "—" : u.ei_index.toFixed(2)),
      el("td", {}, u.island ? "Yes" : "No"))));
    const pairs = cells.map(([to, from, n]) => [names[from], names[to], n]).sort((a, b) => b[2] - a[2]);
    replaceRows("pairs-table", pairs.map((p) => el("tr", {}, ...p.map((v) => el("td", {}, String(v))))));
    setText("bridges-note", network.names_hidden
      ? "Names hidden by the organisation's settings."
      : "Ranked by how often they connect people of different units.");
    const list = document.getElementById("bridges-list");
    list.replaceChildren(...(network.bridges.length
      ? network.bridges.map((b) => el("li", {}, el("span", { class: "bridge-name" }, b.name || "Name hidden"), " ",
        el("span", { class: "muted" }, `· ${b.unit_name || "unit unknown"} · reaches ${b.units_reached} ${b.units_reached === 1 ? "unit" : "units"}`)))
      : [el("li", { class: "empty" }, "No one connected different units in this period.")]));
  }

  // ---- adoption ----
  const PERSONAS = [
    ["engager", "Engagers"],
    ["catalyst", "Catalysts"],
    ["responder", "Responders"],
    ["broadcaster", "Broadcasters"],
    ["observer", "Observers"],
  ];
  const hiddenOr = (value, text) => (value === null || value === undefined ? "hidden" : text);
  function periodLabel(row) {
    return row.partial ? `${row.period} (partial)` : row.period;
  }
  function drawActive(rows, period) {
    chart("active-chart").setOption({
      ...BASE,
      tooltip: { ...TOOLTIP, valueFormatter: (v) => (v === null || v === undefined ? "hidden" : String(v)) },
      legend: { bottom: 0 },
      grid: { left: 48, right: 16, top: 16, bottom: 56 },
      xAxis: { type: "category", data: rows.map(periodLabel) },
      yAxis: { type: "value", minInterval: 1 },
      series: [
        { name: "Active people", type: "line", color: "#0b6e75", data: rows.map((r) => r.active) },
        { name: "Contributors", type: "line", color: "#9a5b00", data: rows.map((r) => r.contributors) },
      ],
    }, true);
    const box = document.getElementById("active-chart");
    box.dataset.period = period;
    box.dataset.points = String(rows.length);
    const last = rows[rows.length - 1];
    let caption = "No activity in this period.";
    if (last) {
      const count = last.active === null ? `hidden (fewer than ${MIN_GROUP})` : String(last.active);
      caption = `Active people by ${period}: ${count} in ${last.period}${last.partial ? " (so far)" : ""}`;
      if (last.active !== null) {
        caption += last.contributors === null ? " (too few to say how many contributed)" : `, of whom ${last.contributors} contributed`;
      }
      caption += ".";
    }
    setText("active-caption", caption);
    const head = document.querySelector("#active-table thead th");
    if (head) head.textContent = period === "month" ? "Month" : "Week";
    replaceRows("active-table", rows.map((r) => {
      const th = el("th", { scope: "row" }, r.period);
      if (r.partial) th.append(" ", el("span", { class: "muted" }, "(partial)"));
      return el("tr", {}, th, el("td", {}, hiddenOr(r.active, String(r.active))),
        el("td", {}, hiddenOr(r.contributors, String(r.contributors))));
    }));
  }
  function drawSplit(adoption) {
    const split = adoption.split;
    const labels = ["Only read", "Now and then", "Regularly"];
    const keys = ["readers", "occasional", "regular"];
    const shares = split.shares || {};
    chart("split-chart").setOption({
      ...BASE,
      tooltip: { trigger: "item", renderMode: "richText" },
      grid: { left: 8, right: 48, top: 16, bottom: 16, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: labels, inverse: true },
      series: [{ type: "bar", color: "#35618f", data: keys.map((k) => split[k]),
        label: { show: true, position: "right",
          formatter: (p) => hiddenOr(shares[keys[p.dataIndex]], shareText(shares[keys[p.dataIndex]])) } }],
    }, true);
    const all = split.shares && keys.every((k) => shares[k] !== null);
    setText("split-caption", all
      ? `Of the active people, ${shareText(shares.readers)} only read, ${shareText(shares.occasional)} contributed now and then and ${shareText(shares.regular)} regularly.`
      : split.shares ? `Some of the split is hidden: a group of fewer than ${MIN_GROUP} people would show.`
        : `Readers and contributors are hidden: fewer than ${MIN_GROUP} people were active.`);
  }
  function drawPersonas(adoption) {
    const roles = adoption.personas;
    chart("personas-chart").setOption({
      ...BASE,
      tooltip: { trigger: "item", renderMode: "richText" },
      grid: { left: 8, right: 48, top: 16, bottom: 16, containLabel: true },
      xAxis: { type: "value", minInterval: 1 },
      yAxis: { type: "category", data: PERSONAS.map((p) => p[1]), inverse: true },
      series: [{ type: "bar", color: "#0b6e75", data: PERSONAS.map(([key]) => roles[key]),
        label: { show: true, position: "right", formatter: (p) => hiddenOr(roles[PERSONAS[p.dataIndex][0]], String(p.value)) } }],
    }, true);
    document.getElementById("personas-chart").dataset.people = String(adoption.active === null ? "" : adoption.active);
    setText("personas-caption", adoption.active === null
      ? `Personas are hidden: fewer than ${MIN_GROUP} people were active.`
      : `Personas: ${PERSONAS.map(([key]) => `${hiddenOr(roles[key], roles[key])} ${key}${roles[key] === 1 ? "" : "s"}`).join(", ")}.`);
  }
  function drawAdoption(adoption, period) {
    drawActive(period === "month" ? adoption.monthly : adoption.weekly, period);
    drawSplit(adoption);
    drawPersonas(adoption);
    const answered = (q) => (q.suppressed || q.answered === null ? "hidden" : `${abbrev(q.answered)} of ${abbrev(q.asked)}`);
    const waited = (q) => (q.suppressed || (q.answered === null && q.median_first_answer_seconds === null)
      ? "hidden" : durationText(q.median_first_answer_seconds));
    const q = adoption.questions;
    const qx = adoption.questions_by_externals;
    const facts = [
      ["Member accounts", hiddenOr(adoption.members, abbrev(adoption.members))],
      ["Active in the period", hiddenOr(adoption.active, abbrev(adoption.active))],
      ["Took part", hiddenOr(adoption.participation, shareText(adoption.participation))],
      ["DAU/MAU", hiddenOr(adoption.dau_mau, shareText(adoption.dau_mau)), "dau_mau"],
      ["Community Health Index", hiddenOr(adoption.health_index, shareText(adoption.health_index)), "health_index"],
      ["Questions answered", answered(q)],
      ["First answer (median)", waited(q)],
      ["Externals' questions answered", answered(qx)],
      ["First answer to externals (median)", waited(qx)],
    ];
    document.getElementById("adoption-facts").replaceChildren(...facts.map(([term, value, key]) => {
      const dd = el("dd", key ? { "data-figure": key } : {}, value);
      return el("div", {}, el("dt", {}, term), dd);
    }));
    const { month, year } = adoption.windows;
    const weeks = adoption.weekly.length;
    const explain = {
      "explain-dau-mau": ["DAU/MAU", `: on an average day of the last 30 days (${month.first} to ${month.last}), this share of the people active in those 30 days used Atoll.`],
      "explain-health": ["Community Health Index", `: of the people active in the 12 months to ${year.last}, this share was active in the last 30 days.`],
      "explain-regular": ["Regularly", ` means contributing in at least half of the weeks of the period (${weeks} ${weeks === 1 ? "week: on at least half of its days" : "weeks"}); the bar rises with the period.`],
    };
    for (const [id, [term, rest]] of Object.entries(explain)) {
      const item = document.getElementById(id);
      if (item) item.replaceChildren(el("strong", {}, term), rest);
    }
  }

  // ---- filters ----
  function filters() {
    const values = new FormData(form);
    return {
      from: String(values.get("from") || ""),
      to: String(values.get("to") || ""),
      unit_id: String(values.get("unit_id") || ""),
      period: String(values.get("period") || "month"),
      level: String(values.get("level") || ""),
    };
  }
  function nextDay(day) {
    const d = new Date(`${day}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + 1);
    return d.toISOString().slice(0, 10);
  }
  function apiQuery(f) {
    // The page's dates are whole days; the API gets the exact instants [from, the day after to).
    const q = new URLSearchParams({ period: f.period });
    if (f.from) q.set("from", `${f.from}T00:00:00Z`);
    if (f.to) q.set("to", `${nextDay(f.to)}T00:00:00Z`);
    if (f.unit_id) q.set("unit_id", f.unit_id);
    if (f.level) q.set("level", f.level);
    return q;
  }
  function selectedText(id, fallback) {
    const select = document.getElementById(id);
    const option = select && select.selectedOptions[0];
    return option && option.value ? option.textContent.trim() : fallback;
  }
  // What each view depends on: a change elsewhere redraws it from the figures already here.
  const NEEDS = { matrix: ["from", "to", "unit_id", "period"], network: ["from", "to", "level"], adoption: ["from", "to"] };
  const DRAW = {
    matrix: (f) => {
      renderMatrix(data.matrix, selectedText("f-unit", root.dataset.name));
      drawJourney(data.matrix, f.period);
    },
    network: () => drawNetwork(data.network, selectedText("f-level", "chosen").toLowerCase()),
    adoption: (f) => drawAdoption(data.adoption, f.period),
  };
  const keyOf = (view, f) => NEEDS[view].map((name) => f[name]).join("|");
  const loaded = {};
  function drawAll(f) {
    for (const view of Object.keys(DRAW)) {
      loaded[view] = keyOf(view, f);
      DRAW[view](f);
    }
  }
  function pageQuery(f) {
    return new URLSearchParams(f).toString();
  }
  function relink(query) {
    root.dataset.query = query;
    for (const link of document.querySelectorAll("[data-csv]")) link.href = `/analytics/${link.dataset.csv}.csv?${query}`;
    for (const link of document.querySelectorAll("[data-preset]")) {
      const own = new URL(link.href, document.baseURI).searchParams;
      const next = new URLSearchParams(query);
      next.set("from", own.get("from") || "");
      next.set("to", own.get("to") || "");
      link.href = `/analytics?${next}`;
    }
  }

  const errorBox = document.getElementById("analytics-error");
  const status = document.getElementById("analytics-status");
  let latest = 0;
  async function load(view, f, ticket) {
    // Each view is drawn as soon as its figures arrive: a slow one does not hold up the others.
    if (loaded[view] === keyOf(view, f)) {
      DRAW[view](f);
      return true;
    }
    const answer = await fetch(`/api/v1/analytics/${VIEWS[view]}?${apiQuery(f)}`, {
      credentials: "same-origin", headers: { Accept: "application/json" } });
    const body = await answer.json().catch(() => ({}));
    if (ticket !== latest) return false; // a newer change is on its way
    if (!answer.ok) {
      errorBox.textContent = `These filters cannot be shown. ${body.detail || `The server answered ${answer.status}.`}`;
      errorBox.hidden = false;
      return false;
    }
    data[view] = body;
    loaded[view] = keyOf(view, f);
    DRAW[view](f);
    return true;
  }

  async function refresh() {
    const f = filters();
    const ticket = ++latest;
    root.setAttribute("aria-busy", "true");
    errorBox.hidden = true;
    try {
      const done = await Promise.all(Object.keys(DRAW).map((view) => load(view, f, ticket)));
      if (ticket !== latest || done.includes(false)) return;
      const page = pageQuery(f);
      history.replaceState(null, "", `/analytics?${page}`);
      relink(page);
      status.textContent = "Charts updated.";
    } catch (error) {
      if (ticket !== latest) return;
      errorBox.textContent = "The figures could not be loaded. Check your connection and try again.";
      errorBox.hidden = false;
    } finally {
      if (ticket === latest) root.removeAttribute("aria-busy");
    }
  }

  form.addEventListener("change", refresh);
  form.addEventListener("submit", (event) => {
    event.preventDefault();
    refresh();
  });
  for (const link of document.querySelectorAll("[data-preset]")) {
    link.addEventListener("click", (event) => {
      event.preventDefault();
      const own = new URL(link.href, document.baseURI).searchParams;
      form.elements.namedItem("from").value = own.get("from") || "";
      form.elements.namedItem("to").value = own.get("to") || "";
      refresh();
    });
  }
  for (const radio of document.querySelectorAll("input[name='journey-mode']")) {
    radio.addEventListener("change", () => {
      journeyMode = radio.value;
      drawJourney(data.matrix, filters().period);
    });
  }
  window.addEventListener("resize", () => {
    for (const c of Object.values(charts)) c.resize();
  });
  drawAll(filters());
})();
