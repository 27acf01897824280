// The board's small client side: cards stay sorted when htmx inserts them, and drag and drop
// on top of the buttons. A drop performs the same step through the same form as the button.
(function () {
  "use strict";

  function anunciar(texto) {
    const regiao = document.getElementById("anuncios");
    if (regiao) regiao.textContent = texto;
  }

  // Cards arrive at the end of their column (htmx "beforeend"); put them in priority/age order.
  // The card someone is typing in never moves (moving a node drops its focus): the others are
  // placed around it.
  function ordenar(lista) {
    const cartoes = Array.from(lista.children);
    const ordenados = cartoes.slice().sort((a, b) =>
      (a.dataset.ordem || "").localeCompare(b.dataset.ordem || ""));
    if (ordenados.every((c, i) => c === cartoes[i])) return;
    const fixo = cartoes.find((c) => c.contains(document.activeElement));
    const posicao = fixo ? ordenados.indexOf(fixo) : -1;
    ordenados.forEach((c, i) => {
      if (c === fixo) return;
      if (posicao >= 0 && i < posicao) lista.insertBefore(c, fixo);
      else lista.appendChild(c);
    });
  }

  function observar(lista) {
    new MutationObserver(() => ordenar(lista)).observe(lista, { childList: true });
    ordenar(lista);
  }

  function recusarSoltura(cartao, para) {
    const motivos = JSON.parse(cartao.dataset.motivos || "{}");
    const motivo = motivos[para] || "não é um passo permitido agora";
    // Column titles come from the server (data-titulo), the one place they are written.
    const coluna = document.querySelector(`.coluna[data-status="${para}"]`);
    const titulo = (coluna && coluna.dataset.titulo) || para;
    const texto = `Não é possível mover a OS ${cartao.dataset.os} para ${titulo}: ${motivo}.`;
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

  function passoPara(cartao, status) {
    return cartao.querySelector(`[data-para="${status}"]`);
  }

  // Cards never move between lists while dragged (passing over a column must not trigger its
  // step): the column under the pointer at the drop decides, like a click on that button would.
  function aoTerminar(evento) {
    const cartao = evento.item;
    const ponto = evento.originalEvent && (evento.originalEvent.changedTouches
      ? evento.originalEvent.changedTouches[0] : evento.originalEvent);
    if (!ponto || ponto.clientX === undefined) return;
    const sob = document.elementFromPoint(ponto.clientX, ponto.clientY);
    const coluna = sob && sob.closest(".coluna");
    const para = coluna && coluna.dataset.status;
    if (!para || para === cartao.dataset.status) return;
    const alvo = passoPara(cartao, para);
    if (!alvo) {
      recusarSoltura(cartao, para);
    } else if (alvo.tagName === "DETAILS") { // the step needs text: open its form
      alvo.open = true;
      const campo = alvo.querySelector("textarea, input:not([type=hidden])");
      if (campo) campo.focus();
    } else {
      alvo.requestSubmit(); // the server's answer moves the card (or says why not)
    }
  }

  function iniciar() {
    const listas = document.querySelectorAll("ol.cartoes");
    listas.forEach(observar);
    if (typeof Sortable === "undefined") return;
    // Touch screens drag only by the handle (accidental moves); a mouse drags the whole card.
    const toque = window.matchMedia("(pointer: coarse)").matches;
    listas.forEach((lista) => {
      Sortable.create(lista, {
        group: { name: "quadro", put: false },
        sort: false,
        draggable: ".cartao",
        handle: toque ? ".alca" : null,
        filter: "form, summary, a, button, textarea, input, select, .bloqueado",
        preventOnFilter: false,
        animation: 120,
        onEnd: aoTerminar,
      });
    });
  }

  // Live link state: #quadro[data-ao-vivo] once pushed updates arrive; a notice while it is down.
  function ligacao(viva) {
    const quadro = document.getElementById("quadro");
    const aviso = document.getElementById("conexao-quadro");
    if (quadro) quadro.toggleAttribute("data-ao-vivo", viva);
    if (aviso) aviso.hidden = viva;
  }
  document.addEventListener("htmx:sse:after:message", () => ligacao(true));
  document.addEventListener("htmx:sse:error", () => ligacao(false));

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", iniciar);
  } else {
    iniciar();
  }
})();
