// The TV wall: a clock and stage times that keep counting between pushes. Columns arrive as
// <hx-partial>s over SSE (hx-sse); whether that stream is alive is static/ligacao-viva.js's job.
(function () {
  "use strict";

  const relogio = document.getElementById("relogio");
  // The server's clock and time zone, not the TV's (a TV's clock and zone are often wrong, and
  // get corrected mid-shift). Counted on the page's monotonic clock from the server's time in
  // the last render it got (#painel-destaque's data-servidor-ms, in the page and every push):
  // a TV whose clock jumps keeps the server's time, and one that slept is set right again by
  // the next push.
  const fuso = (relogio && relogio.dataset.fuso) || undefined;
  let base = Date.now() - performance.now(); // until a render says the server's time
  let ancora = null; // the element base was taken from

  // A render is some time old when it arrives (delivery, a render shared for a second): a
  // later one that arrived staler than the one before would set the clock back by that much
  // (":05" then ":04"). Forward always; back only past RECUO_MS, a real correction.
  const RECUO_MS = 2000;

  function ancorar() {
    const destaque = document.getElementById("painel-destaque");
    const ms = destaque && Number(destaque.dataset.servidorMs);
    if (!ms || destaque === ancora) return; // none, or the same render as before
    ancora = destaque;
    const nova = ms - performance.now();
    if (nova > base || base - nova > RECUO_MS) base = nova;
  }
  const formato = new Intl.DateTimeFormat("pt-BR", {
    timeZone: fuso, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });

  function agora() {
    return base + performance.now();
  }

  function tickRelogio() {
    if (!relogio) return;
    const partes = formato.formatToParts(new Date(agora()));
    const valor = (tipo) => (partes.find((p) => p.type === tipo) || {}).value || "00";
    relogio.querySelector(".relogio-hm").textContent = `${valor("hour")}:${valor("minute")}`;
    relogio.querySelector(".relogio-s").textContent = `:${valor("second")}`;
  }

  const duracao = window.oficinaDuracao; // duracao.js: the server's words

  function tickTempos() {
    // A promise passing shows as passed at once, as on the board (the count in the footer
    // follows with the stream's next beat).
    for (const aviso of document.querySelectorAll(".painel-atrasada[data-prometida]")) {
      if (agora() < Number(aviso.dataset.prometida)) continue;
      delete aviso.dataset.prometida;
      aviso.hidden = false;
    }
    // A forecast whose time passed long ago: its recompute stopped, and nothing will push.
    for (const previsao of document.querySelectorAll(".painel-previsao[data-valida-ate]")) {
      if (agora() < Number(previsao.dataset.validaAte)) continue;
      delete previsao.dataset.validaAte;
      previsao.hidden = true;
    }
    for (const el of document.querySelectorAll(".painel-tempo[data-desde]")) {
      const segundos = Math.max(0, (agora() - Number(el.dataset.desde)) / 1000);
      const texto = duracao(segundos);
      if (el.textContent !== texto) el.textContent = texto; // written only when it changes
      const cartao = el.closest(".painel-cartao");
      if (!cartao || !el.dataset.atraso) continue;
      const alerta = segundos >= Number(el.dataset.atraso) ? "atraso"
        : segundos >= Number(el.dataset.atencao) ? "atencao" : "ok";
      if (cartao.classList.contains(`alerta-${alerta}`)) continue;
      cartao.classList.remove("alerta-ok", "alerta-atencao", "alerta-atraso");
      cartao.classList.add(`alerta-${alerta}`);
    }
  }

  document.addEventListener("htmx:after:swap", () => {
    ancorar();
    tickRelogio();
    tickTempos();
  });

  ancorar();
  tickRelogio();
  tickTempos();
  // Every second, as the clock: a car's time turns its minute when the board's does (both tick
  // each second; at 15 s, they showed "12 min" and "há 11 min" for seconds each minute).
  setInterval(() => {
    tickRelogio();
    tickTempos();
  }, 1000);
})();
