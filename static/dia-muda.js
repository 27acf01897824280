// A page without a live stream that says days in words ("amanhã 16:00", "Hoje", "às 22:14")
// reloads itself at the shop's midnight: left open overnight, /indicadores read "amanhã" for a
// promise that was today by then, and "Hoje" for yesterday's figures. The server says how
// long from drawing the page until then (data-ms, in the shop's zone); counted on this
// browser's clock from when the page came, so its own clock being off does not matter. Not
// while something typed or chosen is unsent (then a minute later), as versao.js.
(function () {
  "use strict";

  const script = document.currentScript;
  const falta = Number(script && script.dataset.ms);
  if (!(falta >= 0)) return;
  const NOVA_TENTATIVA_MS = 60000;
  // A little past midnight: the server's day has turned when the page asks again.
  const prazo = Date.now() + falta + 2000;
  let espera = null;

  function tentar() {
    clearTimeout(espera);
    const resta = prazo - Date.now();
    if (resta > 0) {
      espera = setTimeout(tentar, resta);
    } else if (window.oficinaRascunho()) { // digitado.js
      espera = setTimeout(tentar, NOVA_TENTATIVA_MS);
    } else {
      window.location.reload();
    }
  }

  tentar();
  // A laptop's lid closed over midnight, or the page kept in the back/forward cache: its
  // timer may not have run on time; the clock says whether the day turned.
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") tentar();
  });
  window.addEventListener("pageshow", (evento) => {
    if (evento.persisted) tentar();
  });
})();
