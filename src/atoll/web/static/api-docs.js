// The API reference at /api/v1/docs: Swagger UI, served from this site (static/vendor/swagger-ui,
// copied from npm by `make install`) and started here, so that the page needs no inline script.
window.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.openapi,
    domNode: root,
    deepLinking: true,
    presets: [window.SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    validatorUrl: null, // the public validator is another host: no badge, no request
    tryItOutEnabled: false,
  });
});
