// The TV shows whole cards only: app.css wraps the cards a column cannot fit whole out of sight
// (a second, clipped track), and this adds them to that column's "+N" whenever the columns
// change (a push redraws them; a ticking time can grow a line) and when the screen changes size.
// The server's own "+N" (data-mais) counts the cards it did not send at all. The header's
// longest wait and the late cars among all of those are named after it ("+3 ordens · espera
// há mais tempo: ABC1D23 · 1 atrasada: PXT7A10"): a late car of low priority sits at the
// bottom of its column, out of the floor's sight.
(function () {
  "use strict";

  const NOMEADAS = 3;

  // Late as the card shows it: its time in the stage past red, or its promise passed (the
  // line painel-relogio.js shows the moment it passes).
  function atrasado(cartao) {
    return cartao.classList.contains("alerta-atraso")
      || !!cartao.querySelector(".painel-atrasada:not([hidden])");
  }

  // The late ones among them, in words, and the names said.
  function atrasadas(mais, escondidos) {
    const nomes = escondidos.filter(atrasado).map((c) => c.dataset.nome);
    const total = nomes.length + Number(mais.dataset.nAtrasadas || 0);
    if (!total) return { texto: "", ditos: [] };
    nomes.push(...(mais.dataset.atrasadas || "").split("|").filter(Boolean));
    const ditos = nomes.slice(0, NOMEADAS);
    const palavra = total === 1 ? mais.dataset.atrasadaUma : mais.dataset.atrasadaVarias;
    const resto = total - ditos.length;
    return { texto: `${total} ${palavra}: ${ditos.join(", ")}${resto > 0 ? ` e mais ${resto}` : ""}`, ditos };
  }

  // The header's longest wait among them (its card hidden here, or not sent at all): the
  // header names a car the floor would look for in vain. Once, when it is late and named so.
  function maisAntiga(mais, escondidos, ditos) {
    const cartao = escondidos.find((c) => c.classList.contains("mais-antiga"));
    const nome = cartao ? cartao.dataset.nome : mais.dataset.destaque;
    return nome && !ditos.includes(nome) ? `${mais.dataset.destaqueRotulo}: ${nome}` : "";
  }

  function encaixar(coluna) {
    const lista = coluna.querySelector(".painel-cartoes");
    const mais = coluna.querySelector(".painel-mais");
    if (!lista || !mais) return;
    const cartoes = Array.from(lista.children);
    const esquerda = cartoes.length ? cartoes[0].getBoundingClientRect().left : 0;
    const escondidos = [];
    for (const cartao of cartoes) {
      const escondido = cartao.getBoundingClientRect().left > esquerda + 1;
      if (cartao.classList.contains("fora") !== escondido) cartao.classList.toggle("fora", escondido);
      if (escondido) escondidos.push(cartao);
    }
    const total = Number(mais.dataset.mais || 0) + escondidos.length;
    const palavra = total === 1 ? mais.dataset.uma : mais.dataset.varias;
    const base = total ? `+${total} ${palavra}` : "";
    const tardias = total ? atrasadas(mais, escondidos) : { texto: "", ditos: [] };
    const tarde = tardias.texto;
    const antiga = total ? maisAntiga(mais, escondidos, tardias.ditos) : "";
    // Written only when it changes: this runs on the columns' own mutations.
    if (mais.dataset.texto === `${base}|${antiga}|${tarde}`) return;
    mais.dataset.texto = `${base}|${antiga}|${tarde}`;
    const partes = [base];
    for (const [texto, classe] of [[antiga, "painel-mais-antiga"], [tarde, "painel-mais-atrasadas"]]) {
      if (!texto) continue;
      const parte = document.createElement("span");
      parte.className = classe;
      parte.textContent = texto;
      partes.push(" · ", parte);
    }
    mais.replaceChildren(...partes);
  }

  let pedido = 0;
  function encaixarTodas() {
    if (pedido) return;
    pedido = requestAnimationFrame(() => {
      pedido = 0;
      document.querySelectorAll(".painel-coluna").forEach(encaixar);
    });
  }

  const colunas = document.getElementById("painel-colunas");
  if (colunas) {
    // Attributes too: a card turns late by its class or a line shown (painel-relogio.js).
    new MutationObserver(encaixarTodas).observe(colunas, {
      childList: true, subtree: true, characterData: true,
      attributes: true, attributeFilter: ["class", "hidden"],
    });
  }
  window.addEventListener("resize", encaixarTodas);
  if (document.fonts) document.fonts.ready.then(encaixarTodas);
  encaixarTodas();
})();
