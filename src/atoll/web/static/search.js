// The top bar's search box as an ARIA combobox: while typing (150 ms after the last key) it
// asks the server for people and spaces whose names start with what was typed, plus "search
// everywhere". ArrowDown/ArrowUp move through the options, Enter opens the highlighted one
// (or, with none highlighted, submits the form to /search), Escape closes the list. Without
// this file the box is a plain form to /search.
(() => {
  const input = document.getElementById("top-search");
  const list = document.getElementById("top-search-list");
  if (!input || !list || !input.form) return;
  const form = input.form;
  const url = form.dataset.suggestUrl;
  let timer = null, active = -1, asked = "", controller = null;

  const options = () => Array.from(list.querySelectorAll('[role="option"]'));
  const open = (yes) => {
    list.hidden = !yes;
    input.setAttribute("aria-expanded", yes ? "true" : "false");
    if (!yes) { active = -1; input.removeAttribute("aria-activedescendant"); }
  };
  const highlight = (i) => {
    const opts = options();
    active = opts.length ? (i + opts.length) % opts.length : -1;
    opts.forEach((o, n) => o.setAttribute("aria-selected", n === active ? "true" : "false"));
    if (active >= 0) {
      input.setAttribute("aria-activedescendant", opts[active].id);
      opts[active].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  };
  const go = (option) => {
    const href = option && option.dataset.href;
    if (href) window.location.assign(href);
  };
  const fetchOptions = async () => {
    const q = input.value.trim();
    if (!q) { list.innerHTML = ""; open(false); asked = ""; return; }
    if (q === asked && !list.hidden) return;
    asked = q;
    if (controller) controller.abort();
    controller = new AbortController();
    let res;
    try {
      res = await fetch(url + "?q=" + encodeURIComponent(q), {
        headers: { "HX-Request": "true" }, signal: controller.signal, credentials: "same-origin",
      });
    } catch (_) { return; }  // aborted by a newer key press, or offline: the form still works
    if (!res.ok || input.value.trim() !== q) return;
    // The server escapes every name; the fragment is parsed, never run (no scripts in it).
    const doc = new DOMParser().parseFromString("<ul>" + await res.text() + "</ul>", "text/html");
    list.replaceChildren(...Array.from(doc.querySelectorAll('[role="option"]')));
    active = -1;
    input.removeAttribute("aria-activedescendant");
    open(options().length > 0 && document.activeElement === input);
  };

  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(fetchOptions, 150);
  });
  input.addEventListener("keydown", (e) => {
    const opts = options();
    if (e.key === "ArrowDown" || e.key === "ArrowUp") {
      if (list.hidden) {
        if (!opts.length) return;
        open(true);
      }
      highlight(e.key === "ArrowDown" ? active + 1 : (active < 0 ? -1 : active - 1));
      e.preventDefault();
    } else if (e.key === "Enter") {
      if (!list.hidden && active >= 0) { e.preventDefault(); go(opts[active]); }
    } else if (e.key === "Escape") {
      if (!list.hidden) { e.preventDefault(); open(false); }
    }
  });
  // Mouse: pressing an option must not blur the box first (which would close the list).
  list.addEventListener("mousedown", (e) => e.preventDefault());
  list.addEventListener("click", (e) => {
    const option = e.target instanceof Element ? e.target.closest('[role="option"]') : null;
    if (option) go(option);
  });
  list.addEventListener("mousemove", (e) => {
    const option = e.target instanceof Element ? e.target.closest('[role="option"]') : null;
    const i = option ? options().indexOf(option) : -1;
    if (i >= 0 && i !== active) highlight(i);
  });
  input.addEventListener("blur", () => open(false));
  input.addEventListener("focus", () => { if (options().length && input.value.trim()) open(true); });
  form.addEventListener("submit", () => open(false));
})();
