// A new version deployed while this page is open: every stream's "batida" carries the app's
// version; a different one than this page's reloads the page (when nobody is typing in it).
(function () {
  "use strict";

  const meta = document.querySelector('meta[name="versao"]');
  const minha = meta && meta.content;

  function digitando() {
    const foco = document.activeElement;
    return !!(foco && foco.matches && foco.matches("textarea, input:not([type=hidden]), select"));
  }

  document.addEventListener("batida", (evento) => {
    const versao = evento.detail && evento.detail.data;
    if (!minha || !versao || versao === minha) return;
    if (digitando()) return; // the next beat tries again
    window.location.reload();
  });
})();
