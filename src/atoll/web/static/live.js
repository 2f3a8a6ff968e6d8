// Live pages: one EventSource per page on the event stream (GET /api/v1/events), opened from
// where the page was rendered (<meta name="atoll-events">, which carries ?last_event_id=), so
// nothing between the render and the subscription is missed. The browser reconnects by itself
// and sends Last-Event-ID; when the stream is refused or a proxy fails (the EventSource is
// then CLOSED), it is opened again after a growing pause, from the last event handled.
//
// Every event is handed on as a DOM event "atoll:<type>" on document (detail: its data), for
// other parts of the page (the notification bell listens to "atoll:notification"). This file
// then keeps the feed, a space's posts and a post's thread up to date by fetching the
// server-rendered fragments the events name: new posts wait behind an "N new posts" button
// (nothing moves under the reader), new comments join the thread, reactions, votes, edits and
// deletions show in place; a wiki page (or its editor) says when someone else saved it, with a
// link to reload (a reader's text never changes under them). Without JavaScript the pages
// work as before, just not live.
(() => {
  const meta = document.querySelector('meta[name="atoll-events"]');
  if (!meta || !window.EventSource) return;
  const TYPES = [
    "post.created", "post.updated", "post.deleted", "post.answered", "idea.status",
    "comment.created", "comment.updated", "comment.deleted", "reaction.changed", "vote.changed",
    "membership.changed", "notification", "reload", "wiki.updated", "moderation.changed",
    "post.pinned", "post.closed", "post.restored", "comment.restored",
  ];
  let lastId = new URL(meta.content, location.href).searchParams.get("last_event_id") || "";
  let pause = 1000;

  const connect = () => {
    const url = new URL(meta.content, location.href);
    if (lastId) url.searchParams.set("last_event_id", lastId);
    const source = new EventSource(url);
    TYPES.forEach((type) => source.addEventListener(type, (e) => {
      if (e.lastEventId) lastId = e.lastEventId;
      let data = {};
      try { data = JSON.parse(e.data); } catch (_) { return; }
      document.dispatchEvent(new CustomEvent("atoll:" + type, { detail: data }));
      handle(type, data);
    }));
    source.addEventListener("open", () => { pause = 1000; });
    source.addEventListener("error", () => {
      if (source.readyState !== EventSource.CLOSED) return;  // the browser retries by itself
      setTimeout(connect, pause);
      pause = Math.min(pause * 2, 60000);
    });
  };

  // --- fragments -----------------------------------------------------------------------------
  const fragment = async (url) => {
    const res = await fetch(url, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
    if (res.status !== 200) return null;
    const box = document.createElement("template");
    box.innerHTML = (await res.text()).trim();
    return box.content.firstElementChild;
  };
  const activate = (el) => { if (window.htmx) window.htmx.process(el); return el; };
  const byId = (id) => document.getElementById(id);
  const plural = (n, word) => n + " " + word + (n === 1 ? "" : "s");

  // --- lists: the feed and a space's posts ---------------------------------------------------
  const list = document.querySelector("[data-live-list]");
  const slot = list && list.querySelector("[data-live-new]");
  const waiting = new Map();  // post id -> its card, not shown yet
  let bar = null;

  const showBar = () => {
    if (!slot) return;
    if (!bar) {
      bar = document.createElement("button");
      bar.type = "button";
      bar.className = "live-bar";
      bar.addEventListener("click", showWaiting);
      slot.appendChild(bar);
    }
    bar.textContent = waiting.size === 1 ? "1 new post" : waiting.size + " new posts";
    bar.hidden = waiting.size === 0;
  };

  function showWaiting() {
    const ids = Array.from(waiting.keys()).sort((a, b) => Number(b) - Number(a));
    let at = slot;
    ids.forEach((id) => {
      const card = waiting.get(id);
      if (!byId("post-" + id)) { at.after(card); activate(card); at = card; }
    });
    waiting.clear();
    showBar();
    const empty = list.querySelector(".empty");
    if (empty && ids.length) empty.remove();
    const first = ids.length && byId("post-" + ids[0]);
    if (first) { first.setAttribute("tabindex", "-1"); first.focus({ preventScroll: true }); }
  }

  const cardUrl = (id, forList) => {
    let url = "/posts/" + encodeURIComponent(id) + "/card";
    if (forList && list) url += "?list=" + list.dataset.liveList + "&filter=" + encodeURIComponent(list.dataset.filter || "all");
    else if (list && list.dataset.liveList === "space") url += "?list=space&filter=all";
    return url;
  };

  const postCreated = async (data) => {
    if (!list || !slot || byId("post-" + data.post_id) || waiting.has(data.post_id)) return;
    if (list.dataset.liveList === "space" && list.dataset.spaceId !== data.space_id) return;
    const card = await fragment(cardUrl(data.post_id, true));  // 204: not for this list
    if (!card || byId("post-" + data.post_id)) return;
    waiting.set(data.post_id, card);
    showBar();
  };

  // --- posts in place ------------------------------------------------------------------------
  const refreshPost = async (data) => {
    const old = byId("post-" + data.post_id);
    if (!old) return;
    const card = await fragment(cardUrl(data.post_id, false));
    if (card && old.isConnected) old.replaceWith(activate(card));
  };

  const postDeleted = (data) => {
    waiting.delete(data.post_id);
    showBar();
    const old = byId("post-" + data.post_id);
    if (!old) return;
    const note = document.createElement("p");
    note.className = "muted post-gone";
    note.setAttribute("role", "status");
    note.textContent = "This post was deleted.";
    old.replaceWith(note);
  };

  const refreshReactions = async (data) => {
    const old = byId("reactions-" + data.post_id);
    if (!old) return;
    const fresh = await fragment("/posts/" + encodeURIComponent(data.post_id) + "/reactions");
    if (!fresh || !old.isConnected) return;
    const picker = old.querySelector("details.react-picker");
    const again = fresh.querySelector("details.react-picker");
    if (picker && picker.open && again) again.open = true;
    old.replaceWith(activate(fresh));
  };

  const setCommentCount = (data) => {
    if (typeof data.comment_count !== "number") return;
    document.querySelectorAll("#post-" + data.post_id + " [data-comment-count]").forEach((a) => {
      a.textContent = plural(data.comment_count, "comment");
    });
    const thread = document.querySelector('[data-live-thread="' + data.post_id + '"]');
    const title = thread && thread.querySelector("[data-comment-count]");
    if (title) title.textContent = plural(data.comment_count, "comment");
  };

  // --- the thread of a post page -------------------------------------------------------------
  const thread = (postId) => document.querySelector('[data-live-thread="' + postId + '"]');

  const commentCreated = async (data) => {
    setCommentCount(data);
    const here = thread(data.post_id);
    if (!here || byId("comment-" + data.comment_id)) return;
    const li = await fragment("/comments/" + encodeURIComponent(data.comment_id));
    if (!li || byId("comment-" + data.comment_id)) return;
    let into = here.querySelector("ul.comments");
    if (data.parent_id) {
      const parent = byId("comment-" + data.parent_id);
      if (!parent) return;
      into = parent.querySelector(":scope > ul.replies");
      if (!into) {
        into = document.createElement("ul");
        into.className = "replies";
        into.setAttribute("role", "list");
        const reply = parent.querySelector(":scope > details.reply");
        if (reply) reply.before(into); else parent.appendChild(into);
      }
    }
    if (into) into.appendChild(activate(li));
  };

  const commentUpdated = async (data) => {
    const old = byId("comment-" + data.comment_id);
    if (!old) return;
    const li = await fragment("/comments/" + encodeURIComponent(data.comment_id));
    if (!li || !old.isConnected) return;
    // Only the body and its line change: a reply being written below stays as it is.
    [":scope > .post-meta", ":scope > .markdown"].forEach((part) => {
      const a = old.querySelector(part), b = li.querySelector(part);
      if (a && b) a.replaceWith(b);
    });
  };

  const commentDeleted = (data) => {
    setCommentCount(data);
    const old = byId("comment-" + data.comment_id);
    if (!old) return;
    const note = document.createElement("li");
    note.className = "comment muted comment-gone";
    note.textContent = "This comment was deleted.";
    old.replaceWith(note);
  };

  // --- governance: a pinned post moves to the top of its space; a closed thread loses its
  // comment box (the page says who closed it); a restored post or comment comes back ------
  const postPinned = async (data) => {
    const old = byId("post-" + data.post_id);
    if (data.scope === "organisation") { if (old) refreshPost(data); return; }
    if (!old) return;
    const card = await fragment(cardUrl(data.post_id, false));
    if (!card || !old.isConnected) return;
    if (data.pinned && list && list.dataset.liveList === "space" && slot) {
      old.remove();
      slot.after(activate(card));
    } else {
      old.replaceWith(activate(card));
    }
  };

  const postClosed = async (data) => {
    refreshPost(data);
    const here = thread(data.post_id);
    if (!here) return;
    const box = here.querySelector("[data-comment-box]");
    const res = await fetch(location.href, { credentials: "same-origin" });
    if (res.status !== 200) return;
    const page = new DOMParser().parseFromString(await res.text(), "text/html");
    const fresh = page.querySelector('[data-live-thread="' + data.post_id + '"] [data-comment-box]');
    if (box && fresh) box.replaceWith(activate(document.importNode(fresh, true)));
    else if (box) box.remove();
    else if (fresh) here.appendChild(activate(document.importNode(fresh, true)));
  };

  const postRestored = async (data) => {
    const gone = byId("deleted-post-" + data.post_id);
    if (gone) gone.remove();
    if (byId("post-" + data.post_id)) return refreshPost(data);
    return postCreated(data);
  };

  const commentRestored = async (data) => {
    setCommentCount(data);
    const gone = byId("deleted-comment-" + data.comment_id);
    if (gone) gone.remove();
  };

  const reload = () => {
    if (document.querySelector(".live-reload")) return;
    const note = document.createElement("p");
    note.className = "flash live-reload";
    note.setAttribute("role", "status");
    note.append("This page missed some changes while it was away. ");
    const link = document.createElement("a");
    link.href = location.href;
    link.textContent = "Reload it";
    note.append(link);
    const main = byId("main");
    if (main) main.prepend(note);
  };

  // --- a wiki page and its editor: "this page was changed by Ana — reload" ------------------
  const wikiUpdated = (data) => {
    document.querySelectorAll("[data-live-wiki-page]").forEach((el) => {
      if (el.dataset.liveWikiPage !== String(data.page_id)) return;
      if (!data.deleted && !(Number(data.revision) > Number(el.dataset.revision))) return;
      const slot = el.querySelector(".wiki-live");
      if (!slot) return;
      const who = (data.editor && data.editor.name) || "Someone";
      const note = document.createElement("p");
      note.className = "flash wiki-changed";
      const link = document.createElement("a");
      const base = el.dataset.wikiBase || "";
      const url = base && data.slug ? base + encodeURIComponent(data.slug) : location.href;
      if (el.dataset.liveEditing) {
        note.append(who + (data.deleted ? " deleted this page" : " saved revision " + data.revision + " of this page")
          + " while you are editing. Your text stays here; when you save, you will see both versions to merge. ");
        link.href = url;
        link.target = "_blank";
        link.textContent = "Open the new version in a new tab";
      } else if (data.deleted) {
        note.append("This page was deleted by " + who + " — ");
        link.href = location.href;
        link.textContent = "reload";
      } else {
        note.append("This page was changed by " + who + " — ");
        link.href = url;
        link.textContent = "reload";
      }
      note.append(link);
      slot.replaceChildren(note);
    });
  };

  const handlers = {
    "post.created": postCreated,
    "post.updated": refreshPost,
    "post.answered": refreshPost,
    "idea.status": refreshPost,
    "post.deleted": postDeleted,
    "comment.created": commentCreated,
    "comment.updated": commentUpdated,
    "comment.deleted": commentDeleted,
    "reaction.changed": refreshReactions,
    "vote.changed": refreshReactions,
    "reload": reload,
    "wiki.updated": wikiUpdated,
    "post.pinned": postPinned,
    "post.closed": postClosed,
    "post.restored": postRestored,
    "comment.restored": commentRestored,
  };
  function handle(type, data) {
    const run = handlers[type];
    if (run) Promise.resolve(run(data)).catch(() => { /* a later event or a reload mends it */ });
  }

  connect();
})();
