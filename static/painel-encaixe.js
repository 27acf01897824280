// The TV shows whole cards only: app.css wraps the cards a column cannot fit whole out of sight
// (a second, clipped track), and this adds them to that column's "+N" whenever the columns
// change (a push redraws them; a ticking time can grow a line) and when the screen changes size.
// The server's own "+N" (data-mais) counts the cards it did not send at all.
(function () {
  "use strict";

  function encaixar(coluna) {
    const lista = coluna.querySelector(".painel-cartoes");
    const mais = coluna.querySelector(".painel-mais");
    if (!lista || !mais) return;
    const cartoes = Array.from(lista.children);
    const esquerda = cartoes.length ? cartoes[0].getBoundingClientRect().left : 0;
    let fora = 0;
    for (const cartao of cartoes) {
      const escondido = cartao.getBoundingClientRect().left > esquerda + 1;
      if (cartao.classList.contains("fora") !== escondido) cartao.classList.toggle("fora", escondido);
      if (escondido) fora += 1;
    }
    const total = Number(mais.dataset.mais || 0) + fora;
    const palavra = total === 1 ? mais.dataset.uma : mais.dataset.varias;
    const texto = total ? `+${total} ${palavra}` : "";
    // Written only when it changes: this runs on the columns' own mutations.
    if (mais.textContent !== texto) mais.textContent = texto;
  }

  let pedido = 0;
  function encaixarTodas() {
    if (pedido) return;
    pedido = requestAnimationFrame(() => {
      pedido = 0;
      document.querySelectorAll(".painel-coluna").forEach(encaixar);
    });
  }

  const colunas = document.getElementById("painel-colunas");
  if (colunas) {
    new MutationObserver(encaixarTodas).observe(colunas, {
      childList: true, subtree: true, characterData: true,
    });
  }
  window.addEventListener("resize", encaixarTodas);
  if (document.fonts) document.fonts.ready.then(encaixarTodas);
  encaixarTodas();
})();
