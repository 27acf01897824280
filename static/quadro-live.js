// Pushed board updates. The server's SSE stream (/eventos, webapp/quadro/routes.py) sends <hx-partial>s
// that htmx's hx-sse extension swaps by itself: delete the card where it was, add it to its
// column, replace the counts, announce in #anuncios.
// This file only keeps a push from disturbing a person: a card with the focus, an open form or
// half-typed text is left as it is, marked "atualizado por outra pessoa", and the pushed version
// is applied once the person leaves the card (or dropped if they submit: the answer is newer).
(function () {
  "use strict";

  const pendentes = new Map(); // card id -> the pushed <li>, or null when it left this board

  function doStream(ctx) {
    const fonte = ctx && ctx.sourceElement;
    return !!(fonte && fonte.hasAttribute && fonte.hasAttribute("hx-sse:connect"));
  }

  function alterado(campo) {
    if (campo.tagName === "SELECT") {
      return Array.from(campo.options).some((o) => o.selected !== o.defaultSelected);
    }
    if (campo.type === "checkbox" || campo.type === "radio") {
      return campo.checked !== campo.defaultChecked;
    }
    return campo.value !== campo.defaultValue;
  }

  function ocupado(cartao) {
    const foco = document.activeElement;
    if (foco && foco !== document.body && cartao.contains(foco)) return true;
    if (cartao.querySelector("details[open] form")) return true;
    // Text typed into a form that is still open (a closed <details> means the person gave up).
    const campos = cartao.querySelectorAll("textarea, select, input:not([type=hidden])");
    return Array.from(campos).some((c) => alterado(c) && !c.closest("details:not([open])"));
  }

  function marcar(cartao) {
    if (cartao.classList.contains("atualizado-fora")) return;
    cartao.classList.add("atualizado-fora");
    const aviso = document.createElement("p");
    aviso.className = "aviso-atualizado";
    aviso.textContent = "Atualizado por outra pessoa: a versão nova aparece quando você terminar.";
    (cartao.querySelector("article") || cartao).appendChild(aviso);
  }

  function versao(li) {
    const v = Number(li.dataset.versao);
    return Number.isFinite(v) ? v : 0;
  }

  // A column refresh (innerHTML) that must keep one card node untouched, focus and text included.
  // The new cards go before or after it by their sort key, so the column needs no re-sorting
  // (re-sorting by re-appending would move the kept node and drop its focus).
  function refrescarMantendo(lista, fragmento, manter) {
    for (const filho of Array.from(lista.children)) {
      if (filho !== manter) filho.remove();
    }
    const chave = manter.dataset.ordem || "";
    for (const no of Array.from(fragmento.childNodes)) {
      const antes = no.nodeType === Node.ELEMENT_NODE && (no.dataset.ordem || "") < chave;
      if (antes) lista.insertBefore(no, manter);
      else lista.appendChild(no);
    }
    if (window.htmx) htmx.process(lista);
  }

  document.addEventListener("htmx:before:swap", (evento) => {
    const { ctx, tasks } = evento.detail || {};
    if (!doStream(ctx) || !Array.isArray(tasks)) return;
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
    for (const id of ids) {
      const atual = document.getElementById(id);
      if (!atual) continue;
      const novo = novos.get(id);
      const obsoleto = novo && versao(novo) < versao(atual); // an older state arrived late
      const manter = obsoleto || ocupado(atual);
      if (!manter) {
        pendentes.delete(id);
        continue;
      }
      if (!obsoleto) pendentes.set(id, novo ? novo.cloneNode(true) : null);
      if (novo) novo.remove();
      // Drop what would touch the kept card; a refresh of its column keeps the node itself.
      for (let i = tasks.length - 1; i >= 0; i--) {
        const t = tasks[i];
        if (t.target === atual) {
          tasks.splice(i, 1);
        } else if (t.target instanceof Element && t.target.contains(atual)
                   && t.swapSpec && t.swapSpec.style === "innerHTML") {
          tasks.splice(i, 1);
          refrescarMantendo(t.target, t.fragment, atual);
        }
      }
      if (!obsoleto) marcar(atual);
    }
    // Pushed cards go straight to their sorted place (priority, then age): appending them and
    // re-sorting afterwards would move the other cards, and a moved node loses the focus.
    for (let i = tasks.length - 1; i >= 0; i--) {
      const t = tasks[i];
      if (!(t.target instanceof Element) || !t.target.matches("ol.cartoes")) continue;
      if (!t.swapSpec || t.swapSpec.style !== "beforeend" || !t.fragment) continue;
      tasks.splice(i, 1);
      for (const li of Array.from(t.fragment.children)) inserirOrdenado(t.target, li);
    }
  });

  function inserirOrdenado(lista, li) {
    const chave = li.dataset.ordem || "";
    const depois = Array.from(lista.children).find((c) => c !== li && (c.dataset.ordem || "") > chave);
    lista.insertBefore(li, depois || null);
    if (window.htmx) htmx.process(li);
  }

  function aplicarPendentes() {
    for (const [id, novo] of Array.from(pendentes)) {
      const atual = document.getElementById(id);
      if (!atual) {
        pendentes.delete(id);
        continue;
      }
      if (ocupado(atual)) continue;
      pendentes.delete(id);
      const lista = novo && document.getElementById(`cartoes-${novo.dataset.status}`);
      atual.remove();
      if (lista) inserirOrdenado(lista, novo);
    }
  }

  // The person submits from the card: the server's answer carries its current state.
  document.addEventListener("htmx:before:request", (evento) => {
    const fonte = evento.detail && evento.detail.ctx && evento.detail.ctx.sourceElement;
    const cartao = fonte && fonte.closest && fonte.closest("li.cartao");
    if (cartao) pendentes.delete(cartao.id);
  });
  // Leaving the card (focus elsewhere, a form closed) applies what was kept back.
  document.addEventListener("focusout", () => setTimeout(aplicarPendentes, 0));
  document.addEventListener("toggle", () => setTimeout(aplicarPendentes, 0), true);
  setInterval(aplicarPendentes, 2000);

  // The server ended the stream for good (user deactivated): reload to reach the sign-in page.
  document.addEventListener("revogado", () => window.location.reload());
  // The session ended while the stream was reconnecting: reload to reach the sign-in page.
  document.addEventListener("htmx:sse:error", (evento) => {
    const status = evento.detail && evento.detail.status;
    if (status === 401 || status === 403) window.location.reload();
  });
})();
