// Progressive enhancement only: every page works without this file.
document.addEventListener("htmx:configRequest", (event) => {
  const meta = document.querySelector('meta[name="csrf-token"]');
  if (meta) event.detail.headers["X-CSRF-Token"] = meta.content;
});
// On a phone the navigation starts folded; on wider screens it stays open.
(() => {
  const drawer = document.querySelector("details.drawer");
  if (drawer && window.matchMedia("(max-width: 760px)").matches) drawer.open = false;
})();
// @mention type-ahead in any textarea that names its suggestion URL. It offers only people who
// can read the space (the server decides) and inserts "@Full Name" (or "@[id]" when two
// people share the name).
(() => {
  let box = null, field = null, start = -1, options = [], active = -1, timer = null;
  const close = () => { if (box) { box.hidden = true; box.innerHTML = ""; } options = []; active = -1; };
  const pick = (i) => {
    let name = options[i] && options[i].dataset.name;
    if (!name || !field) return;
    // Two people with the same name: write the unambiguous @[id] form instead.
    if (options.filter((o) => o.dataset.name === name).length > 1) name = "[" + options[i].dataset.id + "]";
    const v = field.value, end = field.selectionStart;
    field.value = v.slice(0, start) + "@" + name + " " + v.slice(end);
    const at = start + name.length + 2;
    field.setSelectionRange(at, at);
    field.focus();
    close();
  };
  const show = (items) => {
    box.innerHTML = "";
    options = items.map((opt, i) => {
      const li = document.createElement("div");
      li.setAttribute("role", "option");
      li.id = "mention-opt-" + i;
      li.dataset.name = opt.value;
      li.dataset.id = opt.dataset.id;
      li.textContent = opt.textContent;
      li.addEventListener("mousedown", (e) => { e.preventDefault(); pick(i); });
      box.appendChild(li);
      return li;
    });
    box.hidden = options.length === 0;
    active = options.length ? 0 : -1;
    highlight();
  };
  const highlight = () => options.forEach((o, i) => o.setAttribute("aria-selected", i === active ? "true" : "false"));
  document.addEventListener("input", (e) => {
    const t = e.target;
    if (!(t instanceof HTMLTextAreaElement) || !t.dataset.mentionUrl) return;
    field = t;
    box = t.parentElement.querySelector(".mention-list") || document.getElementById("mention-list");
    if (!box) return;
    const upto = t.value.slice(0, t.selectionStart);
    const m = upto.match(/(^|\s)@([^\s@]{1,30}(?: [^\s@]{0,30})?)$/);
    if (!m) { close(); return; }
    start = upto.length - m[2].length - 1;
    clearTimeout(timer);
    timer = setTimeout(async () => {
      const chosen = t.form && t.form.elements.namedItem("space_id");
      const space = chosen && "value" in chosen ? "&space_id=" + encodeURIComponent(chosen.value) : "";
      const url = t.dataset.mentionUrl + space + "&q=" + encodeURIComponent(m[2]);
      const res = await fetch(url, { headers: { "HX-Request": "true" } });
      if (!res.ok) { close(); return; }
      const doc = new DOMParser().parseFromString("<datalist>" + await res.text() + "</datalist>", "text/html");
      show(Array.from(doc.querySelectorAll("option")));
    }, 150);
  });
  document.addEventListener("keydown", (e) => {
    if (!box || box.hidden || e.target !== field) return;
    if (e.key === "ArrowDown") { active = (active + 1) % options.length; highlight(); e.preventDefault(); }
    else if (e.key === "ArrowUp") { active = (active - 1 + options.length) % options.length; highlight(); e.preventDefault(); }
    else if (e.key === "Enter" || e.key === "Tab") { if (active >= 0) { pick(active); e.preventDefault(); } }
    else if (e.key === "Escape") { close(); }
  });
})();
// The notification bell follows the "notification" events of the live stream: its count, its
// label, and the polite live region that reads out what is new. The live-update code hands
// each event over as a DOM event "atoll:notification" (detail: the event's data); the htmx SSE
// extension's "htmx:sseMessage" is understood as well.
(() => {
  if (!document.getElementById("bell")) return;
  const update = (data) => {
    const bell = document.getElementById("bell");  // htmx may have swapped it: look it up
    if (!bell || !data || typeof data.unread !== "number") return;
    const n = Math.max(0, data.unread);
    bell.setAttribute("aria-label", "Notifications, " + n + " unread");
    bell.dataset.unread = String(n);
    const badge = bell.querySelector(".bell-count");
    if (badge) {
      badge.textContent = n >= 1000 ? (Math.floor(n / 100) / 10) + "k" : String(n);
      badge.hidden = n === 0;
    }
    const live = document.getElementById("bell-live");
    if (live && data.notification && data.notification.text) live.textContent = data.notification.text;
  };
  document.addEventListener("atoll:notification", (e) => update(e.detail));
  document.addEventListener("htmx:sseMessage", (e) => {
    const d = e.detail || {};
    if (d.type !== "notification") return;
    try { update(JSON.parse(d.data)); } catch (_) { /* not ours */ }
  });
})();
