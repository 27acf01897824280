// The TV wall: a clock, stage times that keep counting between pushes, and the connection state.
// Columns themselves arrive as <hx-partial>s over SSE (hx-sse); nothing here renders cards.
(function () {
  "use strict";

  const relogio = document.getElementById("relogio");
  // The server's clock and time zone, not the TV's (a TV's clock and zone are often wrong).
  const desvio = relogio ? Number(relogio.dataset.servidorMs) - Date.now() : 0;
  const fuso = (relogio && relogio.dataset.fuso) || undefined;
  const formato = new Intl.DateTimeFormat("pt-BR", {
    timeZone: fuso, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
  });

  function agora() {
    return Date.now() + desvio;
  }

  function tickRelogio() {
    if (!relogio) return;
    const partes = formato.formatToParts(new Date(agora()));
    const valor = (tipo) => (partes.find((p) => p.type === tipo) || {}).value || "00";
    relogio.querySelector(".relogio-hm").textContent = `${valor("hour")}:${valor("minute")}`;
    relogio.querySelector(".relogio-s").textContent = `:${valor("second")}`;
  }

  // Same wording as the server's clock.duracao() (the TV ticks between pushes).
  function duracao(segundos) {
    let minutos = Math.floor(segundos / 60);
    if (minutos < 60) return `${minutos} min`;
    let horas = Math.floor(minutos / 60);
    minutos %= 60;
    if (horas < 24) return `${horas} h ${String(minutos).padStart(2, "0")} min`;
    return `${Math.floor(horas / 24)} d ${horas % 24} h`;
  }

  function tickTempos() {
    for (const el of document.querySelectorAll(".painel-tempo[data-desde]")) {
      const segundos = Math.max(0, (agora() - Number(el.dataset.desde)) / 1000);
      el.textContent = duracao(segundos);
      const cartao = el.closest(".painel-cartao");
      if (!cartao || !el.dataset.atraso) continue;
      const alerta = segundos >= Number(el.dataset.atraso) ? "atraso"
        : segundos >= Number(el.dataset.atencao) ? "atencao" : "ok";
      cartao.classList.remove("alerta-ok", "alerta-atencao", "alerta-atraso");
      cartao.classList.add(`alerta-${alerta}`);
    }
  }

  function conexao(ok) {
    const aviso = document.getElementById("painel-conexao");
    if (aviso) aviso.hidden = ok;
    document.body.classList.toggle("desconectado", !ok);
  }

  // A connection can die silently (a frozen server, a dropped Wi-Fi with no reset): the server
  // sends a "batida" every 15 s, so two missed beats mean the stream is dead. Then the TV says
  // so and drops the stream itself; hx-sse reconnects with its back-off.
  const fonteSse = document.getElementById("painel-sse");
  const BATIDA_MS = Number(fonteSse && fonteSse.dataset.batidaMs) || 15000;
  let ultimaMensagem = Date.now();
  document.addEventListener("htmx:sse:after:message", () => {
    ultimaMensagem = Date.now();
    conexao(true);
  });
  setInterval(() => {
    if (Date.now() - ultimaMensagem < 2 * BATIDA_MS + 2000) return;
    conexao(false);
    const fonte = document.getElementById("painel-sse");
    const sse = fonte && fonte._htmx && fonte._htmx.sse;
    if (sse && sse.reader) sse.reader.cancel();
    ultimaMensagem = Date.now() - BATIDA_MS; // the next check, one beat later, tries again
  }, 1000);

  // A revoked or wrong token: reload, so the TV shows the server's 403 page, not stale data.
  function recarregarSeProibido(status) {
    if (status === 401 || status === 403) window.location.reload();
  }

  document.addEventListener("htmx:sse:after:connection", () => {
    ultimaMensagem = Date.now();
    conexao(true);
  });
  document.addEventListener("htmx:sse:error", (e) => {
    conexao(false);
    recarregarSeProibido(e.detail && e.detail.status);
  });
  document.addEventListener("htmx:sse:close", () => conexao(false));
  document.addEventListener("htmx:after:request", (e) => {
    const ctx = e.detail && e.detail.ctx;
    recarregarSeProibido(ctx && ctx.response && ctx.response.status);
  });
  document.addEventListener("revogado", () => window.location.reload());
  document.addEventListener("htmx:after:swap", tickTempos);

  tickRelogio();
  tickTempos();
  setInterval(tickRelogio, 1000);
  setInterval(tickTempos, 15000);
})();
