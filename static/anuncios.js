// The page's announcement region (#anuncios, on every page of base.html): an error told there
// (a 503 while the database was down) is over once the same element's request succeeds: on a
// quiet board the OS-status poll's 503 stayed all shift, asking a mechanic to "try again" what
// nobody did. Only the notice of that element (its HX-Source, which the server writes back as
// data-fonte): a person's refused tap keeps its notice through the polls that succeed
// meanwhile.
(function () {
  "use strict";

  function esquecer(fonte) {
    for (const aviso of document.querySelectorAll("#anuncios .aviso-erro")) {
      if (aviso.dataset.fonte === fonte) aviso.remove();
    }
  }

  document.addEventListener("htmx:after:request", (evento) => {
    const ctx = evento.detail && evento.detail.ctx;
    const resposta = ctx && ctx.response;
    const fonte = ctx && ctx.request && ctx.request.headers && ctx.request.headers["HX-Source"];
    if (!resposta || resposta.status >= 400 || !fonte) return;
    esquecer(fonte);
  });

  // A live stream refused (429, 503: its notice came as any answer) that connects again: no
  // htmx:after:request for a stream, so its element is named here as htmx names a source.
  document.addEventListener("htmx:sse:after:connection", (evento) => {
    const elemento = evento.target;
    const conexao = evento.detail && evento.detail.connection;
    if (!(elemento instanceof Element) || (conexao && conexao.status >= 400)) return;
    esquecer(elemento.tagName.toLowerCase() + (elemento.id ? `#${encodeURI(elemento.id)}` : ""));
  });
})();
