// Drag and drop on top of the buttons: a card dropped on a column asks the server for that
// column's step (POST /ordens/<id>/mover), which takes it, opens its form when it needs text,
// or says why not, exactly as the buttons would. While dragging, the column the card's own
// step leads to is highlighted; the whole column is the drop zone. On a portrait tablet (one
// column at a time) the other columns are off screen: their tabs are the drop zones there, the
// target's tab highlighted too.
(function () {
  "use strict";

  function colunaSob(evento) {
    const original = evento.originalEvent;
    const ponto = original && (original.changedTouches ? original.changedTouches[0] : original);
    if (!ponto || ponto.clientX === undefined) return null;
    const sob = document.elementFromPoint(ponto.clientX, ponto.clientY);
    const aba = sob && sob.closest(".abas a");
    if (aba) return document.getElementById(`coluna-${aba.dataset.status}`);
    return sob && sob.closest(".coluna");
  }

  function destacar(cartao, ligar) {
    for (const coluna of document.querySelectorAll(".coluna")) {
      const alvo = ligar && coluna.dataset.status === cartao.dataset.proximo;
      coluna.classList.toggle("alvo-valido", alvo);
      coluna.classList.toggle("arrastando", ligar && !alvo && coluna.dataset.status !== cartao.dataset.status);
    }
    for (const aba of document.querySelectorAll(".abas a")) {
      aba.classList.toggle("alvo-valido", ligar && aba.dataset.status === cartao.dataset.proximo);
    }
  }

  // Cards never move between lists while dragged (passing over a column must not trigger its
  // step): the column under the pointer at the drop decides, like a click on its button would.
  // The dragged node may have left the page meanwhile (a push replaced the card): the drop asks
  // for the card as it is now, by its id, or htmx would drop a request from a detached node.
  function aoTerminar(evento) {
    destacar(evento.item, false);
    const cartao = document.getElementById(evento.item.id);
    const coluna = colunaSob(evento);
    const para = coluna && coluna.dataset.status;
    if (!cartao || !para || para === cartao.dataset.status || !window.htmx) return;
    // Text typed in the card's open step form goes along: the answer keeps it in the form.
    const valores = { para };
    for (const campo of cartao.querySelectorAll("details.form-passo[open] textarea")) {
      if (campo.value) valores[campo.name] = campo.value;
    }
    mover(cartao.id, valores);
  }

  // The drop's request, from the card as it is now. The card keeps how to send it again, for
  // the "Tentar de novo" of a failed drop (quadro-toque.js: a card has no form to resubmit).
  function mover(id, valores) {
    const cartao = document.getElementById(id);
    if (!cartao) return;
    cartao.reenviar = () => mover(id, valores);
    htmx.ajax("POST", `/ordens/${id.slice("cartao-".length)}/mover`, {
      source: cartao,
      target: "main",
      swap: "none",
      values: valores,
    });
  }

  function iniciar() {
    if (typeof Sortable === "undefined") return;
    // Touch screens drag only by the handle (accidental moves); a mouse drags the whole card.
    const toque = window.matchMedia("(pointer: coarse)").matches;
    for (const lista of document.querySelectorAll("ol.cartoes")) {
      Sortable.create(lista, {
        group: { name: "quadro", put: false },
        sort: false,
        draggable: ".cartao",
        handle: toque ? ".alca" : null,
        // Only the controls keep a press to themselves: a card with an open form is still
        // dragged by its labels and margins (filtering the whole form left those presses to
        // select text across the page).
        filter: "summary, a, button, textarea, input, select, option, .bloqueado",
        preventOnFilter: false,
        // No sliding for whoever asked the system for less motion.
        animation: window.matchMedia("(prefers-reduced-motion: reduce)").matches ? 0 : 120,
        onStart: (evento) => destacar(evento.item, true),
        onEnd: aoTerminar,
      });
    }
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", iniciar);
  } else {
    iniciar();
  }
})();
