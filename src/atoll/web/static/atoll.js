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
