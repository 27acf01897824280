// A manager's filter by mechanic (#filtro-mecanico) is pushed whole with the counts
// (templates/quadro/_opcoes_mecanico.html): each mechanic's load, and a mechanic added or
// deactivated since the page opened. A push never takes a choice the person made and has not
// sent yet ("Filtrar"), and never redraws the list under their finger: while the select has the
// focus, the newest list waits, and goes in when they leave it.
(function () {
  "use strict";

  let esperando = null; // the newest list pushed while the person was on the select

  function aplicar(select, fragmento) {
    const escolha = window.oficinaDigitado(select) ? select.value : null; // digitado.js
    select.replaceChildren(fragmento);
    if (escolha !== null && Array.from(select.options).some((o) => o.value === escolha)) {
      select.value = escolha;
    }
  }

  document.addEventListener("htmx:before:swap", (evento) => {
    const { tasks } = evento.detail || {};
    const select = document.getElementById("filtro-mecanico");
    if (!Array.isArray(tasks) || !select) return;
    const nossas = tasks.filter((t) => t.target === select && t.fragment);
    if (!nossas.length) return;
    for (const t of nossas) tasks.splice(tasks.indexOf(t), 1);
    const ultima = nossas[nossas.length - 1].fragment;
    if (document.activeElement === select) {
      esperando = ultima;
    } else {
      esperando = null;
      aplicar(select, ultima);
    }
  });

  document.addEventListener("focusout", (evento) => {
    if (!esperando || evento.target.id !== "filtro-mecanico") return;
    const lista = esperando;
    esperando = null;
    aplicar(evento.target, lista);
  });
})();
