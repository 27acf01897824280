// An order's page re-reads itself (quadro/_detalhe_agora.html). Once the order changed since
// its actions were drawn, the answer brings them drawn again (#ordem-acoes) and a notice that
// those shown are from before. The new actions go in only while nothing is being done there
// (no field with the focus, nothing typed, no refused form with its errors), and the notice
// goes with them; otherwise what is there stays, with the notice, and the next read offers
// them again.
// A tap that lands there just after they were drawn again was aimed at what was there before
// ("Aprovar orçamento" become "Iniciar reparo" under the finger): dropped; the line at their
// top says what changed.
(function () {
  "use strict";

  const GUARDA_MS = 800;
  let redesenhadas = -Infinity;
  document.addEventListener("click", (evento) => {
    if (performance.now() - redesenhadas >= GUARDA_MS) return;
    const secao = document.getElementById("ordem-acoes");
    if (!secao || !secao.contains(evento.target)) return;
    evento.preventDefault();
    evento.stopImmediatePropagation();
  }, true);

  // Being done there: a field with the focus, something typed, a refused form with its
  // errors. A button or a fold merely focused (tapped on a tablet, where the focus stays) is
  // not: the actions are drawn again and the focus goes back to the same control, or to the
  // line saying what changed when that control is gone.
  function ocupada(secao) {
    const foco = document.activeElement;
    if (secao.contains(foco) && foco.matches("input, textarea, select")) return true;
    if (secao.querySelector("[aria-invalid=true]")) return true;
    const campos = secao.querySelectorAll("textarea, select, input:not([type=hidden])");
    return Array.from(campos).some((c) => window.oficinaDigitado(c)); // digitado.js
  }

  let foco = null; // {tag, texto} of the control focused in the actions being drawn again
  document.addEventListener("htmx:before:swap", (evento) => {
    const { tasks } = evento.detail || {};
    const secao = document.getElementById("ordem-acoes");
    if (!Array.isArray(tasks) || !secao) return;
    const novas = tasks.find((t) => t.target === secao);
    if (!novas) return;
    if (ocupada(secao)) {
      tasks.splice(tasks.indexOf(novas), 1);
      // Their line from an earlier redraw ("já são as de agora") would contradict the notice.
      const antiga = secao.querySelector(":scope > .mensagem");
      if (antiga) antiga.remove();
      return;
    }
    for (const t of tasks) {
      const aviso = t.fragment && t.fragment.querySelector && t.fragment.querySelector(".acoes-antigas");
      if (aviso) aviso.remove();
    }
    const atual = document.activeElement;
    foco = secao.contains(atual) ? { tag: atual.tagName, texto: atual.textContent.trim() } : null;
    redesenhadas = performance.now();
  });
  document.addEventListener("htmx:after:swap", () => {
    const secao = document.getElementById("ordem-acoes");
    if (!foco || !secao) return;
    const { tag, texto } = foco;
    foco = null;
    const mesmo = Array.from(secao.querySelectorAll(tag))
      .find((e) => e.textContent.trim() === texto);
    const alvo = mesmo || secao.querySelector(".mensagem");
    if (alvo) alvo.focus({ preventScroll: true });
  });

  // Leaving the page (its "Recarregar a página", "Voltar ao quadro", a reload) with something
  // typed and not sent asks first, as the browser does; sending a form does not.
  let enviando = false;
  document.addEventListener("submit", () => { enviando = true; });
  window.addEventListener("beforeunload", (evento) => {
    if (enviando || !window.oficinaRascunho()) return; // digitado.js
    evento.preventDefault();
    evento.returnValue = "";
  });
})();
