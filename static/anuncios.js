// The page's announcement region (#anuncios, on every page of base.html): an error told there
// (a 503 while the database was down) is over once the same element's request succeeds: on a
// quiet board the OS-status poll's 503 stayed all shift, asking a mechanic to "try again" what
// nobody did. Only the notice of that element (its HX-Source, which the server writes back as
// data-fonte): a person's refused tap keeps its notice through the polls that succeed
// meanwhile.
(function () {
  "use strict";

  document.addEventListener("htmx:after:request", (evento) => {
    const ctx = evento.detail && evento.detail.ctx;
    const resposta = ctx && ctx.response;
    const fonte = ctx && ctx.request && ctx.request.headers && ctx.request.headers["HX-Source"];
    if (!resposta || resposta.status >= 400 || !fonte) return;
    for (const aviso of document.querySelectorAll("#anuncios .aviso-erro")) {
      if (aviso.dataset.fonte === fonte) aviso.remove();
    }
  });
})();
