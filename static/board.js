// The board's small client side: cards stay sorted when htmx inserts them, and drag and drop
// on top of the buttons. A drop performs the same step through the same form as the button.
(function () {
  "use strict";

  const TITULOS = {
    AGUARDANDO: "Aguardando",
    EM_DIAGNOSTICO: "Em diagnóstico",
    EM_REPARO: "Em reparo",
    FINALIZADA: "Finalizadas",
  };

  function anunciar(texto) {
    const regiao = document.getElementById("anuncios");
    if (regiao) regiao.textContent = texto;
  }

  // Cards arrive at the end of their column (htmx "beforeend"); put them in priority/age order.
  function ordenar(lista) {
    const cartoes = Array.from(lista.children);
    const ordenados = cartoes.slice().sort((a, b) =>
      (a.dataset.ordem || "").localeCompare(b.dataset.ordem || ""));
    if (ordenados.every((c, i) => c === cartoes[i])) return;
    for (const c of ordenados) lista.appendChild(c);
  }

  function observar(lista) {
    new MutationObserver(() => ordenar(lista)).observe(lista, { childList: true });
    ordenar(lista);
  }

  function recusarSoltura(cartao, para) {
    const bloqueado = cartao.querySelector(".bloqueado small");
    const motivo = bloqueado && cartao.querySelector(`.bloqueado button`) && para === "EM_REPARO"
      ? bloqueado.textContent
      : `não é um passo permitido para esta ordem agora`;
    const texto = `Não é possível mover a OS ${cartao.dataset.os} para ${TITULOS[para]}: ${motivo}.`;
    let aviso = cartao.querySelector(".aviso-soltura");
    if (!aviso) {
      aviso = document.createElement("p");
      aviso.className = "mensagem aviso-soltura";
      aviso.setAttribute("role", "alert");
      cartao.querySelector("article").appendChild(aviso);
    }
    aviso.textContent = texto;
    anunciar(texto);
  }

  function soltar(evento) {
    const cartao = evento.item;
    const para = evento.to.dataset.status;
    // Snap back at once: the server's answer moves the card for real.
    evento.from.insertBefore(cartao, evento.from.children[evento.oldIndex] || null);
    const alvo = cartao.querySelector(`[data-para="${para}"]`);
    if (!alvo) {
      recusarSoltura(cartao, para);
      return;
    }
    if (alvo.tagName === "DETAILS") { // the step needs text: open its form
      alvo.open = true;
      const campo = alvo.querySelector("textarea, input:not([type=hidden])");
      if (campo) campo.focus();
      return;
    }
    alvo.requestSubmit();
  }

  function iniciar() {
    const listas = document.querySelectorAll("ol.cartoes");
    listas.forEach(observar);
    if (typeof Sortable === "undefined") return;
    // Touch screens drag only by the handle (accidental moves); a mouse drags the whole card.
    const toque = window.matchMedia("(pointer: coarse)").matches;
    listas.forEach((lista) => {
      Sortable.create(lista, {
        group: "quadro",
        sort: false,
        draggable: ".cartao",
        handle: toque ? ".alca" : null,
        filter: "form, summary, a, button, textarea, input, select, .bloqueado",
        preventOnFilter: false,
        animation: 120,
        onAdd: soltar,
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", iniciar);
  } else {
    iniciar();
  }
})();
