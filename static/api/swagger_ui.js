// Swagger UI over both API documents: the top bar's dropdown switches between them (templates/api/swagger_ui.html).
"use strict";

const config = JSON.parse(document.getElementById("swagger-config").textContent);

window.ui = SwaggerUIBundle({
  ...config,
  dom_id: "#swagger-ui",
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIStandalonePreset],
  layout: "StandaloneLayout",
  deepLinking: true,
  // The token pasted into "Authorize" survives a reload of the page.
  persistAuthorization: true,
  displayRequestDuration: true,
  filter: true,
  // No badge from the public validator service: the page calls only this server.
  validatorUrl: null,
});
