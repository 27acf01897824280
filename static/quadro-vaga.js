// A card that leaves its column right after a tap on one of its controls (its step saved:
// the push or the answer moves it, often within 50 ms) leaves its place empty for a moment,
// as tall as it was, instead of the cards below sliding up under the finger. The second tap
// of a double tap, or an impatient one, then lands on nothing: it never starts the next car's
// diagnosis, nor opens the next car's page. The gap closes once nobody has tapped it for a
// moment. A card replaced in its place (a hold, a refusal) leaves no gap; neither does the
// last card of a column (nothing slides under the finger), nor a drag (Sortable never starts
// one from a control).
(function () {
  "use strict";

  const JANELA_MS = 3000; // a card leaving this soon after its tap is that tap's answer
  const VAGA_MS = 900; // the gap stays this long after the card left, or after a tap on it

  const quadro = document.getElementById("quadro");
  if (!quadro) return;
  let toque = null; // {id, lista, altura, em} of the last control tapped on a card

  quadro.addEventListener("pointerdown", (evento) => {
    const alvo = evento.target;
    const vaga = alvo.closest && alvo.closest("li.cartao-vaga");
    if (vaga) {
      manter(vaga);
      return;
    }
    const controle = alvo.closest && alvo.closest("li.cartao[id] :is(button, a, summary)");
    const cartao = controle ? controle.closest("li.cartao[id]") : null;
    toque = cartao && cartao.parentElement
      ? { id: cartao.id, lista: cartao.parentElement, altura: cartao.offsetHeight, em: performance.now() }
      : null;
  }, true);

  function manter(vaga) {
    clearTimeout(vaga.fechar);
    // The cards below slide up as it closes (quadro-deslize.js guards a tap then).
    vaga.fechar = setTimeout(() => window.oficinaSobODedo(() => vaga.remove()), VAGA_MS);
  }

  // The gap keeps the card's sort key (data-ordem): quadro-ao-vivo.js places a pushed card
  // by a binary search over the column's children.
  function deixarVaga(lista, antesDe, ordem, altura) {
    const vaga = document.createElement("li");
    vaga.className = "cartao-vaga";
    vaga.setAttribute("aria-hidden", "true");
    if (ordem) vaga.dataset.ordem = ordem;
    vaga.style.height = `${altura}px`;
    lista.insertBefore(vaga, antesDe);
    manter(vaga);
  }

  new MutationObserver((registros) => {
    if (!toque || performance.now() - toque.em > JANELA_MS) return;
    for (const registro of registros) {
      if (registro.target !== toque.lista) continue;
      for (const no of registro.removedNodes) {
        if (no.id !== toque.id) continue;
        const agora = document.getElementById(toque.id);
        if (agora && agora.parentElement === toque.lista) continue; // replaced in its place
        const seguinte = registro.nextSibling;
        if (seguinte && seguinte.parentNode === toque.lista) {
          deixarVaga(toque.lista, seguinte, no.dataset.ordem, toque.altura);
        }
        toque = null;
        return;
      }
    }
  }).observe(quadro, { childList: true, subtree: true });
})();
