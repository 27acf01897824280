// The board's times move between pushes, as the TV's do: a card's time in its stage (holds
// excluded), its amber and red colours, and its promise turning late, ticked from what the
// card carries (its stage's start, data-desde, epoch s; its promise, data-prazo, epoch ms)
// and the priorities' thresholds the board carries once (data-limiares), in the server's
// words (duracao.js).
// Without it they waited for the next push or the 10-minute redraw, so a tablet said
// "há 0 min" where the TV said "há 5 min". Only a changed text or class is written.
(function () {
  "use strict";

  const INTERVALO_MS = 15000;
  const LEITURA = { atencao: " (atenção)", atraso: " (atrasado)" }; // for screen readers

  const quadro = document.getElementById("quadro");
  if (!quadro) return;
  const limiares = JSON.parse(quadro.dataset.limiares || "{}"); // {"URGENTE": [amber, red], ...}

  function prioridade(cartao) {
    const classe = [...cartao.classList].find((c) => c.startsWith("prioridade-"));
    return classe ? classe.slice("prioridade-".length).toUpperCase() : "";
  }

  function tickTempo(tempo, agora) {
    const cartao = tempo.closest(".cartao");
    const [atencao, atraso] = limiares[prioridade(cartao)] || [Infinity, Infinity];
    const segundos = Math.max(0, agora / 1000 - Number(tempo.dataset.desde)); // epoch s
    const texto = `há ${window.oficinaDuracao(segundos)}`;
    if (tempo.firstChild && tempo.firstChild.nodeType === Node.TEXT_NODE
        && tempo.firstChild.data !== texto) {
      tempo.firstChild.data = texto;
    }
    const alerta = segundos >= atraso ? "atraso" : segundos >= atencao ? "atencao" : "ok";
    tempo.classList.toggle("tempo-atencao", alerta === "atencao");
    tempo.classList.toggle("tempo-atraso", alerta === "atraso");
    let leitura = tempo.querySelector(".sr");
    if (alerta !== "ok" && !leitura) {
      leitura = tempo.appendChild(document.createElement("span"));
      leitura.className = "sr";
    }
    if (leitura) leitura.textContent = LEITURA[alerta] || "";
  }

  function tickPrazo(entrega, agora) {
    if (agora < Number(entrega.dataset.prazo)) return; // a promise only ever turns late
    delete entrega.dataset.prazo;
    entrega.classList.add("entrega-atrasada");
    entrega.append(" · atrasada");
  }

  function tick(raiz) {
    const agora = Date.now();
    for (const tempo of raiz.querySelectorAll(".cartao .tempo[data-desde]")) {
      tickTempo(tempo, agora);
    }
    for (const entrega of raiz.querySelectorAll(".cartao [data-prazo]")) {
      tickPrazo(entrega, agora);
    }
  }

  tick(quadro);
  setInterval(() => tick(quadro), INTERVALO_MS);
  // A card drawn by a push or an answer (however it got in: quadro-ao-vivo.js places pushed
  // cards itself) says the time the server saw: ticked at once, alone, never the whole board.
  new MutationObserver((registros) => {
    for (const registro of registros) {
      for (const no of registro.addedNodes) if (no.nodeType === Node.ELEMENT_NODE) tick(no);
    }
  }).observe(quadro, { childList: true, subtree: true });
})();
