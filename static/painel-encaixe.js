// The TV shows whole cards only: app.css wraps the cards a column cannot fit whole out of sight
// (a second, clipped track), and this adds them to that column's "+N", after every redraw and
// whenever the screen changes size. The server's own "+N" (data-mais) counts the cards it did not
// send at all.
(function () {
  "use strict";

  function encaixar(coluna) {
    const lista = coluna.querySelector(".painel-cartoes");
    const mais = coluna.querySelector(".painel-mais");
    if (!lista || !mais) return;
    const cartoes = Array.from(lista.children);
    if (!cartoes.length) return;
    const esquerda = cartoes[0].getBoundingClientRect().left;
    let fora = 0;
    for (const cartao of cartoes) {
      const escondido = cartao.getBoundingClientRect().left > esquerda + 1;
      cartao.classList.toggle("fora", escondido);
      if (escondido) fora += 1;
    }
    const total = Number(mais.dataset.mais || 0) + fora;
    mais.textContent = total ? `+${total} ${total === 1 ? "ordem" : "ordens"}` : "";
  }

  function encaixarTodas() {
    document.querySelectorAll(".painel-coluna").forEach(encaixar);
  }

  document.addEventListener("htmx:after:swap", encaixarTodas);
  window.addEventListener("resize", encaixarTodas);
  if (document.fonts) document.fonts.ready.then(encaixarTodas);
  encaixarTodas();
})();
