// Starts Swagger UI on /docs from the vendored bundle (static/vendor/swagger-ui): no CDN and
// no inline script, so the page works offline and under `script-src 'self'`.
const root = document.getElementById("swagger-ui");
if (root && window.SwaggerUIBundle) {
  window.ui = window.SwaggerUIBundle({
    url: root.dataset.openapiUrl,
    dom_id: "#swagger-ui",
    layout: "BaseLayout",
    deepLinking: true,
    // Tags open on a click: with every one of 130-odd operations expanded at once, Swagger
    // UI stops drawing after the second tag (Chromium, 5.36).
    docExpansion: "none",
    showExtensions: true,
    showCommonExtensions: true,
    // The default sends the spec's address to validator.swagger.io and shows its badge.
    validatorUrl: null,
    presets: [window.SwaggerUIBundle.presets.apis],
  });
}
