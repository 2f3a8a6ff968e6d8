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
// Destructive actions ask first. Their button sits in a form marked data-confirm: without
// JavaScript it opens the action's confirmation page; here the same question (the form's
// data-confirm, data-confirm-detail and data-confirm-button) opens in a dialog instead, and
// confirming posts to the same address with the CSRF token. Focus moves to the safe choice,
// Escape or "Cancel" closes it and focus returns to the button. One dialog serves every such
// form, those htmx or the live page swap in later included.
(() => {
  let dialog = null, opener = null;
  const make = () => {
    dialog = document.createElement("dialog");
    dialog.className = "confirm-dialog";
    dialog.setAttribute("aria-labelledby", "confirm-dialog-question");
    dialog.setAttribute("aria-describedby", "confirm-dialog-detail");
    const box = document.createElement("div");
    box.className = "confirm-box";
    const question = document.createElement("h2");
    question.id = "confirm-dialog-question";
    const detail = document.createElement("p");
    detail.id = "confirm-dialog-detail";
    const form = document.createElement("form");
    form.method = "post";
    form.className = "actions";
    const token = document.createElement("input");
    token.type = "hidden";
    token.name = "csrf_token";
    const yes = document.createElement("button");
    yes.type = "submit";
    yes.className = "danger";
    const no = document.createElement("button");
    no.type = "button";
    no.className = "secondary";
    no.textContent = "Cancel";
    no.addEventListener("click", () => dialog.close());
    form.append(token, yes, no);
    box.append(question, detail, form);
    dialog.append(box);
    // A click on the backdrop (the dialog itself, outside its box) cancels too.
    dialog.addEventListener("click", (e) => { if (e.target === dialog) dialog.close(); });
    dialog.addEventListener("close", () => {
      if (opener && opener.isConnected) opener.focus();
      opener = null;
    });
    document.body.append(dialog);
  };
  document.addEventListener("submit", (event) => {
    const ask = event.target;
    if (!(ask instanceof HTMLFormElement) || ask.dataset.confirm === undefined) return;
    event.preventDefault();
    if (!dialog) make();
    const form = dialog.querySelector("form");
    const meta = document.querySelector('meta[name="csrf-token"]');
    dialog.querySelector("h2").textContent = ask.dataset.confirm;
    dialog.querySelector("p").textContent = ask.dataset.confirmDetail || "";
    form.action = ask.getAttribute("action");
    form.elements.namedItem("csrf_token").value = meta ? meta.content : "";
    form.querySelector(".danger").textContent = ask.dataset.confirmButton || "Confirm";
    opener = event.submitter || ask.querySelector("button");
    dialog.showModal();
    form.querySelector(".secondary").focus();
  });
})();
// A "Copy" button copies the field it names (data-copy="field id"), and says so.
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("button[data-copy]") : null;
  const field = button && document.getElementById(button.dataset.copy);
  if (!field) return;
  field.select();
  const said = () => { button.textContent = "Copied"; };
  if (navigator.clipboard) navigator.clipboard.writeText(field.value).then(said, () => {});
  else if (document.execCommand("copy")) said();
});
// Drafts: a composer marked data-draft saves what is typed (about a second after the last key)
// as the caller's draft in the chosen space, through the JSON API with the session cookie and
// the CSRF token, and says so quietly in its [data-draft-status]. The page renders a saved
// draft back into the composer, so it survives a reload. Choosing another space on the home
// page brings that space's draft; when it has none, the text typed so far moves with it.
(() => {
  const timers = new WeakMap(), saving = new WeakMap();
  const csrf = () => { const m = document.querySelector('meta[name="csrf-token"]'); return m ? m.content : ""; };
  const url = (space) => "/api/v1/spaces/" + encodeURIComponent(space) + "/draft";
  const bodyOf = (form) => form.elements.namedItem("body");
  const kindOf = (form) => { const k = form.querySelector("input[name=kind]:checked"); return k ? k.value : "update"; };
  const say = (form, text) => { const s = form.querySelector("[data-draft-status]"); if (s) s.textContent = text; };
  const call = (method, space, data) => fetch(url(space), {
    method, credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
    body: data ? JSON.stringify(data) : undefined,
  });
  // Said only when what was saved is what the composer holds now, and no later save waits.
  const current = (form, body) => !timers.has(form) && bodyOf(form).value === body;
  const save = (form, space) => {
    if (form.dataset.posting) return Promise.resolve();  // posted: the draft is gone for good
    const body = bodyOf(form).value;
    const done = call("PUT", space, { body, kind: kindOf(form) })
      .then((res) => {
        if (!res.ok) say(form, "The draft could not be saved");
        else if (current(form, body)) say(form, body.trim() ? "Draft saved" : "");
      })
      .catch(() => say(form, "The draft could not be saved"))
      .finally(() => { if (saving.get(form) === done) saving.delete(form); });
    saving.set(form, done);
    return done;
  };
  const schedule = (form) => {
    if (!form.dataset.draftSpace || form.dataset.posting) return;
    clearTimeout(timers.get(form));
    const space = form.dataset.draftSpace;
    timers.set(form, setTimeout(() => { timers.delete(form); save(form, space); }, 1000));
  };
  const composerOf = (el) => (el instanceof Element ? el.closest("form[data-draft]") : null);
  document.addEventListener("input", (e) => {
    const form = composerOf(e.target);
    if (!form || e.target.name !== "body") return;
    say(form, "");
    schedule(form);
  });
  document.addEventListener("change", async (e) => {
    const form = composerOf(e.target);
    if (!form) return;
    if (e.target.name === "kind" && bodyOf(form).value.trim()) { schedule(form); return; }
    if (e.target.name !== "space_id" || !(e.target instanceof HTMLSelectElement)) return;
    const before = form.dataset.draftSpace, after = e.target.value, typed = bodyOf(form).value;
    form.dataset.draftSpace = after;  // from now on, what is typed is for this space
    if (timers.has(form)) { clearTimeout(timers.get(form)); timers.delete(form); await save(form, before); }
    await saving.get(form);
    const res = await fetch(url(after), { credentials: "same-origin" });
    if (!res.ok || form.dataset.draftSpace !== after || form.dataset.posting) return;
    const draft = await res.json();
    if (bodyOf(form).value !== typed) return;  // written meanwhile: that text is for this space
    if (draft.updated_at) {
      bodyOf(form).value = draft.body;
      const kind = form.querySelector('input[name=kind][value="' + draft.kind + '"]');
      if (kind) kind.checked = true;
      say(form, "The draft you left in this space is back");
    } else if (bodyOf(form).value.trim() && before && before !== after) {
      await save(form, after);  // the text moves with the space chosen
      await call("DELETE", before);
    }
  });
  // Posting removes the draft on the server: no save may land after it.
  document.addEventListener("submit", (e) => {
    const form = composerOf(e.target);
    if (!form || e.defaultPrevented) return;
    clearTimeout(timers.get(form));
    timers.delete(form);
    form.dataset.posting = "1";
    const pending = saving.get(form);
    if (!pending) return;
    e.preventDefault();
    pending.finally(() => form.submit());
  });
})();
// "Posted · Undo" goes once its few seconds have passed; after "Undo" (htmx), the post's card
// leaves the list it was in.
(() => {
  document.querySelectorAll("[data-undo-seconds]").forEach((note) => {
    const seconds = Number(note.dataset.undoSeconds) || 0;
    setTimeout(() => { if (note.isConnected && note.querySelector("form")) note.remove(); }, seconds * 1000);
  });
  document.addEventListener("atoll:undone", (e) => {
    const id = e.detail && e.detail.post_id;
    const card = id && document.getElementById("post-" + id);
    if (card) card.remove();
  });
})();
