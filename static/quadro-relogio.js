// The board's times move between pushes, as the TV's do: a card's time in its stage (holds
// excluded), its amber and red colours, its time on hold, its promise turning late, its
// forecast going out of date, and the answer to a tap leaving after a while. Each card says,
// as the server rendered it, its seconds in the stage or on hold (data-s), until its promise
// (data-prazo), until its forecast can no longer be current (data-validade) and until a tap's
// answer goes (data-some);
// they are counted on from the moment this page got that render, by the page's own monotonic
// clock: a tablet whose clock is minutes off, or set wrong, still agrees with the TV. The
// thresholds are the board's, carried once (data-limiares); the words the server's
// (duracao.js, and #quadro's data-palavras). Without it, a tablet said "há 0 min" where the
// TV said "há 5 min" until the next push or the 10-minute redraw. Only a changed text or
// class is written.
(function () {
  "use strict";

  // Each second, as the TV (painel-relogio.js): a car's time turns its minute on both at
  // once. A page holds a window of cards (pages of 40), and only changed text is written.
  const INTERVALO_MS = 1000;

  const quadro = document.getElementById("quadro");
  if (!quadro) return;
  const limiares = JSON.parse(quadro.dataset.limiares || "{}"); // {"URGENTE": [amber, red], ...}
  // {"alerta": {"atencao": " (atenção)", ...} (for screen readers), "atrasada": " · atrasada"}
  const palavras = JSON.parse(quadro.dataset.palavras || "{}");
  const recebidos = new WeakMap(); // element -> performance.now() when its render came in

  function passados(elemento, agora) {
    if (!recebidos.has(elemento)) recebidos.set(elemento, agora);
    return (agora - recebidos.get(elemento)) / 1000;
  }

  function prioridade(cartao) {
    const classe = [...cartao.classList].find((c) => c.startsWith("prioridade-"));
    return classe ? classe.slice("prioridade-".length).toUpperCase() : "";
  }

  // Each tick first works out what changes, then writes it all in one go through
  // window.oficinaSobODedo (quadro-deslize.js), which measures the cards before and after:
  // a time that grows ("há 59 min" → "há 1 h 00 min", the red's mark) can wrap its line, a
  // line can appear or go, and the cards below slide under a finger as a push's would.
  // Nothing is measured in a second where nothing changes.

  // "há 42 min", counted on from the render: its seconds, and the write when its text moved.
  function ha(elemento, agora, mudancas) {
    const segundos = Number(elemento.dataset.s) + passados(elemento, agora);
    const texto = `há ${window.oficinaDuracao(segundos)}`;
    const primeiro = elemento.firstChild;
    if (primeiro && primeiro.nodeType === Node.TEXT_NODE && primeiro.data !== texto) {
      mudancas.push(() => { primeiro.data = texto; });
    }
    return segundos;
  }

  function tickTempo(tempo, agora, mudancas) {
    const [atencao, atraso] = limiares[prioridade(tempo.closest(".cartao"))] || [Infinity, Infinity];
    const segundos = ha(tempo, agora, mudancas);
    const alerta = segundos >= atraso ? "atraso" : segundos >= atencao ? "atencao" : "ok";
    const dita = (palavras.alerta || {})[alerta] || "";
    const leitura = tempo.querySelector(".sr");
    if (tempo.classList.contains("tempo-atencao") === (alerta === "atencao")
      && tempo.classList.contains("tempo-atraso") === (alerta === "atraso")
      && (leitura ? leitura.textContent : "") === dita) return;
    mudancas.push(() => {
      tempo.classList.toggle("tempo-atencao", alerta === "atencao");
      tempo.classList.toggle("tempo-atraso", alerta === "atraso");
      let sr = tempo.querySelector(".sr");
      if (alerta !== "ok" && !sr) {
        sr = tempo.appendChild(document.createElement("span"));
        sr.className = "sr";
      }
      if (sr) sr.textContent = dita;
    });
  }

  function tickPrazo(entrega, agora, mudancas) {
    if (passados(entrega, agora) < Number(entrega.dataset.prazo)) return;
    mudancas.push(() => {
      delete entrega.dataset.prazo; // a promise only ever turns late
      entrega.classList.add("entrega-atrasada");
      entrega.append(palavras.atrasada || "");
    });
  }

  // A forecast whose time passed long ago: its recompute stopped (a running one would have
  // moved it later), and nothing will push that. Hidden, with its "Prometer", for good.
  function tickPrevisao(previsao, agora, mudancas) {
    if (passados(previsao, agora) < Number(previsao.dataset.validade)) return;
    mudancas.push(() => {
      delete previsao.dataset.validade;
      previsao.hidden = true;
    });
  }

  // The answer to a tap ("Marcos iniciou o diagnóstico às 10:32", "Já estava salvo"): read,
  // then gone, so a board open all shift does not keep the reason of a tap made hours ago
  // (the card's own push would take it only when the order changes again). Not while the
  // person is typing in that card (a refused form being corrected).
  function tickAviso(aviso, agora, mudancas) {
    if (passados(aviso, agora) < Number(aviso.dataset.some)) return;
    const foco = document.activeElement;
    const cartao = aviso.closest(".cartao");
    if (cartao && foco && cartao.contains(foco) && foco.matches("input, textarea, select")) return;
    mudancas.push(() => aviso.remove());
  }

  function tick(raiz) {
    const agora = performance.now();
    const mudancas = [];
    for (const aviso of raiz.querySelectorAll(".cartao .mensagem[data-some]")) {
      tickAviso(aviso, agora, mudancas);
    }
    for (const tempo of raiz.querySelectorAll(".cartao .tempo[data-s]")) {
      tickTempo(tempo, agora, mudancas);
    }
    for (const pausa of raiz.querySelectorAll(".cartao .pausa-tempo[data-s]")) {
      ha(pausa, agora, mudancas);
    }
    for (const entrega of raiz.querySelectorAll(".cartao [data-prazo]")) {
      tickPrazo(entrega, agora, mudancas);
    }
    for (const previsao of raiz.querySelectorAll(".previsao[data-validade]")) {
      tickPrevisao(previsao, agora, mudancas);
    }
    if (mudancas.length) {
      window.oficinaSobODedo(() => {
        for (const mudar of mudancas) mudar();
      });
    }
  }

  tick(quadro);
  setInterval(() => tick(quadro), INTERVALO_MS);
  // A card or a time line drawn by a push or an answer (however it got in: quadro-ao-vivo.js
  // places pushed cards itself): its count starts now, and it is ticked at once, alone.
  new MutationObserver((registros) => {
    for (const registro of registros) {
      for (const no of registro.addedNodes) if (no.nodeType === Node.ELEMENT_NODE) tick(no);
    }
  }).observe(quadro, { childList: true, subtree: true });
})();
