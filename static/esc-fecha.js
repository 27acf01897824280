// Escape closes the open panel it is pressed in ("Adicionar OS", "Revogar", "Desativar",
// "Redefinir senha", a form of an order's page: each a <details>), the focus back on its
// toggle, as it closes a card's step form and "Mais…" (quadro-toque.js, which keeps those:
// a board's cards are not this file's). What was typed stays in the closed panel.
(function () {
  "use strict";

  document.addEventListener("keydown", (evento) => {
    if (evento.key !== "Escape" || evento.defaultPrevented) return;
    const alvo = evento.target;
    const painel = alvo && alvo.closest && alvo.closest("details[open]");
    if (!painel || painel.closest("li.cartao")) return;
    const resumo = painel.querySelector(":scope > summary");
    if (!resumo) return;
    evento.preventDefault();
    painel.open = false;
    resumo.focus();
  });
})();
