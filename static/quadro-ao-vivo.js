// Pushed board updates. The server's SSE stream (/eventos, webapp/quadro/routes.py) sends
// <hx-partial>s that htmx's hx-sse extension swaps by itself: delete the card where it was, add
// it to its column, replace the counts, announce in #anuncios.
// Every page gets every change, its own too (an answer lost on the way, a tablet's Wi-Fi, leaves
// the push to tell it); a dispatcher's attempt comes as the card's OS badge alone (#sinc-<id>).
// This file keeps a push from disturbing a person, from costing more than the change, and the
// newest version of each card on the page, whatever comes last:
// - a card whose typed text is on its way keeps its node, unmarked: the answer shows the
//   change; a push that came meanwhile is applied afterwards when it is still newer (or when the
//   answer never came);
// - an answer older than what the page already heard (a slow network: someone acted since, or
//   removed the order) is left out whole (its card, counts and sentence are of before);
// - a card with the focus, an open form or half-typed text is left as it is, marked "atualizado
//   por outra pessoa", and the pushed version is applied once the person leaves the card;
// - a pushed card never replaces a newer one (data-versao); a redraw of the whole state keeps the
//   nodes of the cards it shows unchanged and only updates their clock-dependent lines in place;
// - a pushed card goes straight to its sorted place (a binary search over the column, no
//   re-sorting), and not at all when its place is beyond the cards this page has loaded;
// - a recompute of the forecast pushes each card's forecast line alone, put in the card's node;
// - of two OS badges of the same version, the one with more of the dispatcher's attempts stays
//   (data-sinc): a tap's answer, drawn before the send, lands after the badge's own push.
(function () {
  "use strict";

  const pendentes = new Map(); // card id -> the pushed <li>, or null when it left this board
  // The newest version of each card this page has heard of by push; Infinity: it left this
  // board (removed, or outside its filters now). An answer older than it is not shown.
  const ouvidas = new Map();
  const OUVIDAS_MAXIMO = 2000;

  function doStream(ctx) {
    const fonte = ctx && ctx.sourceElement;
    return !!(fonte && fonte.hasAttribute && fonte.hasAttribute("hx-sse:connect"));
  }

  function ocupado(cartao) {
    // Typing, or choosing in a form field: a button or the card itself having the focus (after
    // a tap) is not being busy with it.
    const foco = document.activeElement;
    if (foco && cartao.contains(foco) && foco.matches("textarea, select, input")) return true;
    if (cartao.querySelector("details[open] form")) return true;
    // Text typed into a form that is still open (a closed <details> means the person gave up).
    const campos = cartao.querySelectorAll("textarea, select, input:not([type=hidden])");
    return Array.from(campos).some((c) => window.oficinaDigitado(c) // digitado.js
      && !c.closest("details:not([open])"));
  }

  // Said on a card kept while its person types: changed by someone else, or gone from this
  // board (removed, or now another mechanic's); the later push's words replace the earlier's.
  // The push's own sentence about this order, when it has one, says who did what first
  // ("Gabriela Gerente mudou a prioridade da OS 3001 (ABC1D23) para urgente."): the line of
  // #anuncios that says it may be out of view, and the card is where the person looks.
  const MUDOU = "Atualizado por outra pessoa: a versão nova aparece quando você terminar.";
  const MUDOU_DEPOIS = "A versão nova aparece quando você terminar.";
  // Which of the two this page cannot tell (the push says only that it is not here now), so
  // both outcomes are said: still in the queue, the step is saved there (a mechanic may finish
  // another's step); removed, the reason comes, with the text to copy.
  const SAIU = "Esta ordem saiu deste quadro com esta ação aberta (removida, ou agora de " +
    "outro mecânico).";
  const SAIU_DEPOIS = "Ao confirmar: se ela ainda estiver na fila, o passo é salvo nela; se " +
    "não, você vê por quê, e o que escreveu fica para copiar.";
  // After the push's own sentence (removed, or given to another mechanic: it says which).
  const SAIU_DEPOIS_FRASE = "Ao confirmar, o que não puder mais ser salvo nesta ordem fica " +
    "para copiar.";

  // The sentences of a push's announcement that name this card's order ("… a OS 3001 …").
  // A sentence ends at a period after two or more letters, before a capital: an initial in a
  // name ("Ana M. Costa removeu …") is no end, nor "Jr." before a verb.
  const FIM_DE_FRASE = /(?<=\S\S\.)\s+(?=\p{Lu})/u;
  function frasesDa(cartao, anuncio) {
    const os = cartao.dataset.os;
    if (!anuncio || !os) return "";
    const daOrdem = new RegExp(`\\bOS ${os}\\b`);
    return anuncio.split(FIM_DE_FRASE).filter((f) => daOrdem.test(f)).join(" ");
  }

  function marcar(cartao, saiu, frase) {
    cartao.classList.add("atualizado-fora");
    // A tap whose answer was lost already says, on the card, that the order changed after it
    // (quadro-toque.js reads data-versao-nova): one notice, not two that disagree.
    if (cartao.querySelector(".nao-salvo[data-sem-resposta]")) return;
    let aviso = cartao.querySelector(":scope > .aviso-atualizado");
    if (!aviso) {
      aviso = document.createElement("p");
      aviso.className = "aviso-atualizado";
      cartao.appendChild(aviso);
    }
    // A later push that says nothing of this order (a redraw of the columns after the change
    // it did say) keeps the words of the one that did.
    if (!frase && aviso.dataset.frase && aviso.dataset.saiu === String(saiu)) return;
    aviso.dataset.frase = frase ? "1" : "";
    aviso.dataset.saiu = String(saiu);
    const depois = frase ? SAIU_DEPOIS_FRASE : SAIU_DEPOIS;
    const texto = saiu ? `${frase || SAIU} ${depois}` : (frase ? `${frase} ${MUDOU_DEPOIS}` : MUDOU);
    if (aviso.textContent !== texto) aviso.textContent = texto;
  }

  function versao(li) {
    const v = Number(li.dataset.versao);
    return Number.isFinite(v) ? v : 0;
  }

  // A change asked from this card is under way (htmx marks its source: the form, or the card
  // a drop sends; opening "Mais…" changes nothing).
  function enviando(cartao) {
    return cartao.classList.contains("htmx-request")
      || !!cartao.querySelector("form.htmx-request");
  }

  // Where `li` goes in `lista` (sorted by data-ordem): the first card with a greater key.
  function posicao(lista, chave, ignorar) {
    const filhos = lista.children;
    let baixo = 0;
    let alto = filhos.length;
    while (baixo < alto) {
      const meio = (baixo + alto) >> 1;
      if (filhos[meio] === ignorar || (filhos[meio].dataset.ordem || "") <= chave) baixo = meio + 1;
      else alto = meio;
    }
    return filhos[baixo] || null;
  }

  // A column with more pages to load holds only the cards up to its last one: a card that
  // sorts after it belongs to a page not loaded yet ("Mostrar mais" fetches it then).
  function alemDoCarregado(lista, chave) {
    const mais = document.getElementById(`mais-${lista.dataset.status}`);
    const ultimo = lista.lastElementChild;
    return !!(mais && mais.dataset.depois && ultimo && (ultimo.dataset.ordem || "") < chave);
  }

  // The same state again (a redraw of the whole board): only what depends on the clock (time in
  // stage, alert, late delivery, hold), the badge and the forecast can differ, so they change
  // in place. The
  // card node stays: a tap halfway (pressed on one node, released on its replacement, is no
  // click), the actions opened with "Mais…" and the reason a step was refused all stay with it.
  const PREVISAO = "[id^='previsao-']";
  const SELO = "[id^='sinc-']";
  const PARTES_DO_RELOGIO = [".dados", ".pausa", SELO, PREVISAO];
  function atualizarNoLugar(atual, novo) {
    if (!novo) return;
    for (const parte of PARTES_DO_RELOGIO) {
      const antes = atual.querySelector(`:scope > ${parte}`);
      const depois = novo.querySelector(`:scope > ${parte}`);
      if (parte === PREVISAO && !antes !== !depois) {
        // The forecast comes and goes (a card shows it only when there is one).
        if (antes) antes.remove();
        else colocarPrevisao(atual, depois);
        continue;
      }
      if (!antes || !depois || (parte === SELO && seloMaisNovo(antes, depois))) continue;
      // A line quadro-relogio.js hid (a forecast past its time, on a tablet that slept) comes
      // back when the redraw brings it again.
      if (antes.innerHTML === depois.innerHTML && antes.hidden === depois.hidden) continue;
      antes.replaceWith(depois);
      if (window.htmx) htmx.process(depois);
    }
  }

  // The OS badge of a card counts the dispatcher's attempts (data-sinc): of two renders of the
  // same version, the one drawn later may reach the page first (the tap's answer, drawn before
  // the send, after the badge's own push that said "sent").
  function seloMaisNovo(antes, depois) {
    return Number(antes.dataset.sinc || 0) > Number(depois.dataset.sinc || 0);
  }

  // The tap's answer carries the card as it was at the change: a badge pushed since, of that
  // same version, stays.
  function manterSelos(novos) {
    for (const [id, novo] of novos) {
      const atual = document.getElementById(id);
      if (!atual || versao(atual) !== versao(novo)) continue;
      const antes = atual.querySelector(`:scope > ${SELO}`);
      const depois = novo.querySelector(`:scope > ${SELO}`);
      if (antes && depois && seloMaisNovo(antes, depois)) depois.replaceWith(antes.cloneNode(true));
    }
  }

  // A card's forecast line (webapp quadro/_previsao.html) goes right after its time line.
  function colocarPrevisao(cartao, linha) {
    const dados = cartao.querySelector(":scope > .dados");
    if (!dados) return;
    dados.after(linha);
    if (window.htmx) htmx.process(linha);
  }

  // A recompute pushes forecast lines alone (#previsao-<id>); a card that had none yet has no
  // target for it: the line goes into that card, if this page shows it.
  function previsoesSemAlvo(tasks) {
    for (let i = tasks.length - 1; i >= 0; i--) {
      const t = tasks[i];
      const linha = !t.target && t.fragment && t.fragment.firstElementChild;
      if (!linha || !linha.id || !linha.id.startsWith("previsao-")) continue;
      tasks.splice(i, 1);
      const cartao = document.getElementById(`cartao-${linha.id.slice("previsao-".length)}`);
      if (cartao) colocarPrevisao(cartao, linha);
    }
  }

  // A task that redraws a whole column (a (re)connection's first message, a new day).
  function redesenho(t) {
    return t.target instanceof Element && t.target.matches("ol.cartoes")
      && t.swapSpec && t.swapSpec.style === "innerHTML";
  }

  function inserirOrdenado(lista, li) {
    const chave = li.dataset.ordem || "";
    if (alemDoCarregado(lista, chave)) return;
    lista.insertBefore(li, posicao(lista, chave, li));
    if (window.htmx) htmx.process(li);
  }

  // A column redrawn (innerHTML) around the card nodes it keeps (same state, or someone busy
  // with them): the others go, the new ones go to their sorted places between the kept ones,
  // which never move (a moved node loses the focus).
  function mesclar(lista, fragmento, mantidos) {
    const ficam = Array.from(lista.children).filter((no) => mantidos.has(no));
    for (const filho of Array.from(lista.children)) {
      if (!mantidos.has(filho)) filho.remove();
    }
    let i = 0;
    for (const no of Array.from(fragmento.children)) {
      const chave = no.dataset.ordem || "";
      while (i < ficam.length && (ficam[i].dataset.ordem || "") <= chave) i++;
      lista.insertBefore(no, ficam[i] || null);
      if (window.htmx) htmx.process(no);
    }
  }

  // A push that replaces the card holding the keyboard's focus (a button or link, not a field:
  // a field keeps the card, ocupado) would leave the focus on <body> and the next Tab at the
  // top of the page: it goes back to the same control in the new card (its words or address),
  // or to the card.
  let focoPerdido = null; // {id, texto, href} of the focused control, while a swap runs
  function lembrarFoco() {
    const foco = document.activeElement;
    const cartao = foco && foco !== document.body && foco.closest
      ? foco.closest("li.cartao[id]") : null;
    focoPerdido = cartao
      ? { id: cartao.id, texto: foco.textContent.trim(), href: foco.getAttribute("href") }
      : null;
  }
  function devolverFoco() {
    const lembrado = focoPerdido;
    focoPerdido = null;
    if (!lembrado || (document.activeElement && document.activeElement !== document.body)) return;
    const cartao = document.getElementById(lembrado.id);
    if (!cartao) return;
    const mesmo = Array.from(cartao.querySelectorAll("a, button, summary")).find((e) =>
      (lembrado.href && e.getAttribute("href") === lembrado.href)
      || (!lembrado.href && e.textContent.trim() === lembrado.texto));
    (mesmo || cartao).focus({ preventScroll: true });
  }
  document.addEventListener("htmx:after:swap", devolverFoco);

  // What a push says of each card it names: its version, or that it left this board (a card
  // deleted and not put back). A column redrawn whole says nothing of the cards it leaves out:
  // it holds a column's first page only, and "Mostrar mais" brings the rest again.
  function ouvir(ids, novos) {
    for (const id of ids) {
      ouvidas.delete(id); // re-set at the end: the oldest heard go first when the cap is hit
      ouvidas.set(id, novos.has(id) ? versao(novos.get(id)) : Infinity);
    }
    // A board open for days keeps the last changes only: an answer is late by seconds.
    while (ouvidas.size > OUVIDAS_MAXIMO) ouvidas.delete(ouvidas.keys().next().value);
  }

  // An answer whose card is older than the page already heard of (the answer was slow: someone
  // acted since, or removed the order) is left out whole: its card, its counts and its
  // sentence all tell of before the newer change the page shows.
  function respostaAtrasada(ids, novos) {
    for (const id of ids) {
      const novo = novos.get(id);
      if (!novo) continue; // a card the answer takes away (its removal): nothing to keep
      const atual = document.getElementById(id);
      const conhecida = Math.max(ouvidas.get(id) || 0, atual ? versao(atual) : 0);
      if (versao(novo) < conhecida) return true;
    }
    return false;
  }

  document.addEventListener("htmx:before:swap", (evento) => {
    const { ctx, tasks } = evento.detail || {};
    if (!Array.isArray(tasks)) return;
    // Only a push: the answer to a tap places the focus itself (quadro-toque.js).
    if (doStream(ctx)) lembrarFoco();
    else focoPerdido = null;
    // The same sentence again (a removal: its answer says it, then its push, which cannot tell
    // the page it came from): a screen reader does not read it twice.
    for (let i = tasks.length - 1; i >= 0; i--) {
      const t = tasks[i];
      if (t.target instanceof Element && t.target.id === "anuncios" && t.fragment &&
          t.fragment.textContent.trim() === t.target.textContent.trim()) tasks.splice(i, 1);
    }
    const doServidor = doStream(ctx);
    if (doServidor) previsoesSemAlvo(tasks);
    const tarefaAnuncio = tasks.find((t) => t.target instanceof Element
      && t.target.id === "anuncios" && t.fragment);
    const anuncio = tarefaAnuncio ? tarefaAnuncio.fragment.textContent.trim() : "";
    const novos = new Map(); // id -> <li> of the pushed version
    const ids = new Set();
    for (const t of tasks) {
      if (t.target instanceof Element && t.target.matches("li.cartao")) ids.add(t.target.id);
      if (t.fragment && t.fragment.querySelectorAll) {
        for (const li of t.fragment.querySelectorAll("li.cartao[id]")) {
          ids.add(li.id);
          if (!novos.has(li.id)) novos.set(li.id, li);
        }
      }
    }
    if (doServidor) ouvir(ids, novos);
    else if (respostaAtrasada(ids, novos)) {
      tasks.length = 0;
      // Saved all the same: what the card kept for its text on the way is in the order now.
      const status = ctx && ctx.response && ctx.response.status;
      const enviado = ctx && ctx.sourceElement;
      if (status >= 200 && status < 300) for (const id of ids) salvoEMudou(id, enviado);
      return;
    } else manterSelos(novos);
    const mantidos = new Set(); // card nodes that stay as they are
    let novidade = false; // whether this push brings this page anything it had not shown
    for (const id of doServidor ? ids : []) {
      const atual = document.getElementById(id);
      const novo = novos.get(id);
      if (!atual) {
        novidade = novidade || !!novo;
        continue;
      }
      // The one guard on versions: a card shown is never replaced by one that is not newer (a
      // late push, or this page's own change, its answer already here); the same version is a
      // redraw of it, whose clock lines change in place.
      const naoMaisNovo = novo && versao(novo) <= versao(atual);
      novidade = novidade || !naoMaisNovo;
      if (!(naoMaisNovo || ocupado(atual))) {
        pendentes.delete(id);
        continue;
      }
      // Typed text sent, its answer on the way: perhaps this very change (the answer will say).
      const proprio = enviando(atual);
      mantidos.add(atual);
      if (novo) novo.remove(); // out of the swap, kept here
      if (!naoMaisNovo) {
        pendentes.set(id, novo || null);
        atual.dataset.versaoNova = novo ? String(versao(novo)) : "Infinity"; // quadro-toque.js
      }
      else if (versao(novo) === versao(atual)) atualizarNoLugar(atual, novo);
      for (let i = tasks.length - 1; i >= 0; i--) {
        if (tasks[i].target === atual) tasks.splice(i, 1); // what would touch the kept card
      }
      if (!naoMaisNovo && !proprio) marcar(atual, !novo, frasesDa(atual, anuncio));
    }
    // This page's own change coming back, its answer already shown: said once, not twice.
    if (doServidor && ids.size && !novidade) {
      for (let i = tasks.length - 1; i >= 0; i--) {
        if (tasks[i].target instanceof Element && tasks[i].target.id === "anuncios") {
          tasks.splice(i, 1);
        }
      }
    }
    // A column redrawn whole (a reconnection, a new day, the forecast's summary) that leaves
    // out a card someone is writing on, or whose change is on its way (it left this board
    // meanwhile, or lies past the first page the redraw holds), keeps that node too, as a
    // push that takes it away would: it goes once the person is done with it.
    for (const t of doServidor ? tasks : []) {
      if (!redesenho(t) || !t.fragment) continue;
      for (const no of Array.from(t.target.children)) {
        if (!no.matches("li.cartao[id]") || ids.has(no.id) || mantidos.has(no)) continue;
        if (!(ocupado(no) || enviando(no))) continue;
        mantidos.add(no);
        pendentes.set(no.id, null);
      }
    }
    // A column redrawn whole keeps those nodes; the rest of it is replaced.
    for (let i = tasks.length - 1; i >= 0 && mantidos.size; i--) {
      const t = tasks[i];
      if (!redesenho(t) || !t.fragment) continue;
      tasks.splice(i, 1);
      mesclar(t.target, t.fragment, mantidos);
    }
    // Cards go straight to their sorted place, pushed or answered: appending and re-sorting
    // would move the other cards, and a moved node loses the focus.
    for (let i = tasks.length - 1; i >= 0; i--) {
      const t = tasks[i];
      if (!(t.target instanceof Element) || !t.target.matches("ol.cartoes")) continue;
      if (!t.swapSpec || t.swapSpec.style !== "beforeend" || !t.fragment) continue;
      // The next page of a column ("Mostrar mais") simply goes at its end, in its order; a
      // card it brings that the page already has (a redraw came while it loaded, and its own
      // "Mostrar mais" fetched the same page) is left out: never a card twice.
      const fonte = ctx && ctx.sourceElement;
      if (fonte && fonte.closest && fonte.closest(".mostrar-mais")) {
        for (const li of Array.from(t.fragment.children)) {
          if (li.id && document.getElementById(li.id)) li.remove();
        }
        continue;
      }
      tasks.splice(i, 1);
      for (const li of Array.from(t.fragment.children)) inserirOrdenado(t.target, li);
    }
  });

  // A change saved (its answer a 2xx) that comes back older than a push this page heard since
  // (someone changed the order meanwhile): its card, kept for the text it carried, takes the
  // newer version now, with why, instead of standing with its form open and no word. Text of
  // another of its forms, not sent, still keeps it (the newer version comes when the person
  // is done with it, as for any push).
  const SALVO_E_MUDOU = "Salvo. A OS mudou de novo depois do seu toque: o cartão mostra "
    + "como ela está agora.";
  const SALVO_E_SAIU = "Salvo. Depois do seu toque, a OS mudou e saiu deste quadro.";
  // Kept for text of another of its forms: the card is not yet how the order is now.
  const SALVO_E_ESPERA = "Salvo. A OS mudou de novo depois do seu toque: a versão nova "
    + "aparece quando você terminar.";
  function dizer(cartao, texto) {
    const aviso = document.createElement("p");
    aviso.className = "mensagem";
    aviso.textContent = texto;
    cartao.appendChild(aviso);
  }
  function salvoEMudou(id, enviado) {
    if (!pendentes.has(id)) return; // nothing kept back: the card shows the newer version
    const atual = document.getElementById(id);
    if (!atual) return;
    const formulario = enviado && enviado.closest ? enviado.closest("details") : null;
    if (formulario && atual.contains(formulario)) formulario.open = false; // its text is saved
    const novo = pendentes.get(id);
    const anuncios = document.getElementById("anuncios");
    if (ocupado(atual)) {
      dizer(atual, SALVO_E_ESPERA);
      if (anuncios) anuncios.textContent = SALVO_E_ESPERA;
      return;
    }
    pendentes.delete(id);
    const lista = novo && document.getElementById(`cartoes-${novo.dataset.status}`);
    atual.remove();
    if (lista) inserirOrdenado(lista, novo);
    const mostrado = !!(novo && novo.isConnected);
    if (mostrado) dizer(novo, SALVO_E_MUDOU);
    if (anuncios) anuncios.textContent = mostrado ? SALVO_E_MUDOU : SALVO_E_SAIU;
  }

  function aplicarPendentes() {
    for (const [id, novo] of Array.from(pendentes)) {
      const atual = document.getElementById(id);
      if (!atual) {
        pendentes.delete(id);
        continue;
      }
      if (ocupado(atual) || enviando(atual)) continue;
      pendentes.delete(id);
      if (novo && versao(novo) <= versao(atual)) continue; // an answer has shown it, or newer
      const lista = novo && document.getElementById(`cartoes-${novo.dataset.status}`);
      // Outside a swap: the cards it moves are measured here (quadro-deslize.js).
      window.oficinaSobODedo(() => {
        atual.remove();
        if (lista) inserirOrdenado(lista, novo);
      });
    }
  }

  // What was kept back is shown once the person is done, and never over a newer version: after
  // an answer (the card it brought may be newer still), after a request that got none (Wi-Fi
  // gone: the push is then the truth), on leaving the card (focus elsewhere, a form closed).
  document.addEventListener("htmx:after:swap", () => setTimeout(aplicarPendentes, 0));
  document.addEventListener("htmx:error", () => setTimeout(aplicarPendentes, 0));
  document.addEventListener("focusout", () => setTimeout(aplicarPendentes, 0));
  document.addEventListener("toggle", () => setTimeout(aplicarPendentes, 0), true);
  setInterval(aplicarPendentes, 2000);

  // "Mostrar mais (N)": N is what the column counts beyond the cards this page has loaded. A
  // push moves either (the count, a card in or out), so N follows every swap; only the number
  // is written (the words are the template's).
  function restantes() {
    for (const mais of document.querySelectorAll(".mostrar-mais[id^='mais-'] > a")) {
      const status = mais.parentElement.id.slice("mais-".length);
      const contagem = document.getElementById(`contagem-${status}`);
      const lista = document.getElementById(`cartoes-${status}`);
      const total = contagem && contagem.firstChild && parseInt(contagem.firstChild.textContent, 10);
      if (!lista || !Number.isFinite(total)) continue;
      const n = Math.max(0, total - lista.querySelectorAll(":scope > li.cartao").length);
      const texto = mais.textContent.replace(/\(\d+\)/, `(${n})`);
      if (texto !== mais.textContent) mais.textContent = texto;
    }
  }
  document.addEventListener("htmx:after:swap", restantes);

  // #quadro[data-ao-vivo] while pushed updates flow (static/ligacao-viva.js tells).
  function aoVivo(viva) {
    const quadro = document.getElementById("quadro");
    if (quadro) quadro.toggleAttribute("data-ao-vivo", viva);
  }
  document.addEventListener("ligacao:viva", () => aoVivo(true));
  document.addEventListener("ligacao:caiu", () => aoVivo(false));
})();
