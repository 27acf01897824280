// "Mostrar mais" of a table (/indicadores): when its rows land, the link the keyboard was on is
// replaced (by the next one, or by nothing at the end), which left the focus on <body> and the
// next Tab at the top of the page. The focus goes to the first row that came, and the page's
// status line says how many.
(function () {
  "use strict";

  const pedidos = new WeakMap(); // request context -> {tabela, antes: rows already there}

  function tabelaDe(elemento) {
    const mais = elemento && elemento.closest && elemento.closest(".mostrar-mais[id^='seguintes-']");
    return mais ? mais.id.slice("seguintes-".length) : null;
  }

  document.addEventListener("htmx:before:request", (evento) => {
    const ctx = evento.detail && evento.detail.ctx;
    const tabela = tabelaDe(ctx && ctx.sourceElement);
    const corpo = tabela && document.getElementById(`linhas-${tabela}`);
    if (corpo) pedidos.set(ctx, { tabela, antes: corpo.rows.length });
  });

  document.addEventListener("htmx:after:swap", (evento) => {
    const ctx = evento.detail && evento.detail.ctx;
    const pedido = ctx && pedidos.get(ctx);
    if (!pedido) return;
    pedidos.delete(ctx);
    const corpo = document.getElementById(`linhas-${pedido.tabela}`);
    if (!corpo) return;
    const novas = corpo.rows.length - pedido.antes;
    const primeira = corpo.rows[pedido.antes];
    const alvo = primeira && primeira.querySelector("a, button");
    if (alvo) alvo.focus();
    const regiao = document.getElementById("anuncios");
    if (regiao && novas > 0) regiao.textContent = `${novas} ${novas === 1 ? "linha a mais" : "linhas a mais"}.`;
  });
})();
