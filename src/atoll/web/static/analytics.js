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
  let heatMode = "share";
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
    // The stage is cumulative: transformation needs both thresholds (the server's words).
    if (matrix.suppressed) {
      return `Figures for ${name} are hidden: fewer than ${MIN_GROUP} people were involved in this period.`;
    }
    if (!matrix.total) return `No interactions in ${name} in this period.`;
    const shares = rowShares(matrix.cells);
    const limits = matrix.thresholds;
    const across = shareText(shares.across);
    const external = shareText(shares.external);
    const at = `${name} is at the ${STAGE_WORDS[matrix.stage].replaceAll(" ", "-")} stage`;
    if (matrix.stage === "transformation") {
      return `${at}: ${across} of interactions cross silos and ${external} are with external parties (thresholds ${shareText(limits.across)} and ${shareText(limits.external)}).`;
    }
    if (matrix.stage === "cultural") {
      return `${at}: ${across} of interactions cross silos (threshold ${shareText(limits.across)}); ${external} are with external parties, transformation needs ${shareText(limits.external)}.`;
    }
    return `${at}: ${across} of interactions cross silos; cultural change starts at ${shareText(limits.across)}.`;
  }
  function apartSentence(matrix) {
    const told = (figures, what) => (figures.interactions === null
      ? `${what}: hidden (fewer than ${MIN_GROUP} people)`
      : `${what}: ${figures.interactions} (${figures.people} ${figures.people === 1 ? "person" : "people"})`);
    return `Not in the grid — ${told(matrix.apart.externals, "interactions between externals")}; ${told(matrix.apart.no_silo, "of members in no silo")}.`;
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
    setText("matrix-apart", apartSentence(matrix));
    renderAdvice(matrix);
  }

  // ---- what to do next (the words of the links as pages.py ADVICE_LINKS) ----
  const ADVICE_LINKS = { island: "Start a community", inward: "See the unit",
    external_questions: "Answer the first", falling_community: "Open the community",
    ready_outward: "Open a hybrid space", not_ready: "See what would help" };
  function renderAdvice(matrix) {
    const list = document.getElementById("advice-list");
    if (!list) return;
    const items = (matrix.recommendations || []).map((advice) => el("li", { "data-kind": advice.kind },
      `${advice.text} `, el("a", { href: advice.href }, ADVICE_LINKS[advice.kind] || "Open")));
    if (!items.length) {
      items.push(el("li", { class: "muted" }, "Nothing stands out in this period: no unit is an island, none works more inside itself than chance, no external question is waiting and no community is fading."));
    }
    list.replaceChildren(...items);
  }

  // ---- the journey ----
  // By week, the stage shown is the rolling one (the last four weeks, with hysteresis): a
  // single quiet week does not flip it. A period not over (or cut by the range) is "so far":
  // its bars are lighter and the table says so.
  function shownStage(p, period) {
    return period === "week" ? p.rolling_stage : p.stage;
  }
  function stageChanges(journey, period) {
    const changes = [];
    let previous = null;
    for (const p of journey) {
      const stage = shownStage(p, period);
      if (!stage) continue;
      if (previous !== null && stage !== previous) changes.push({ period: p.period, stage });
      previous = stage;
    }
    return changes;
  }
  function journeySeries(matrix) {
    const journey = matrix.journey;
    return matrix.cells.map((cell, index) => ({
      name: CELL_NAMES[`${cell.scope}/${cell.tie}`],
      type: "bar",
      stack: "cells",
      barCategoryGap: journey.length > 30 ? "10%" : "30%",
      color: COLORS[index],
      data: journey.map((p) => {
        if (p.suppressed) return null;
        const c = p.cells[index];
        const value = journeyMode === "share" ? Math.round((c.share || 0) * 1000) / 10 : c.interactions;
        return p.partial ? { value, itemStyle: { opacity: 0.4 } } : value;
      }),
    }));
  }
  function journeyCaption(journey, period, changes) {
    const unit = period === "month" ? "months" : "weeks";
    const shown = journey.filter((p) => !p.suppressed);
    let caption = `${journey.length} ${unit} of interactions`;
    if (!shown.length) caption += `; every one hidden (fewer than ${MIN_GROUP} people).`;
    else if (shown.length === 1) {
      const only = rowShares(shown[0].cells);
      caption += `; only ${shown[0].period} has enough people to show: across silos ${shareText(only.across)}, with externals ${shareText(only.external)}.`;
    } else {
      const first = rowShares(shown[0].cells);
      const last = rowShares(shown[shown.length - 1].cells);
      caption += `: across silos ${shareText(first.across)} in ${shown[0].period} → ${shareText(last.across)} in ${shown[shown.length - 1].period}; with externals ${shareText(first.external)} → ${shareText(last.external)}.`;
      const told = changes.slice(-4).map((c) => `${c.period} → ${STAGE_WORDS[c.stage]}`).join(", ");
      const what = period === "week" ? "stage of the last four weeks" : "stage";
      if (!changes.length) caption += ` No change of ${what}.`;
      else if (changes.length <= 4) caption += ` Changes of ${what}: ${told}.`;
      else caption += ` ${changes.length} changes of ${what}; the last ones: ${told}.`;
    }
    const partial = journey.filter((p) => p.partial).map((p) => p.period);
    if (partial.length) caption += ` So far (not over, or cut by the range): ${partial.join(", ")}.`;
    return caption;
  }
  function journeyRow(p, period) {
    const label = el("th", { scope: "row" }, p.period);
    if (p.partial) label.append(" ", el("span", { class: "so-far" }, "so far"));
    const row = el("tr", p.partial ? { class: "partial" } : {}, label);
    const stage = shownStage(p, period);
    if (p.suppressed) {
      row.append(el("td", {}, period === "week" ? STAGE_WORDS[stage] || "—" : "—"),
        el("td", { colspan: "4", class: "muted" }, `hidden — fewer than ${MIN_GROUP} people`));
    } else {
      const shares = rowShares(p.cells);
      row.append(el("td", {}, STAGE_WORDS[stage] || "—"), el("td", {}, String(p.total)),
        el("td", {}, shareText(shares.within)), el("td", {}, shareText(shares.across)), el("td", {}, shareText(shares.external)));
    }
    return row;
  }
  function drawJourney(matrix, period) {
    const journey = matrix.journey;
    const labels = journey.map((p) => p.period);
    const series = journeySeries(matrix);
    const changes = stageChanges(journey, period);
    series[series.length - 1].markLine = {
      symbol: "none",
      silent: true,
      lineStyle: { color: "#1b2430", type: "dashed" },
      // Labels only when few: the caption and the table name every change.
      label: { show: changes.length <= 4, formatter: (item) => item.name, position: "end", color: "#1b2430", fontSize: 11 },
      data: changes.map((c) => ({ name: `→ ${STAGE_SHORT[c.stage]}`, xAxis: c.period })),
    };
    chart("journey-chart").setOption({
      ...BASE,
      tooltip: { ...TOOLTIP, valueFormatter: (v) => (v === null || v === undefined ? "hidden"
        : journeyMode === "share" ? `${v} %` : String(v)) },
      legend: { bottom: 0 },
      // Room on the right for half the last label, centred on its period.
      grid: { left: 48, right: 40, top: 32, bottom: 88 },
      // The labels never print over each other: ECharts leaves out as many as it must
      // ("auto") and hides any that would still touch.
      xAxis: { type: "category", data: labels, axisTick: { alignWithLabel: true },
        axisLabel: { interval: "auto", hideOverlap: true } },
      yAxis: journeyMode === "share"
        ? { type: "value", max: 100, axisLabel: { formatter: "{value} %" } }
        : { type: "value", minInterval: 1 },
      series,
    }, true);
    const box = document.getElementById("journey-chart");
    box.dataset.period = period;
    box.dataset.points = String(labels.length);
    box.dataset.mode = journeyMode;
    box.dataset.partial = journey.filter((p) => p.partial).map((p) => p.period).join(" ");
    setText("journey-caption", journeyCaption(journey, period, changes));
    const head = document.querySelector("#journey-table thead th:nth-child(2)");
    if (head) head.textContent = period === "week" ? "Stage, last 4 weeks" : "Stage";
    replaceRows("journey-table", journey.map((p) => journeyRow(p, period)));
  }

  // ---- who works with whom ----
  function signed(value) {
    if (value === null || value === undefined) return "—";
    const text = Math.abs(value).toFixed(2);
    return (value < 0 && text !== "0.00" ? "−" : "+") + text;
  }
  function eiReading(ei, expected) {
    // Never "outward" for a unit below what random mixing would give, whatever the sign.
    if (ei === null || ei === undefined) return "no ties";
    if (expected === null || expected === undefined) return "";
    if (ei < expected - 0.005) return "more inward than random mixing";
    if (ei > expected + 0.005) return "more outward than random mixing";
    return "as random mixing would give";
  }
  function networkSentence(network, name) {
    if (network.suppressed) return `The network of ${name} is hidden: fewer than ${MIN_GROUP} of its people took part in this period.`;
    if (network.ei_org === null || network.ei_org === undefined) return "No ties between people of the units shown in this period.";
    return `E-I index ${signed(network.ei_org)} (random mixing would give ${signed(network.ei_org_expected)}): people work ${eiReading(network.ei_org, network.ei_org_expected)}.`;
  }
  function bridgesNote(network) {
    const when = network.computed_at || "";
    const moment = when ? `${when.slice(0, 10)} ${when.slice(11, 16)} UTC` : "";
    const people = network.betweenness_people || 0;
    const sources = network.betweenness_sources || 0;
    const hidden = network.names_hidden ? "Names hidden by the organisation's settings. " : "";
    if (!people) return hidden + (moment ? `Computed ${moment}.` : "");
    if (network.betweenness_sampled) {
      return `${hidden}Estimated ${moment} from the shortest paths starting at ${sources.toLocaleString("en")} of the ${people.toLocaleString("en")} people, drawn at random.`;
    }
    return `${hidden}Computed ${moment} from every shortest path between the ${people.toLocaleString("en")} people.`;
  }
  function niceStep(top) {
    const raw = Math.max(top / 5, 1);
    const power = 10 ** Math.floor(Math.log10(raw));
    const step = [1, 2, 2.5, 5, 10].map((m) => m * power).find((m) => m >= raw);
    return Math.max(1, Math.ceil(step));
  }
  function heatPieces(top) {
    // A numbered legend: five ranges of the colour scale.
    const colors = ["#d4ebed", "#a0d0d3", "#5fadb2", "#2a8389", "#0b545a"];
    if (heatMode === "share") {
      const bounds = [0, 5, 15, 30, 50, 100];
      return bounds.slice(0, 5).map((low, i) => ({ gte: low, lt: i === 4 ? 100.01 : bounds[i + 1],
        label: `${low}–${bounds[i + 1]} %`, color: colors[i] }));
    }
    const step = niceStep(top);
    return colors.map((color, i) => ({ gte: i * step, lt: i === 4 ? Infinity : (i + 1) * step,
      label: i === 4 ? `${abbrev(4 * step)} or more` : `${abbrev(i * step)}–${abbrev((i + 1) * step)}`, color }));
  }
  function drawNetwork(network, levelName) {
    const units = network.units;
    const orgs = network.organizations || [];
    const nodes = [...units.map((u) => ({ id: u.id, label: u.label || u.name || `Unit ${u.id}`, unit: u })),
      ...orgs.map((o) => ({ id: o.id, label: `${o.name} (organisation)`, org: o }))];
    const index = new Map(nodes.map((n, i) => [n.id, i]));
    const raw = [...network.matrix.map((m) => [m.from_unit_id, m.to_unit_id, m.interactions]),
      ...(network.organization_pairs || []).map((m) => [m.from_id, m.to_id, m.interactions])]
      .filter(([a, b]) => index.has(a) && index.has(b));
    const rowTotal = new Map();
    for (const [a, , n] of raw) rowTotal.set(a, (rowTotal.get(a) || 0) + n);
    const cells = raw.map(([a, b, n]) => {
      const share = rowTotal.get(a) ? (n / rowTotal.get(a)) * 100 : 0;
      return { value: [index.get(b), index.get(a), heatMode === "share" ? Math.round(share * 10) / 10 : n], n, share };
    });
    const top = Math.max(1, ...cells.map((c) => c.n));
    const names = nodes.map((n) => n.label);
    const rowNames = nodes.map((n) => (n.unit && n.unit.island ? `${n.label} · island` : n.label));
    const box = document.getElementById("network-chart");
    const height = `${Math.max(416, 160 + nodes.length * 28)}px`; // a readable row per node
    if (box.style.height !== height) {
      box.style.height = height;
      chart("network-chart").resize();
    }
    chart("network-chart").setOption({
      ...BASE,
      tooltip: { trigger: "item", renderMode: "richText",
        formatter: (p) => {
          const c = cells[p.dataIndex];
          const row = nodes[p.value[1]].unit;
          const ei = row && row.ei !== null ? ` · ${names[p.value[1]]}: E-I ${signed(row.ei)}, random mixing ${signed(row.ei_expected)}` : "";
          return `${names[p.value[1]]} → ${names[p.value[0]]}: ${c.n} interactions (${shareText(c.share / 100)} of the row)${ei}`;
        } },
      grid: { left: 24, right: 24, top: 16, bottom: 96, containLabel: true },
      xAxis: { type: "category", data: names, axisLabel: { rotate: 30, interval: 0 }, splitLine: { show: true } },
      yAxis: { type: "category", data: rowNames, axisLabel: { interval: 0 }, splitLine: { show: true } },
      visualMap: { type: "piecewise", pieces: heatPieces(top), orient: "horizontal", left: "center", bottom: 0,
        textStyle: { fontSize: 11 } },
      series: [{ type: "heatmap", data: cells.map((c) => c.value), emphasis: { disabled: true },
        label: { show: nodes.length <= 12, formatter: (p) => (heatMode === "share" ? `${p.value[2]} %` : String(p.value[2])) } }],
    }, true);
    box.dataset.units = String(units.length);
    box.dataset.mode = heatMode;
    box.dataset.labels = JSON.stringify(names);
    setText("network-sentence", networkSentence(network, selectedText("f-unit", root.dataset.name)));
    const islands = units.filter((u) => u.island).length;
    const filtered = selectedText("f-unit", "");
    setText("network-caption", network.suppressed
      ? `Hidden — fewer than ${MIN_GROUP} people of ${filtered} took part.`
      : units.length
        ? `${units.length} units compared at the ${levelName} level${filtered ? `, in the interactions in which someone of ${filtered} took part` : ""}; ${islands} of them ${islands === 1 ? "is an island" : "are islands"} (no tie to another unit). ${heatMode === "share" ? "Each row shows where that unit's interactions went, as a share of the row." : "Each cell counts the interactions from the row to the column."} Units with fewer than ${MIN_GROUP} people are left out${orgs.length ? `; customers' and partners' organisations with ${MIN_GROUP} or more people taking part are shown as organisations` : ""}.`
        : `No unit at the ${levelName} level had ${MIN_GROUP} or more people interacting in this period.`);
    replaceRows("network-table", units.map((u) => el("tr", {},
      el("th", { scope: "row" }, u.label || u.name || `Unit ${u.id}`), el("td", {}, String(u.people)),
      el("td", {}, String(u.interactions_within)), el("td", {}, String(u.interactions_across)),
      el("td", {}, String(u.internal_ties)), el("td", {}, String(u.external_ties)),
      el("td", {}, signed(u.ei)), el("td", {}, signed(u.ei_expected)), el("td", {}, signed(u.ei_weighted)),
      el("td", {}, eiReading(u.ei, u.ei_expected)), el("td", {}, u.island ? "Yes" : "No"))));
    const pairs = cells.map((c) => [names[c.value[1]], names[c.value[0]], c.n, c.share]).sort((a, b) => b[2] - a[2]);
    replaceRows("pairs-table", pairs.map(([from, to, n, share]) => el("tr", {}, el("td", {}, from), el("td", {}, to),
      el("td", {}, String(n)), el("td", {}, shareText(share / 100)))));
    setText("network-note", `A tie is two people with at least ${network.min_interactions} interactions in the period. E-I index: from −1 (ties only inside the unit) to +1 (ties only to other units). Beside it, the value random mixing would give a unit of that size: a unit below it is more inward than chance, whatever the sign. The weighted E-I counts the interactions of those ties instead of the ties.`);
    drawBreadth(network.breadth);
    setText("bridges-note", bridgesNote(network));
    const list = document.getElementById("bridges-list");
    list.replaceChildren(...(network.bridges.length
      ? network.bridges.map((b) => el("li", {}, el("span", { class: "bridge-name" }, b.name || "Name hidden"), " ",
        el("span", { class: "muted" }, `· ${b.unit_name || "unit not shown"} · ${shareText(b.betweenness)} of shortest paths · reaches ${b.units_reached} other ${b.units_reached === 1 ? "unit" : "units"}`)))
      : [el("li", { class: "empty" }, "No one lies between other people in this period.")]));
  }
  function drawBreadth(breadth) {
    const table = document.getElementById("breadth-table");
    if (!table || !breadth) return;
    const head = table.querySelector("thead tr");
    head.replaceChildren(el("th", { scope: "col" }, "Other silos worked with"), ...breadth.buckets.map((b) => el("th", { scope: "col" }, b.silos)));
    replaceRows("breadth-table", [el("tr", {}, el("th", { scope: "row" }, "People"),
      ...breadth.buckets.map((b) => el("td", {}, b.people === null ? "hidden" : String(b.people))))]);
    setText("breadth-caption", breadth.people === null
      ? `Hidden — fewer than ${MIN_GROUP} people.`
      : `${breadth.people} people in a silo took part in the last 4 weeks of the period (${breadth.from.slice(0, 10)} to ${breadth.to.slice(0, 10)}); each counts the other silos with whose people they had at least 2 interactions. Groups of fewer than ${MIN_GROUP} people are hidden, with another where needed so that none can be worked out.`);
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
  function apiQuery(f) {
    // The page's dates are whole days of the organisation's time zone, as the API reads a
    // date: "from" its first day, "to" its last (included).
    const q = new URLSearchParams({ period: f.period });
    if (f.from) q.set("from", f.from);
    if (f.to) q.set("to", f.to);
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
  const NEEDS = { matrix: ["from", "to", "unit_id", "period"], network: ["from", "to", "level", "unit_id"], adoption: ["from", "to"] };
  // A range that starts after now: no charts, a sentence instead.
  const future = document.getElementById("analytics-future");
  function showFuture(matrix) {
    const ahead = new Date(matrix.from) > new Date();
    if (future) future.hidden = !ahead;
    if (root.hidden !== ahead) {
      root.hidden = ahead;
      if (!ahead) for (const c of Object.values(charts)) c.resize();
    }
  }
  const DRAW = {
    matrix: (f) => {
      showFuture(data.matrix);
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

  // The readiness and champions sections are drawn on the server: when the filters change,
  // they are fetched again for the new ones and swapped in. Should that fail, they say which
  // filters they are for and link to the page with the new ones.
  const opened = root.dataset.query;
  function markStale(query) {
    for (const note of document.querySelectorAll("[data-stale]")) {
      note.hidden = query === opened;
      const link = note.querySelector("a");
      if (link) link.href = `/analytics?${query}${new URL(link.href, document.baseURI).hash}`;
    }
  }
  async function redrawSections(query, ticket) {
    const box = document.getElementById("analytics-sections");
    if (!box) return;
    try {
      const answer = await fetch(`/analytics/sections?${query}`, {
        credentials: "same-origin", headers: { "HX-Request": "true" } });
      if (!answer.ok) throw new Error(String(answer.status));
      const html = await answer.text();
      if (ticket !== latest) return;
      box.outerHTML = html;
    } catch (error) {
      markStale(query);
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
      await redrawSections(page, ticket);
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
  for (const radio of document.querySelectorAll("input[name='heatmap-mode']")) {
    radio.addEventListener("change", () => {
      heatMode = radio.value;
      DRAW.network(filters());
    });
  }
  window.addEventListener("resize", () => {
    for (const c of Object.values(charts)) c.resize();
  });
  drawAll(filters());
})();
