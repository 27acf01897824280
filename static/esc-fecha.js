// Escape closes the open panel it is pressed in ("Adicionar OS", "Revogar", "Desativar",
// "Redefinir senha", a step's form on a card or an order's page: each a <details>), the focus
// back on its toggle. What was typed stays in the closed panel. Inside a card's "Mais…" (not
// a <details>), Escape closes "Mais…" itself (quadro-toque.js), a step's form there aside.
(function () {
  "use strict";

  document.addEventListener("keydown", (evento) => {
    if (evento.key !== "Escape" || evento.defaultPrevented) return;
    const alvo = evento.target;
    const painel = alvo && alvo.closest && alvo.closest("details[open]");
    if (!painel || (painel.closest(".mais-acoes") && !painel.matches(".form-passo"))) return;
    const resumo = painel.querySelector(":scope > summary");
    if (!resumo) return;
    evento.preventDefault();
    painel.open = false;
    resumo.focus();
  });
})();
