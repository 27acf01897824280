// A new version deployed while this page is open: every stream's "batida" carries the app's
// version; a different one than this page's reloads the page, unless something was typed and
// not sent (the focus may have left the field: the text is still there to lose).
(function () {
  "use strict";

  const meta = document.querySelector('meta[name="versao"]');
  const minha = meta && meta.content;
  // During a rolling update old and new servers answer side by side: a page from one and a
  // stream from the other would reload at every beat. At most one reload a minute, then.
  const CHAVE = "versao-recarregada-em";
  const INTERVALO_MS = 60000;

  function recarregouHaPouco() {
    try {
      const antes = Number(window.sessionStorage.getItem(CHAVE) || 0);
      return Date.now() - antes >= 0 && Date.now() - antes < INTERVALO_MS;
    } catch (erro) {
      return false; // storage refused (a private window): reload as before
    }
  }

  document.addEventListener("batida", (evento) => {
    const versao = evento.detail && evento.detail.data;
    if (!minha || !versao || versao === minha) return;
    // Something typed (digitado.js), or reloaded a moment ago: the next beat tries again.
    if (window.oficinaRascunho() || recarregouHaPouco()) return;
    try {
      window.sessionStorage.setItem(CHAVE, String(Date.now()));
    } catch (erro) {
      // nothing to remember: the reload goes on
    }
    window.location.reload();
  });
})();
