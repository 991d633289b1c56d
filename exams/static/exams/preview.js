// The preview pages (templates/admin/exams/_student_view.html): formulas rendered as the apps do.
"use strict";

document.addEventListener("DOMContentLoaded", () => {
  for (const content of document.querySelectorAll(".student-view .content")) {
    window.renderMathInElement(content, {
      delimiters: [
        { left: "\\[", right: "\\]", display: true },
        { left: "$$", right: "$$", display: true },
        { left: "\\(", right: "\\)", display: false },
      ],
      throwOnError: false,
    });
  }
  document.body.dataset.mathRendered = "true";
});
