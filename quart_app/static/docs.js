// Starts Swagger UI on /docs (a file, not an inline script: the CSP allows no inline script).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const root = document.getElementById("swagger-ui");
  window.SwaggerUIBundle({ url: root.dataset.specUrl, domNode: root, deepLinking: true });
});
