// Whether a live stream is really alive, for the board and the TV alike. An SSE connection can
// die without a word (a frozen server, a Wi-Fi that drops packets without a reset): the server
// sends a "batida" every data-batida-ms, so a stream silent for two beats (and a margin) is
// dead. Then the page says so (the element named by data-aviso, and body[data-ligacao]), drops
// the stream and hx-sse reconnects with its back-off; a (re)connection's first message is the
// whole current state, so what changed meanwhile arrives with it.
//
// Used on the element that carries hx-sse:connect, data-batida-ms and data-aviso (the macro
// fonte_ao_vivo, templates/_macros.html). It tells the page's own scripts through
// "ligacao:viva" and "ligacao:caiu" events on document. A time jump
// (a tablet waking from sleep, a fast-forwarded clock) looks like missed beats: the stream is
// dropped and taken again, which is right after a sleep too.
(function () {
  "use strict";

  const MARGEM_MS = 2000;
  const VERIFICAR_MS = 1000;

  // The page is being left (a plain form's POST, such as "Sair", or a link): the stream it
  // ends (a sign-out ends the session) must not reload this page, which would cancel that
  // navigation ("Sair" undone, and the sign-in page's "next" this board's filter).
  // Still here a while later (a download, a navigation that never came): it was not left.
  const SAINDO_MS = 15000;
  let saindo = false;
  window.addEventListener("beforeunload", () => {
    saindo = true;
    setTimeout(() => {
      saindo = false;
    }, SAINDO_MS);
  });
  window.addEventListener("pageshow", () => {
    saindo = false; // back from the browser's cache
  });
  function recarregar() {
    if (!saindo) window.location.reload();
  }

  function duracao(ms) {
    return ms < 60000 ? "menos de 1 min" : window.oficinaDuracao(ms / 1000); // duracao.js
  }

  function vigiar(fonte) {
    const batidaMs = Number(fonte.dataset.batidaMs) || 15000;
    const prazo = 2 * batidaMs + MARGEM_MS;
    const aviso = document.getElementById(fonte.dataset.aviso || "");
    const tempo = aviso && aviso.querySelector("[data-ligacao-tempo]");
    let ultima = Date.now(); // the last sign of life (a message, a connection)
    let caiuEm = null; // when the stream was last known alive, while it is down
    let viva = null;
    // Since when a request for the stream is on its way and unanswered (a slow first
    // connection): asking again meanwhile would open a second stream once both get through.
    let pedindoDesde = null;
    const PEDIDO_PRESO_MS = 90000; // past the stream's request timeout (60 s): it is gone

    function estado(agoraViva) {
      const texto = caiuEm === null ? null : duracao(Date.now() - caiuEm);
      if (tempo && texto && tempo.textContent !== texto) tempo.textContent = texto;
      if (agoraViva === viva) return;
      viva = agoraViva;
      if (aviso) aviso.hidden = viva;
      document.body.dataset.ligacao = viva ? "viva" : "caiu";
      document.dispatchEvent(new CustomEvent(viva ? "ligacao:viva" : "ligacao:caiu"));
    }

    function sinalDeVida() {
      ultima = Date.now();
      caiuEm = null;
      estado(true);
    }

    function aCaminho() {
      return pedindoDesde !== null && Date.now() - pedindoDesde < PEDIDO_PRESO_MS;
    }

    function caiu() {
      if (caiuEm === null) caiuEm = ultima;
      estado(false);
    }

    // A 401/403 while (re)connecting: the session ended or the TV's token was revoked; a reload
    // shows the sign-in page or the server's 403 page instead of data that no longer updates.
    function recarregarSeProibido(status) {
      if (status === 401 || status === 403) recarregar();
    }

    fonte.addEventListener("htmx:before:request", () => {
      pedindoDesde = Date.now();
    });
    for (const fim of ["htmx:after:request", "htmx:error", "htmx:sse:after:connection"]) {
      fonte.addEventListener(fim, () => {
        pedindoDesde = null;
      });
    }
    fonte.addEventListener("htmx:sse:after:connection", sinalDeVida);
    fonte.addEventListener("htmx:sse:after:message", sinalDeVida);
    fonte.addEventListener("htmx:sse:error", (evento) => {
      caiu();
      recarregarSeProibido(evento.detail && evento.detail.status);
    });
    fonte.addEventListener("htmx:sse:close", caiu);
    // Answered without a stream (a 503 while the database was down, the sign-in page after a
    // redirect): hx-sse only takes over event streams, so this request ends here and would not
    // be tried again by itself; the check below asks again.
    fonte.addEventListener("htmx:after:request", (evento) => {
      const resposta = evento.detail && evento.detail.ctx && evento.detail.ctx.response;
      if (!resposta) return;
      recarregarSeProibido(resposta.status);
      if (resposta.raw && resposta.raw.redirected) recarregar();
      else caiu();
    });
    // The server ended this stream for good (access revoked): reload to show why.
    fonte.addEventListener("revogado", recarregar);

    setInterval(() => {
      const conexao = fonte._htmx && fonte._htmx.sse;
      if (Date.now() - ultima < prazo) {
        if (viva === false) estado(false); // keeps "há N min" current
        return;
      }
      caiu();
      if (conexao && conexao.reader) {
        conexao.reader.cancel(); // hx-sse reconnects with its back-off
      } else if (!conexao && window.htmx && !aCaminho()) {
        // No stream at all (its first connection failed): ask for one again.
        htmx.ajax("GET", fonte.getAttribute("hx-sse:connect"), {
          source: fonte, target: fonte, swap: "none",
        });
      }
      ultima = Date.now() - batidaMs; // the next try, one beat later
    }, VERIFICAR_MS);
  }

  function iniciar() {
    for (const fonte of document.querySelectorAll("[hx-sse\\:connect][data-batida-ms]")) vigiar(fonte);
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", iniciar);
  else iniciar();
})();
