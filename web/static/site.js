// Progressive enhancement only: every page works without it.
// [data-print] prints the page; [data-copy] copies its value (a link) and says so.
document.addEventListener("DOMContentLoaded", () => {
  for (const button of document.querySelectorAll("[data-print]")) {
    button.hidden = false;
    button.addEventListener("click", () => window.print());
  }
  for (const button of document.querySelectorAll("[data-copy]")) {
    if (!navigator.clipboard) continue;
    button.hidden = false;
    const status = document.getElementById(button.getAttribute("aria-describedby"));
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(button.dataset.copy);
        if (status) status.textContent = "Lien copié.";
      } catch {
        if (status) status.textContent = "Copie impossible : sélectionnez le lien ci-dessus.";
      }
    });
  }
});
