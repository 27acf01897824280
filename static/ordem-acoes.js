// An order's page re-reads itself (quadro/_detalhe_agora.html). Once the order changed since
// its actions were drawn, the answer brings them drawn again (#ordem-acoes) and a notice that
// those shown are from before. The new actions go in only while nothing is being done there
// (no focus inside, nothing typed, no refused form with its errors), and the notice goes with
// them; otherwise what is there stays, with the notice, and the next read offers them again.
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

  function ocupada(secao) {
    if (secao.contains(document.activeElement)) return true;
    if (secao.querySelector("[aria-invalid=true]")) return true;
    const campos = secao.querySelectorAll("textarea, select, input:not([type=hidden])");
    return Array.from(campos).some((c) => window.oficinaDigitado(c)); // digitado.js
  }

  document.addEventListener("htmx:before:swap", (evento) => {
    const { tasks } = evento.detail || {};
    const secao = document.getElementById("ordem-acoes");
    if (!Array.isArray(tasks) || !secao) return;
    const novas = tasks.find((t) => t.target === secao);
    if (!novas) return;
    if (ocupada(secao)) {
      tasks.splice(tasks.indexOf(novas), 1);
      return;
    }
    for (const t of tasks) {
      const aviso = t.fragment && t.fragment.querySelector && t.fragment.querySelector(".acoes-antigas");
      if (aviso) aviso.remove();
    }
    redesenhadas = performance.now();
  });
})();
