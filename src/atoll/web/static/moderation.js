// The moderation queue, live: when a report is made or resolved where this person handles
// reports, the server sends them (and only them) a "moderation.changed" event; live.js hands
// it on as "atoll:moderation.changed", and this fetches the queue's list again and the
// number in the navigation. A form being filled in is left alone until it is sent.
(() => {
  const box = document.querySelector("[data-live-queue]");
  if (!box) return;
  const refresh = async () => {
    const busy = box.querySelector("textarea:focus, select:focus, input:focus");
    if (busy && busy.value) return;
    const res = await fetch(box.dataset.liveQueue, { headers: { "HX-Request": "true" }, credentials: "same-origin" });
    if (res.status !== 200) return;
    box.innerHTML = await res.text();
    const items = box.querySelector("[data-open-count]");
    const count = document.querySelector("[data-moderation-count]");
    if (items && count) {
      const n = Number(items.dataset.openCount);
      count.textContent = n ? String(n) : "";
      count.hidden = !n;
    }
  };
  document.addEventListener("atoll:moderation.changed", refresh);
})();
